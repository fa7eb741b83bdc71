"""Write every resource of a graph as files, plus `index.json`: each file with its kind, and each URN with its file.

Every custom resource of the graph gets exactly one primary file, at a path no other resource shares:
- Kubernetes objects -> `k8s/<region>/<namespace>/<kind>-<name>.yaml` (kind `kubernetes-manifest`)
- Helm releases -> `helm/<region>/<release>.values.yaml` (kind `helm-values`, with chart and version in a header)
- AWS resources -> `aws/<region>/<service>/<Type>-<name>.json`: the inputs the provider receives (kind `aws-resource`)
- Pulumi providers -> `providers/<region>/<package>-<name>.json`: their configuration (kind `pulumi-provider`)
Some resources also carry a file their consumer reads directly:
- ConfigMaps annotated `blueprints.io/artifact-kind: K` -> `configs/<region>/K/<configmap>/<key>` (kind K)
- PrometheusRule objects and AMP rule-group namespaces -> `prometheus/<region>/<name>.rules.yaml`, plain rule files
  promtool reads
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.errors import BlueprintError

ARTIFACT_ANNOTATION = "blueprints.io/artifact-kind"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
AMP_RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
"""Amazon Managed Prometheus rule groups: their `data` is a plain rule file."""
# Keys Pulumi adds to Kubernetes inputs that are not part of the object.
_PULUMI_KEYS = ("__inputs", "__initialApiVersion")


class Artifact(BaseModel):
    path: str
    kind: str
    region: str | None
    urn: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def kubernetes_object(record: ResourceRecord) -> dict[str, Any]:
    """The manifest Pulumi would apply: the wire inputs minus Pulumi bookkeeping, ordered like kubectl shows it."""
    body = {key: value for key, value in record.inputs.items() if key not in _PULUMI_KEYS}
    head = {key: body.pop(key) for key in ("apiVersion", "kind", "metadata") if key in body}
    return {**head, **body}


def _dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120)


def artifacts(graph: ResourceGraph) -> dict[str, tuple[Artifact, str]]:
    """Every file to write: path -> (artifact, content). Pure, so tests can inspect without touching disk."""
    files: dict[str, tuple[Artifact, str]] = {}

    def add(path: str, kind: str, record: ResourceRecord, content: str) -> None:
        if path in files:
            raise ValueError(f"render: {record.urn} and {files[path][0].urn} would both be written to {path}")
        files[path] = (Artifact(path=path, kind=kind, region=record.region, urn=record.urn), content)

    for record in graph.resources:
        if not record.custom:
            continue
        region = record.region or "global"
        if record.type.startswith("pulumi:providers:"):
            body = {"type": record.type, "urn": record.urn, "inputs": record.inputs}
            add(f"providers/{region}/{record.type.rsplit(':', 1)[-1]}-{_slug(record.name)}.json", "pulumi-provider",
                record, json.dumps(body, indent=2, sort_keys=True, default=str))
        elif record.type == HELM_RELEASE:
            inputs = record.inputs
            header = f"# chart: {inputs.get('chart')} {inputs.get('version')} (namespace {inputs.get('namespace')})\n"
            add(f"helm/{region}/{_slug(inputs.get('name') or record.name)}.values.yaml", "helm-values", record,
                header + _dump_yaml(inputs.get("values", {})))
        elif record.type.startswith("kubernetes:"):
            manifest = kubernetes_object(record)
            metadata = manifest.get("metadata", {})
            namespace = metadata.get("namespace", "cluster")
            name = metadata.get("name") or record.name
            add(f"k8s/{region}/{namespace}/{manifest.get('kind', 'Object')}-{_slug(name)}.yaml", "kubernetes-manifest",
                record, _dump_yaml(manifest))
            kind = (metadata.get("annotations") or {}).get(ARTIFACT_ANNOTATION)
            if kind and manifest.get("kind") == "ConfigMap":
                for key, content in (manifest.get("data") or {}).items():
                    add(f"configs/{region}/{kind}/{_slug(name)}/{key}", kind, record, content)
            if manifest.get("kind") == "PrometheusRule":
                add(f"prometheus/{region}/{_slug(name)}.rules.yaml", "prometheus-rules", record,
                    _dump_yaml({"groups": manifest["spec"]["groups"]}))
        elif record.type.startswith("aws:"):
            if record.type == AMP_RULES:
                add(f"prometheus/{region}/{_slug(record.inputs.get('name') or record.name)}.rules.yaml",
                    "prometheus-rules", record, record.inputs["data"])
            _, module, member = record.type.split(":")
            body = {"type": record.type, "urn": record.urn, "inputs": record.inputs}
            add(f"aws/{region}/{module.split('/')[0]}/{member}-{_slug(record.name)}.json", "aws-resource", record,
                json.dumps(body, indent=2, sort_keys=True, default=str))
    return files


def check_output_folder(out: str) -> Path:
    """`--out` must be a new or empty folder, or one a previous render wrote (it has our `index.json`)."""
    folder = Path(out)
    if not out.strip():
        raise BlueprintError(f"--out: {out!r} is empty; give a folder for the rendered files, e.g. --out build/render")
    if folder.exists() and not folder.is_dir():
        raise BlueprintError(f"--out: {out} is a file; give a new, empty or previously rendered folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "index.json").is_file():
        raise BlueprintError(f"--out: {folder.resolve()} holds files render did not write; "
                             "give a new, empty or previously rendered folder")
    return folder


def _remove_previous(out: Path) -> None:
    """Delete the files a previous render listed in `out/index.json`, so the folder holds exactly this graph."""
    index = out / "index.json"
    if not index.is_file():
        return
    root = out.resolve()
    for entry in json.loads(index.read_text()).get("files", []):
        target = (out / entry["path"]).resolve()
        if target.is_relative_to(root) and target.is_file():
            target.unlink()


def write_artifacts(graph: ResourceGraph, out: Path) -> list[Artifact]:
    """Write the files and `index.json` (files with their kind and URN; each resource's URN -> its primary file).

    Files a previous render listed in `out/index.json` are removed first.
    """
    files = artifacts(graph)
    _remove_previous(out)
    for path, (_, content) in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if content.endswith("\n") else content + "\n")
    index = [artifact for artifact, _ in files.values()]
    resources: dict[str, str] = {}
    for artifact in index:
        resources.setdefault(artifact.urn, artifact.path)
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.json").write_text(json.dumps(
        {"project": graph.project, "stack": graph.stack, "files": [a.model_dump() for a in index],
         "resources": resources}, indent=2
    ) + "\n")
    return index
