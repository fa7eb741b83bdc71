"""The Amazon Bedrock models the gateway calls, the ID it calls each by, and the IAM that lets it (pure: no pulumi).

A model Bedrock serves on demand is called by its model ID and allowed on its foundation-model ARN in the
gateway's Region. A model served only through a cross-Region inference profile is called by the profile ID of the
gateway Region's geography (`us.`, `eu.`, `apac.`: blueprints/catalog/hosted.py) and needs, as
docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html documents, the inference-profile ARN
plus the foundation-model ARN in every destination Region of the profile; the latter are granted only through the
profile (condition key bedrock:InferenceProfileArn), so the role cannot call the model on demand anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from blueprints.catalog.hosted import HOSTED_MODELS, HostedModel, foundation_model_arn
from blueprints.spec import PlatformSpec

INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
ProfileArn = Callable[[str], Any]
"""Inference-profile ID -> its ARN in the gateway's Region and account (a string, or an Output in a component)."""


def bedrock_models(spec: PlatformSpec) -> dict[str, HostedModel]:
    """Catalog name -> entry of every Bedrock model the gateway invokes: hosted chat models, the semantic cache's
    embedding model and retrieval's embedding model when hosted on Bedrock. None when prompts may not leave."""
    if not spec.compliance.allow_hosted_models:
        return {}
    names = [model.model for model in spec.hosted_models]
    if spec.cache.enabled and spec.cache.semantic:
        names.append(spec.cache.semantic_embedding_model)
    if spec.retrieval.enabled and spec.retrieval.embedding_hosting == "bedrock":
        names.append(spec.retrieval.embedding_model)
    return {name: HOSTED_MODELS[name] for name in dict.fromkeys(names) if name in HOSTED_MODELS}


def litellm_model(model: HostedModel, region: str) -> str:
    """LiteLLM's `model` for a Bedrock model called from `region`. LiteLLM 1.81.16 takes a profile ID as is:
    litellm/llms/bedrock/common_utils.py get_bedrock_base_model strips the geography prefix (one of
    get_bedrock_cross_region_inference_regions: global, us, eu, apac, ...) to find the base model, and
    BedrockModelInfo.get_bedrock_route sends it to the Converse API when that base model is in
    litellm.bedrock_converse_models (every chat model here), so no `bedrock/converse/` route is needed."""
    return f"bedrock/{model.invocation_id(region)}"


class Grant(NamedTuple):
    """One Allow statement of INVOKE_ACTIONS (components/iam.py `allow` writes it)."""

    sid: str
    resources: list[Any]
    condition: dict[str, Any]


def invoke_grants(spec: PlatformSpec, region: str, profile_arn: ProfileArn) -> list[Grant]:
    """The gateway role's Bedrock grants in `region`: on-demand models on their foundation-model ARN; profile
    models on the profile ARN, and on the foundation-model ARN in every destination Region only through it."""
    on_demand: list[Any] = []
    profiles: list[Any] = []
    destinations: list[Any] = []
    for model in bedrock_models(spec).values():
        profile = model.profile_in(region) if model.invocation == "INFERENCE_PROFILE" else None
        if profile is None:
            on_demand.append(foundation_model_arn(region, model.bedrock_model_id))
            continue
        profiles.append(profile_arn(profile.id))
        destinations += [foundation_model_arn(where, model.bedrock_model_id) for where in profile.destination_regions]
    grants = [Grant("InvokeOnDemandModels", on_demand, {})] if on_demand else []
    if profiles:
        grants += [Grant("InvokeThroughInferenceProfiles", profiles, {}),
                   Grant("ProfileDestinationModels", destinations,
                         {"StringEquals": {"bedrock:InferenceProfileArn": profiles}})]
    return grants
