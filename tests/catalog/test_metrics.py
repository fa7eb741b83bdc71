"""The metric catalog against the real things: LiteLLM's own Prometheus registry, the pinned dcgm-exporter chart's
counters CSV, the pinned charts' app versions and blueprints/versions.py. (trtllm-serve, Triton, KEDA and Karpenter
publish no artifact the tests can run offline; their entries cite file and tag in blueprints.catalog.metrics.)"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.components.gpu import dcgm_exporter_values
from blueprints.observability import dcgm
from blueprints.versions import CHARTS, IMAGES
from tests.support.helm import render_chart
from tests.support.vendor import vendored

ROOT = Path(__file__).resolve().parents[2]
LITELLM_PYTHON = ROOT / ".venv-litellm" / "bin" / "python"
REGISTRY_DUMP = """
import json, prometheus_client
from litellm.integrations.prometheus import PrometheusLogger
PrometheusLogger()
print(json.dumps([[c._type, c._name, list(c._labelnames)] for c in prometheus_client.REGISTRY._collector_to_names
                  if getattr(c, "_name", "").startswith("litellm")]))
"""


def _chart_file(chart: str, member: str) -> str:
    pin = CHARTS[chart]
    with tarfile.open(vendored(f"charts/{pin.chart}-{pin.version}.tgz")) as archive:
        return archive.extractfile(member).read().decode()


def test_litellm_entries_are_what_the_pinned_litellm_registers():
    """PrometheusLogger of the LiteLLM the gateway runs (its virtualenv, pinned like the image) builds its
    collectors; the catalog has exactly those, named as prometheus_client exposes them (counters + `_total`)."""
    if not LITELLM_PYTHON.exists():
        pytest.fail(f"{LITELLM_PYTHON} is missing: run `make test` (it installs LiteLLM's virtualenv)", pytrace=False)
    result = subprocess.run([str(LITELLM_PYTHON), "-c", REGISTRY_DUMP], capture_output=True, text=True, timeout=120,
                            check=True, cwd=ROOT, env={"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PATH": "/usr/bin"})
    registered = {(name + "_total" if kind == "counter" else name): (kind, frozenset(labels))
                  for kind, name, labels in json.loads(result.stdout.splitlines()[-1])}
    catalog = {metric.name: (metric.type, metric.labels) for metric in m.LITELLM.metrics}
    assert catalog == registered
    assert IMAGES["litellm"].tag.startswith(f"v{m.LITELLM.version}")


def test_dcgm_entries_are_the_pinned_charts_counters_csv():
    """chart 4.4.1 templates/metrics-configmap.yaml: every `FIELD, type, help` line, enabled or commented out."""
    template = _chart_file("dcgm-exporter", "dcgm-exporter/templates/metrics-configmap.yaml")
    upstream = dict(re.findall(r"^\s*#?\s*(DCGM_FI_\w+)\s*,\s*(\w+)\s*,", template, re.MULTILINE))
    assert {metric.name: metric.type for metric in m.DCGM_EXPORTER.metrics} == upstream
    assert CHARTS["dcgm-exporter"].version == m.DCGM_EXPORTER.version


def test_the_standalone_dcgm_exporter_chart_reads_the_platforms_counters():
    """Rendered with its pinned chart, the exporter's arguments read the file the chart fills from our list."""
    rendered = render_chart("dcgm-exporter", dcgm_exporter_values(), "dcgm-exporter", "gpu-operator")
    [container] = rendered.one("DaemonSet")["spec"]["template"]["spec"]["containers"]
    csv_path = container["args"][container["args"].index("-f") + 1]
    mount = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == csv_path)
    volume = next(volume for volume in rendered.one("DaemonSet")["spec"]["template"]["spec"]["volumes"]
                  if volume["name"] == mount["name"])
    configmap = next(item for item in rendered.of_kind("ConfigMap")
                     if item["metadata"]["name"] == volume["configMap"]["name"])
    key = next(item["key"] for item in volume["configMap"]["items"] if item["path"] == mount["subPath"])
    assert configmap["data"][key].strip() == dcgm.metrics_csv().strip()


def test_catalog_versions_are_the_pinned_ones():
    """A version bump in versions.py fails here until the catalog is re-read at the new tag."""
    assert IMAGES["tensorrt-llm"].tag == m.TRTLLM_SERVE.version
    assert m.TRTLLM_SERVE.version in m.TRTLLM_SERVE.source
    triton = IMAGES["tritonserver-trtllm"]
    assert triton.tag.startswith("26.09") and m.TRITON.version in triton.source
    for key, exporter in (("keda", m.KEDA), ("karpenter", m.KARPENTER)):
        chart = yaml.safe_load(_chart_file(key, f"{CHARTS[key].chart}/Chart.yaml"))
        assert chart["appVersion"].removeprefix("v") == exporter.version == CHARTS[key].version
    ksm = yaml.safe_load(_chart_file("kube-prometheus-stack",
                                     "kube-prometheus-stack/charts/kube-state-metrics/Chart.yaml"))
    assert ksm["appVersion"] == m.KUBE_STATE_METRICS.version


def test_every_sample_name_is_unique_across_exporters():
    samples = [sample for exporter in m.EXPORTERS for metric in exporter.metrics for sample in metric.samples()]
    assert len(samples) == len(set(samples))
    assert all(metric.name.endswith("_total") for exporter in (m.TRTLLM_SERVE, m.LITELLM, m.KEDA, m.KARPENTER)
               for metric in exporter.metrics if metric.type == "counter")
