"""Validate generated Kubernetes objects with the real schemas: kubernetes-validate for built-in kinds (strict:
unknown fields are errors), the upstream CRD schemas pinned in blueprints/upstream.lock.yaml (read through
tests/support/vendor.py) for custom resources, and our own stricter schema for TargetGroupBinding."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from blueprints.versions import KUBERNETES_VERSION
from tests.support.vendor import VENDOR, crd_files

CRDS_DIR = VENDOR / "crds"


_STRING = {"type": "string"}
TARGET_GROUP_BINDING = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": _STRING, "kind": _STRING, "metadata": {"type": "object"},
        "spec": {
            "type": "object", "additionalProperties": False, "required": ["targetGroupARN", "serviceRef"],
            "properties": {
                "targetGroupARN": {"type": "string", "minLength": 1},
                "targetGroupName": _STRING,
                "targetType": {"enum": ["instance", "ip"]},
                "serviceRef": {"type": "object", "additionalProperties": False, "required": ["name", "port"],
                               "properties": {"name": _STRING, "port": {"type": ["integer", "string"]}}},
                "networking": {"type": "object"},
                "nodeSelector": {"type": "object"},
                "ipAddressType": {"enum": ["ipv4", "ipv6"]},
                "vpcID": _STRING,
                "multiClusterTargetGroup": {"type": "boolean"},
            },
        },
    },
}
"""elbv2.k8s.aws/v1beta1 TargetGroupBinding, written from the AWS Load Balancer Controller v2.14 API reference
(guide/targetgroupbinding/spec); it overrides the chart's CRD, which does not reject unknown fields. Unknown spec
fields are errors."""


@cache
def crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema of every served version of every CRD file."""
    schemas = {}
    for path in crd_files():
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(group, version["name"], kind)] = version["schema"]["openAPIV3Schema"]
    schemas[("elbv2.k8s.aws", "v1beta1", "TargetGroupBinding")] = TARGET_GROUP_BINDING
    return schemas


def validate_manifest(manifest: dict[str, Any]) -> list[str]:
    """Problems with one object; [] when valid. Custom resources need their CRD in the lock."""
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
