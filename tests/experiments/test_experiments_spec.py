"""Experiment config is part of the spec and validated: percents sum to 100, variants are running versions, rules
name variants that exist; the generated gateway files carry it for the hook."""

from __future__ import annotations

import ast
import json
import re
import sys

import pytest

from blueprints.errors import SpecError
from blueprints.experiments import gateway
from blueprints.gateway.litellm_config import litellm_config
from blueprints.gateway.manifests import config_map
from blueprints.presets import load_spec
from tests.experiments.test_ab_proxy import CANDIDATE, EXPERIMENT, STABLE, experiment_overrides


def spec_with(experiment: dict, candidate_weight: int = 30):
    return load_spec("internal-ai", "prod", experiment_overrides(experiment, candidate_weight=candidate_weight))


@pytest.mark.parametrize(("change", "message"), [
    ({"split": {"control": 70, "treatment": 20}}, "sum to 90 (allowed: 100)"),
    ({"split": {"control": 70, "other": 30}}, "split.other: unknown variant (allowed: control, treatment)"),
    ({"variants": {"control": STABLE, "treatment": "2025-01-01"}},
     "variants.treatment: '2025-01-01' is not a running version of corp-small"),
    ({"model": "nope"}, "gateway.experiments[0].model: 'nope' is not a self-hosted model"),
    ({"rules": [{"team": "research", "variant": "ghost"}]}, "rules[0].variant: unknown variant 'ghost'"),
    ({"rules": [{"team": "research", "key": "k", "variant": "control"}]}, "exactly one of team, key, header"),
    ({"variants": {"control": STABLE, "treatment": STABLE}}, "names a model version twice"),
])
def test_bad_experiments_are_refused_with_the_path_and_what_is_allowed(change: dict, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        spec_with({**EXPERIMENT, **change})


def test_the_candidates_share_of_users_must_fit_its_canary_capacity() -> None:
    with pytest.raises(SpecError, match="30% of users on candidate 2026-11-01 exceeds the capacity"):
        spec_with(EXPERIMENT, candidate_weight=10)


def test_the_gateway_ships_the_hook_its_experiments_and_the_variant_groups() -> None:
    spec = spec_with(EXPERIMENT)
    data = config_map(spec, "us-east-1", {})["data"]
    assert data["litellm_ab.py"] == gateway.HOOK_FILE.read_text()
    document = json.loads(data[gateway.CONFIG_FILE])["experiments"][0]
    assert document["variants"] == {"control": f"corp-small@{STABLE}", "treatment": f"corp-small@{CANDIDATE}"}
    assert document["rules"][0] == {"header": ["X-Segment", "beta"], "variant": "treatment"}
    config = litellm_config(spec, "us-east-1")
    assert gateway.CALLBACK in config["litellm_settings"]["callbacks"]
    groups = {entry["model_name"] for entry in config["model_list"]}
    assert set(document["variants"].values()) <= groups
    assert gateway.CONFIG_FILE not in config_map(load_spec("internal-ai", "prod"), "us-east-1", {})["data"]


def test_the_hook_reads_the_same_file_header_and_tag() -> None:
    tree = ast.parse(gateway.HOOK_FILE.read_text())
    constants = {node.targets[0].id: node.value.value for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)}
    assert (constants["CONFIG_FILE_NAME"], constants["VARIANT_HEADER"], constants["TAG_PREFIX"]) == (
        gateway.CONFIG_FILE, gateway.VARIANT_HEADER, gateway.TAG_PREFIX)


def test_the_hook_needs_nothing_beside_it_but_litellm_and_its_experiments() -> None:
    """LiteLLM loads `litellm_ab.segment_routing` from litellm_ab.py beside config.yaml (proxy/types_utils/utils.py
    get_instance_fn in 1.81.16); the image has LiteLLM and the standard library, nothing of this package."""
    tree = ast.parse(gateway.HOOK_FILE.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    assert imported - set(sys.stdlib_module_names) == {"litellm"}
