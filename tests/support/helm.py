"""Render a Helm release the way Helm would install it: its pinned real chart (the `make vendor` cache) and the
values the program gives it, through helm-python-sdk (the Helm v4 library, no helm binary).

Helm reports values that disagree with the chart's shape (`cannot overwrite table with non table`, a value skipped
because it is not a table, ...) only as warnings on the process's stderr, from Go: `render_release` captures file
descriptor 2 around the call and returns those lines, so a test can fail on them. Values the chart's
`values.schema.json` rejects raise `helm_python.HelmError`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import helm_python
import yaml
from helm_python import _native

from blueprints.engine.graph import ResourceRecord
from blueprints.render import HELM_RELEASE
from blueprints.versions import CHARTS, KUBERNETES_VERSION, Chart
from tests.support.schemas import validate_manifest
from tests.support.vendor import vendored

KUBE_VERSION = f"v{KUBERNETES_VERSION}.0"
API_VERSIONS = (
    # Custom resource APIs the platform installs (its CRD charts and CRDs), beside the built-in ones Helm knows:
    # charts switch optional objects (ServiceMonitors, PodMonitors, ...) on `.Capabilities.APIVersions.Has`.
    "monitoring.coreos.com/v1", "keda.sh/v1alpha1", "external-secrets.io/v1", "karpenter.sh/v1",
    "karpenter.k8s.aws/v1", "gateway.networking.k8s.io/v1", "gateway.envoyproxy.io/v1alpha1",
    "inference.networking.k8s.io/v1", "nvidia.com/v1",
)


@dataclass(frozen=True)
class Rendered:
    manifests: dict[str, str]
    """Template path -> rendered text, as Helm returns it."""
    warnings: tuple[str, ...]
    """What Helm wrote to stderr while rendering: values-merge warnings."""

    @cached_property
    def objects(self) -> list[dict[str, Any]]:
        """Every Kubernetes object the templates rendered (NOTES.txt and empty documents left out)."""
        return [document for path, text in sorted(self.manifests.items()) if path.endswith((".yaml", ".yml"))
                for document in yaml.safe_load_all(text) if document]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.objects if item["kind"] == kind]

    def problems(self) -> list[str]:
        """Strict-validation problems of every rendered object (tests/support/schemas.py)."""
        return [problem for item in self.objects for problem in _problems(json.dumps(item, sort_keys=True))]

    def one(self, kind: str) -> dict[str, Any]:
        items = self.of_kind(kind)
        assert len(items) == 1, f"expected one {kind}, got {[item['metadata']['name'] for item in items]}"
        return items[0]


@cache
def _problems(document: str) -> tuple[str, ...]:
    """Validated once per distinct object: releases of one chart share most of what they render."""
    return tuple(validate_manifest(json.loads(document)))


def chart_key(inputs: dict[str, Any]) -> str:
    """The key of `CHARTS` a Release's inputs were made from (`blueprints.components.helm.chart_release`)."""
    for key, chart in CHARTS.items():
        if inputs["chart"] in (chart.chart, f"{chart.repository}/{chart.chart}") and inputs["version"] == chart.version:
            return key
    raise KeyError(f"Release of {inputs['chart']} {inputs['version']} matches no pin in blueprints.versions.CHARTS")


def chart_archive(chart: Chart) -> str:
    """The packaged chart in the vendor cache, named the way `helm package` names it."""
    return str(vendored(f"charts/{chart.chart}-{chart.version}.tgz"))


def _render_captured(chart: helm_python.Chart, values: str, opts: str) -> tuple[str, str]:
    """helm_render with fd 2 redirected into a temporary file (Go writes its warnings there, not to sys.stderr)."""
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            result = _native.call_string("helm_render", chart._raw(), values, opts)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        return result, captured.read().decode(errors="replace")


@cache
def _render(key: str, values: str, release: str, namespace: str) -> Rendered:
    # Loaded afresh each time: rendering drops disabled subcharts from the loaded chart (Helm's dependency
    # processing), so a chart once rendered with `grafana.enabled: false` would never render Grafana again.
    chart = helm_python.Chart.load(chart_archive(CHARTS[key]))
    opts = {"name": release, "namespace": namespace, "is_install": True, "kube_version": KUBE_VERSION,
            "api_versions": list(API_VERSIONS)}
    result, stderr = _render_captured(chart, values, json.dumps(opts))
    return Rendered(manifests=json.loads(result), warnings=tuple(line for line in stderr.splitlines() if line))


def render_chart(key: str, values: dict[str, Any], release: str, namespace: str) -> Rendered:
    """Render the pinned chart `CHARTS[key]` with `values` (cached per distinct input)."""
    return _render(key, json.dumps(values, sort_keys=True), release, namespace)


def render_release(record: ResourceRecord) -> Rendered:
    """Render one `kubernetes:helm.sh/v3:Release` of a resource graph with its pinned chart."""
    assert record.type == HELM_RELEASE, record.type
    inputs = record.inputs
    return render_chart(chart_key(inputs), inputs.get("values") or {}, inputs["name"], inputs["namespace"])
