"""Every instance type a preset launches is offered in each of its regions (issue 19 s2): the price snapshot
(blueprints/catalog/regional_prices.json, from SkyPilot's AWS catalog) marks the types its source lists elsewhere but
in no zone of a region; the planner picks a pool's instance types among those offered in every region, a spec that
pins one that is not offered is refused in one line, and every preset's estimate stays within its budget."""

from __future__ import annotations

from datetime import date

import pytest

from blueprints.catalog.regional_prices import not_offered
from blueprints.errors import SpecError
from blueprints.plan import build_plan
from blueprints.presets import load_spec
from tests.conftest import EKS_PRESET_ENVS, PRESET_ENVS

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


def launched_types(graph) -> list[tuple[str, str, str]]:
    """(region, resource name, instance type) for every type a NodePool may launch or a node group runs."""
    found = []
    for record in graph.resources:
        if record.type == NODEPOOL:
            for requirement in record.inputs["spec"]["template"]["spec"]["requirements"]:
                if requirement["key"] == INSTANCE_TYPE_LABEL:
                    found += [(record.region, record.name, name) for name in requirement["values"]]
        elif record.type == NODEGROUP:
            found += [(record.region, record.name, name) for name in record.inputs["instanceTypes"]]
    return found


@pytest.mark.parametrize(("preset", "env"), EKS_PRESET_ENVS)
def test_every_launched_instance_type_is_offered_in_its_region(graph_of, preset, env):
    launched = launched_types(graph_of(preset, env))
    assert launched, "no NodePool or node group found"
    assert [item for item in launched if not_offered(item[0], item[2])] == []


def test_a_pinned_type_not_offered_in_a_region_is_refused_in_one_line():
    overrides = {"cluster": {"gpu_pools": [{"name": "large", "gpu": "H200", "instance_types": ["p5en.48xlarge"]},
                                           {"name": "l40s", "gpu": "L40S"}]},
                 "serving": {"models": [{"name": "reg-large", "tp": 1}]}}
    with pytest.raises(SpecError) as error:
        load_spec("regulated-industry", "prod", overrides=overrides)
    line = next(line for line in str(error.value).splitlines() if "p5en.48xlarge" in line)
    assert ("cluster.gpu_pools[0].instance_types: 'p5en.48xlarge' is not offered in eu-central-1 "
            "(allowed: a GPU family the price snapshot does not mark unavailable in eu-central-1, eu-north-1: ") in line


def test_a_family_offered_in_no_common_region_is_refused_with_what_is():
    """H100 nodes (p5) exist in eu-north-1 but not eu-central-1: no pool of them spans both."""
    overrides = {"cluster": {"gpu_pools": [{"name": "large", "gpu": "H100"}, {"name": "l40s", "gpu": "L40S"}]},
                 "serving": {"models": [{"name": "reg-large", "tp": 1}]}}
    with pytest.raises(SpecError) as error:
        load_spec("regulated-industry", "prod", overrides=overrides)
    assert ("cluster.gpu_pools[0].gpu: 'H100' has no instance type with 1+ GPUs offered in every region "
            "(p5 not offered in eu-central-1) (allowed: a GPU family the price snapshot does not mark unavailable in "
            "eu-central-1, eu-north-1: ") in str(error.value)
    assert "L40S" in str(error.value).split("allowed:")[1]


def test_pool_types_skip_sizes_of_a_family_absent_from_a_region():
    """g6e is absent from eu-west-1; the snapshot has rows for five of its sizes there, the family rule covers the
    rest (g6e.2xlarge, g6e.4xlarge, g6e.48xlarge)."""
    assert not_offered("eu-west-1", "g6e.48xlarge")
    assert not not_offered("eu-central-1", "g6e.48xlarge")


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_no_preset_estimate_exceeds_its_budget(graph_of, preset, env):
    plan = build_plan(load_spec(preset, env), graph_of(preset, env), date(2026, 12, 4))
    assert [warning for warning in plan.warnings if "budget" in warning] == [], plan.summary["budget"]
