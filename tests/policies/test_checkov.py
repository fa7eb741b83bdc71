"""checkov's Kubernetes checks on the manifests `render` writes, for every preset in prod.

checkov lives in its own virtualenv (.venv-checkov, made by `make test`): its `packaging` pin conflicts with
pulumi's. Every finding must be fixed or listed with a reason in policies/checkov/suppressions.yaml.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from blueprints.presets import load_spec
from blueprints.render import write_artifacts
from tests.conftest import PRESETS

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SUPPRESSIONS = yaml.safe_load((ROOT / "policies" / "checkov" / "suppressions.yaml").read_text())

pytestmark = pytest.mark.integration


def checkov_failures(directory: Path) -> list[dict]:
    if not CHECKOV.exists():
        pytest.skip(f"checkov not installed at {CHECKOV} (make test creates .venv-checkov)")
    result = subprocess.run([str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "-o", "json",
                             "--quiet", "--compact"], capture_output=True, text=True, timeout=300)
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return [failure for report in reports for failure in report["results"]["failed_checks"]]


@pytest.fixture(scope="module")
def failures(tmp_path_factory, graph_of) -> list[dict]:
    """One checkov run over every preset's manifests (its start-up is most of a run), each under `<preset>/`."""
    scanned = tmp_path_factory.mktemp("k8s")
    for preset in PRESETS:
        out = tmp_path_factory.mktemp(preset)
        write_artifacts(graph_of(preset, "prod"), out)
        if load_spec(preset, "prod").runtime == "fargate":  # no cluster: no Kubernetes manifests to scan
            assert not (out / "k8s").exists()
            continue
        (out / "k8s").rename(scanned / preset)
    return [{**failure, "preset": Path(failure["file_path"]).parts[1]} for failure in checkov_failures(scanned)]


def test_every_checkov_finding_is_fixed_or_suppressed_with_a_reason(failures):
    suppressed = {entry["check"] for entry in SUPPRESSIONS}
    open_findings = [f"{f['preset']}: {f['check_id']} {f['resource']}" for f in failures
                     if f["check_id"] not in suppressed]
    assert open_findings == []


def test_every_suppression_has_a_reason_and_still_matches_a_finding(failures):
    found = {failure["check_id"] for failure in failures}
    for entry in SUPPRESSIONS:
        assert len(entry["reason"]) >= 40, entry["check"]
        assert entry["check"] in found, f"{entry['check']} no longer fails: remove its suppression"
