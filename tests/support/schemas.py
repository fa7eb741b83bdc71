"""Validate generated Kubernetes objects with the real schemas: kubernetes-validate for built-in kinds (strict:
unknown fields are errors) and the upstream CRD schemas in ../shared/crds for custom resources."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from blueprints.versions import KUBERNETES_VERSION

CRDS_DIR = Path(os.environ.get("BLUEPRINTS_CRDS_DIR", Path(__file__).resolve().parents[3] / "shared" / "crds"))


@cache
def crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema of every served version of every CRD file."""
    schemas = {}
    for path in sorted(CRDS_DIR.glob("*/*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(group, version["name"], kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def validate_manifest(manifest: dict[str, Any]) -> list[str]:
    """Problems with one object; [] when valid. Custom resources need their CRD in ../shared/crds."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    group, _, version = api_version.rpartition("/")
    schema = crd_schemas().get((group, version, kind))
    if schema is not None:
        validator = jsonschema.Draft4Validator(schema)
        return [f"{kind}/{manifest['metadata'].get('name')}: {'.'.join(map(str, e.path))}: {e.message}"
                for e in validator.iter_errors(manifest)]
    if "." in group and not group.endswith(".k8s.io"):
        return [f"{kind} {api_version}: no CRD schema in {CRDS_DIR}"]
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{kind} {api_version}: not a Kubernetes {KUBERNETES_VERSION} kind and no CRD schema in {CRDS_DIR}"]
    except kubernetes_validate.ValidationError as error:
        return [f"{kind}/{manifest['metadata'].get('name')}: {'.'.join(map(str, error.path))}: {error.message}"]
    return []
