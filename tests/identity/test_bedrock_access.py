"""The gateway's Bedrock policy, evaluated the way IAM evaluates it, for every model the gateway's LiteLLM config
calls. AWS (docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html): a call through an
inference profile needs the profile ARN and the foundation-model ARN in every Region the profile routes to; the
condition key bedrock:InferenceProfileArn limits the latter to calls through the profile. The action, the two ARN
formats and the condition key are checked against IAM's own reference as parliament 1.6.4 ships it
(parliament/iam_definition.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import files

import pytest

from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.contracts.bedrock import allowed, bedrock_contract_problems
from blueprints.contracts.iam import PolicyDocument, policy_documents
from blueprints.engine.graph import ResourceGraph
from blueprints.engine.mocks import ACCOUNT_ID
from blueprints.gateway.litellm_config import litellm_config
from blueprints.presets import load_spec
from blueprints.spec import AWS_REGIONS

HOSTED_PRESETS = ("startup-mvp", "saas", "enterprise-assistant")
ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
PROFILE_KEY = "bedrock:InferenceProfileArn"


def _gateway_policy(graph: ResourceGraph, region: str) -> PolicyDocument:
    """The gateway's pod-identity role policy on EKS, or its Fargate task role's inline policy (runtime fargate)."""
    suffix = f"-{AWS_REGIONS[region]}-gateway"
    found = [document for document in policy_documents(graph)
             if (document.type == "aws:iam/rolePolicy:RolePolicy" and document.resource.endswith(suffix))
             or (document.kind == "identity" and document.resource.endswith(f"{suffix}-task"))]
    assert len(found) == 1, [document.resource for document in found]
    return found[0]


@pytest.fixture(scope="module")
def gateways(graph_of: Callable[[str, str], ResourceGraph]) -> list[tuple[str, str, PolicyDocument, list[str]]]:
    """(preset, region, the gateway role's policy, the Bedrock IDs its LiteLLM config calls)."""
    found = []
    for preset in HOSTED_PRESETS:
        spec, graph = load_spec(preset, "prod"), graph_of(preset, "prod")
        for region in spec.regions:
            called = [entry["litellm_params"]["model"].removeprefix("bedrock/")
                      for entry in litellm_config(spec, region)["model_list"]
                      if entry["litellm_params"]["model"].startswith("bedrock/")]
            found.append((preset, region, _gateway_policy(graph, region), sorted(set(called))))
    return found


def test_every_called_model_is_allowed_in_every_region_it_may_run(gateways) -> None:
    """Through a profile: the profile ARN, and the model in each destination Region only through that profile.
    On demand: the model in the gateway's Region."""
    by_id = {model.bedrock_model_id: model for model in HOSTED_MODELS.values()}
    denied = []
    for preset, region, document, called in gateways:
        assert called, preset
        for model_id in called:
            profile = next((p for m in HOSTED_MODELS.values() for p in m.profiles if p.id == model_id), None)
            requests: list[tuple[str, dict[str, str]]]
            if profile is None:
                requests = [(f"arn:aws:bedrock:{region}::foundation-model/{by_id[model_id].bedrock_model_id}", {})]
            else:
                base = model_id.split(".", 1)[1]
                profile_arn = f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{model_id}"
                requests = [(profile_arn, {})] + [
                    (f"arn:aws:bedrock:{where}::foundation-model/{base}", {PROFILE_KEY: profile_arn})
                    for where in profile.destination_regions]
                bare = f"arn:aws:bedrock:{region}::foundation-model/{base}"
                assert not any(allowed(document, action, bare, {}) for action in ACTIONS), \
                    f"{preset} {region}: {base} is callable on demand, not only through {model_id}"
            denied += [f"{preset} {region}: {action} {resource}" for resource, context in requests
                       for action in ACTIONS if not allowed(document, action, resource, context)]
    assert denied == []


def test_sonnet_4_is_granted_through_its_us_profile_in_all_four_destinations(gateways) -> None:
    _, _, document, called = next(g for g in gateways if g[0] == "saas" and g[1] == "us-east-1")
    assert "us.anthropic.claude-sonnet-4-20250514-v1:0" in called
    profile_arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"
    for where in ("us-east-1", "us-east-2", "us-west-1", "us-west-2"):
        assert allowed(document, "bedrock:InvokeModelWithResponseStream",
                        f"arn:aws:bedrock:{where}::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
                        {PROFILE_KEY: profile_arn})


def test_actions_arns_and_condition_key_are_iams_own() -> None:
    definition = json.loads(files("parliament").joinpath("iam_definition.json").read_text())
    bedrock = next(service for service in definition if service["prefix"] == "bedrock")
    formats = {resource["resource"]: resource["arn"] for resource in bedrock["resources"]}
    assert formats["inference-profile"] == (
        "arn:${Partition}:bedrock:${Region}:${Account}:inference-profile/${ResourceId}")
    assert formats["foundation-model"] == "arn:${Partition}:bedrock:${Region}::foundation-model/${ResourceId}"
    for action in ACTIONS:
        privilege = next(p for p in bedrock["privileges"] if f"bedrock:{p['privilege']}" == action)
        types = {kind["resource_type"].rstrip("*"): kind["condition_keys"] for kind in privilege["resource_types"]}
        assert {"inference-profile", "foundation-model"} <= set(types) and PROFILE_KEY in types[""]


def test_the_contract_passes_every_hosted_preset(graph_of: Callable[[str, str], ResourceGraph]) -> None:
    for preset in HOSTED_PRESETS:
        assert bedrock_contract_problems(graph_of(preset, "prod")) == [], preset


def test_the_contract_catches_a_bare_profile_only_id_and_the_old_foundation_model_only_grant(
        graph_of: Callable[[str, str], ResourceGraph]) -> None:
    """What the gateway had before inference profiles: Sonnet 4 by its bare ID, IAM on the model in us-east-1."""
    graph = graph_of("enterprise-assistant", "prod").model_copy(deep=True)
    config_map = next(r for r in graph.of_type("kubernetes:core/v1:ConfigMap")
                      if (r.inputs["metadata"].get("annotations") or {}).get("blueprints.io/artifact-kind")
                      == "litellm-config")
    bare = "bedrock/anthropic.claude-sonnet-4-20250514-v1:0"
    config_map.inputs["data"]["config.yaml"] = config_map.inputs["data"]["config.yaml"].replace(
        "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", bare)
    policy = next(r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-use1-gateway"))
    document = json.loads(policy.inputs["policy"])
    document["Statement"] = [s for s in document["Statement"] if not str(s.get("Sid", "")).startswith(
        ("InvokeThrough", "ProfileDestination"))] + [{
            "Sid": "InvokeConfiguredModels", "Effect": "Allow", "Action": list(ACTIONS),
            "Resource": ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"]}]
    policy.inputs["policy"] = json.dumps(document)
    assert bedrock_contract_problems(graph) == [
        f"us-east-1 LiteLLM assistant-fallback ({bare}): Bedrock serves anthropic.claude-sonnet-4-20250514-v1:0 only "
        "through an inference profile with us-east-1 as a source Region (on-demand throughput isn't supported); "
        "fix: call us.anthropic.claude-sonnet-4-20250514-v1:0"]
    config_map.inputs["data"]["config.yaml"] = config_map.inputs["data"]["config.yaml"].replace(
        bare, "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0")
    problems = bedrock_contract_problems(graph)
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert [problem.split(": the gateway role does not allow ")[1].split(";")[0] for problem in problems] == [
        f"bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream on {profile}",
        *[f"bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream on arn:aws:bedrock:{where}::foundation-model/"
          "anthropic.claude-sonnet-4-20250514-v1:0 through the profile"
          for where in ("us-east-2", "us-west-1", "us-west-2")]]  # us-east-1: the old unconditional grant
