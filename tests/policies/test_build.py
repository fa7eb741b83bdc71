"""Packs a reviewer can publish (issue 18 s3): each pack built by blueprints_policies.build stands alone (what
`pulumi policy publish` uploads is the pack folder only) and, started from that folder through the Analyzer gRPC
protocol, gives the same verdicts on a preset graph as the in-repo pack; the pack metadata carries every framework
the preset claims (s4)."""

import json
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from blueprints_policies import build
from blueprints_policies.controls import SPEC_FRAMEWORKS
from blueprints_policies.packs import PACKS

from blueprints.presets import load_spec

from .analyzer import Analyzer, running_pack

ROOT = Path(__file__).resolve().parents[2]
PRESET, ENV = "regulated-industry", "prod"
STACK = {"llm-platform:preset": PRESET, "llm-platform:environment": ENV}
PER_TYPE = 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packs")
    files = build.project_files()
    for pack in PACKS:
        build.build(pack, out, files)
    return out


def _verdicts(analyzer: Analyzer, resources: list[tuple[str, str, dict]]) -> list[tuple[str, str, str, str]]:
    """Analyze on up to PER_TYPE resources of each type (the suite's time budget), AnalyzeStack on all of them."""
    by_type: dict[str, list[tuple[str, str, dict]]] = {}
    for resource in resources:
        by_type.setdefault(resource[0], []).append(resource)
    sample = [r for group in by_type.values() for r in group[:PER_TYPE]]
    found = [d for t, n, p in sample for d in analyzer.analyze(t, n, p)] + analyzer.analyze_stack(resources)
    return sorted((d.policy, d.level, d.urn, d.message) for d in found)


@pytest.fixture(scope="module")
def preset_resources(graph_of) -> list[tuple[str, str, dict]]:
    """The preset's custom resources with JSON-safe inputs (assets such as Lambda archives become their repr), plus
    one pod every pack objects to (the preset itself may pass a pack: the verdicts must still show)."""
    resources = [(r.type, r.name, json.loads(json.dumps(r.inputs, default=repr)))
                 for r in graph_of(PRESET, ENV).resources if r.custom]
    return [*resources, ("kubernetes:core/v1:Pod", "debug", {
        "metadata": {"name": "debug", "namespace": "apps"},
        "spec": {"containers": [{"name": "shell", "image": "busybox:latest", "securityContext": {"privileged": True}}]},
    })]


@pytest.mark.parametrize("pack", list(PACKS))
def test_built_pack_stands_alone_and_judges_like_the_repository_pack(built: Path, pack: str,
                                                                     preset_resources: list) -> None:
    folder = built / pack
    assert not (folder / "blueprints" / "components").exists(), "only the preset and version data are vendored"
    with running_pack(pack, STACK) as in_repo, running_pack(pack, STACK, folder=folder) as standalone:
        expected = _verdicts(in_repo, preset_resources)
        assert _verdicts(standalone, preset_resources) == expected
        assert standalone.info().name == pack
    assert expected, "the preset graph must exercise the pack"


def test_a_pack_folder_without_its_vendored_library_does_not_start(built: Path, tmp_path: Path) -> None:
    """The standalone start really is standalone: remove the copy of the library and the pack cannot import it."""
    folder = build.build("baseline", tmp_path, files=[])
    shutil.rmtree(folder / "blueprints_policies")
    with pytest.raises(RuntimeError, match="No module named 'blueprints_policies"), running_pack(
            "baseline", STACK, folder=folder):
        pass


@pytest.mark.parametrize("pack", list(PACKS))
def test_built_pack_manifest_and_requirements_are_publishable(built: Path, pack: str) -> None:
    manifest = yaml.safe_load((built / pack / "PulumiPolicy.yaml").read_text())
    # Pulumi's PulumiPolicy.yaml reference: runtime python with options.virtualenv, semver version.
    assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [line for line in (built / pack / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[a-z0-9-]+==\d+(\.\d+)*", line) and line in pins for line in lines)


@pytest.fixture(scope="module")
def regulated_info() -> Iterator:
    with running_pack("regulated", STACK) as analyzer:
        yield analyzer.info()


def test_pack_metadata_names_every_framework_the_preset_claims(regulated_info) -> None:
    claimed = [SPEC_FRAMEWORKS[f] for f in load_spec(PRESET, ENV).compliance.frameworks]
    assert len(claimed) > 1
    assert {f"stack-claims:{name}" for name in claimed} <= set(regulated_info.tags)
    assert {f"framework:{name}" for name in claimed} <= set(regulated_info.tags)


def test_each_policy_names_all_its_frameworks_not_only_the_first(regulated_info) -> None:
    policies = {p.name: p for p in regulated_info.policies}
    gateway = policies["gateway-auth"]
    frameworks = sorted(next(p for p, _ in PACKS["regulated"].policies() if p.meta.id == "gateway-auth").meta.controls)
    assert gateway.framework.name == ", ".join(frameworks) and len(frameworks) > 1
    assert "PCI DSS:8.6.2" in gateway.framework.specification and "PCI DSS:8.6.2" in gateway.tags
