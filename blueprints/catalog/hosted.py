"""Amazon Bedrock models the presets route to (as a tier or a fallback): token prices, how each is invoked, and
the cross-Region inference profiles of the models Bedrock serves only through a profile.

Claude Sonnet 4 and other newer models answer a bare foundation-model ID with "Invocation of model ID ... with
on-demand throughput isn't supported": they are called through a system-defined inference profile whose ID is
the model ID prefixed by its geography (`us.`, `eu.`, `apac.`). A profile is called from one of its source Regions
and routes each request to one of its destination Regions, so IAM must allow the profile and the model in every
destination Region (docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html). Global
(`global.`) profiles route to any commercial Region and are never chosen here: they cross every residency.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from blueprints.catalog.lookup import lookup

_SOURCE = "aws.amazon.com/bedrock/pricing, on-demand, us-east-1 (or the launch region), as listed 2025"
PROFILES_SOURCE = ("docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html (Supported "
                   "cross-Region inference profiles: source and destination Regions per profile), as listed 2025; "
                   "`preflight` compares each with GetInferenceProfile in the account")

Invocation = Literal["ON_DEMAND", "INFERENCE_PROFILE"]
"""How a bare model ID may be called (ListFoundationModels' inferenceTypesSupported): ON_DEMAND, or only through an
inference profile."""
Geography = Literal["us", "eu", "apac"]

US = ("us-east-1", "us-east-2", "us-west-2")
US_WITH_WEST_1 = ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
EU_CORE = ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3")
EU_WITH_SOUTH = ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")
APAC = ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1",
        "ap-southeast-2", "ap-southeast-4")


class InferenceProfile(BaseModel, frozen=True):
    """A system-defined cross-Region inference profile: called from a source Region, served in a destination one."""

    geography: Geography
    id: str
    source_regions: tuple[str, ...]
    destination_regions: tuple[str, ...]
    source: str = PROFILES_SOURCE


def inference_profile_arn(region: str, account_id: str, profile_id: str) -> str:
    """A system-defined profile as IAM names it when called from `region` (it exists in every account)."""
    return f"arn:aws:bedrock:{region}:{account_id}:inference-profile/{profile_id}"


def foundation_model_arn(region: str, model_id: str) -> str:
    """AWS-owned: no account in the ARN."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def _profiles(model_id: str, **regions: tuple[str, ...]) -> tuple[InferenceProfile, ...]:
    """One profile per geography whose source Regions are its destination Regions (true of every profile here)."""
    return tuple(InferenceProfile(geography=geography, id=f"{geography}.{model_id}",  # type: ignore[arg-type]
                                  source_regions=where, destination_regions=where)
                 for geography, where in regions.items())


class HostedModel(BaseModel, frozen=True):
    name: str
    bedrock_model_id: str
    """The foundation model's own ID (its ARN in every Region; the base of its inference profiles' IDs)."""
    kind: Literal["chat", "embedding"]
    usd_per_1m_input: float
    usd_per_1m_output: float
    """0 for embedding models (billed on input tokens only)."""
    source: str = _SOURCE
    invocation: Invocation = "ON_DEMAND"
    profiles: tuple[InferenceProfile, ...] = ()
    """Cross-Region inference profiles, one per geography; required where `invocation` is INFERENCE_PROFILE. A
    profile bills the same per-token price as the model (it is priced under the catalog name, not its ID)."""

    def usd_for(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.usd_per_1m_input + output_tokens * self.usd_per_1m_output) / 1e6

    def profile_in(self, region: str) -> InferenceProfile | None:
        """The profile a caller in `region` uses: the one listing `region` as a source (its geography's)."""
        return next((profile for profile in self.profiles if region in profile.source_regions), None)

    def invocation_problem(self, region: str, allowed_regions: list[str] | None) -> str | None:
        """Why this model cannot be called from `region` without leaving `allowed_regions` (None: it can)."""
        if self.invocation == "ON_DEMAND":
            return None
        profile = self.profile_in(region)
        if profile is None:
            return f"is invocable only through an inference profile and none has {region} as a source Region"
        outside = [where for where in profile.destination_regions if allowed_regions is not None
                   and where not in allowed_regions]
        if outside:
            return (f"is invocable only through inference profile {profile.id}, which also routes to "
                    f"{', '.join(outside)}, outside residency.allowed_regions")
        return None

    def invocation_id(self, region: str) -> str:
        """What a caller in `region` names: the model ID on demand, else its geography's inference profile ID."""
        if self.invocation == "ON_DEMAND":
            return self.bedrock_model_id
        profile = self.profile_in(region)
        if profile is None:
            raise ValueError(f"{self.name}: {self.invocation_problem(region, None)}")
        return profile.id


def invocable_models(region: str, allowed_regions: list[str] | None, kind: str) -> list[str]:
    """Catalog names of `kind` callable from `region` without leaving `allowed_regions`."""
    return [name for name, model in HOSTED_MODELS.items()
            if model.kind == kind and model.invocation_problem(region, allowed_regions) is None]


HOSTED_MODELS: dict[str, HostedModel] = {
    model.name: model
    for model in (
        HostedModel(
            name="claude-sonnet-4",
            bedrock_model_id="anthropic.claude-sonnet-4-20250514-v1:0",
            kind="chat",
            usd_per_1m_input=3.00,
            usd_per_1m_output=15.00,
            invocation="INFERENCE_PROFILE",
            profiles=_profiles("anthropic.claude-sonnet-4-20250514-v1:0", us=US_WITH_WEST_1, eu=EU_WITH_SOUTH,
                               apac=APAC),
        ),
        HostedModel(
            name="claude-3.7-sonnet",
            bedrock_model_id="anthropic.claude-3-7-sonnet-20250219-v1:0",
            kind="chat",
            usd_per_1m_input=3.00,
            usd_per_1m_output=15.00,
            invocation="INFERENCE_PROFILE",
            profiles=_profiles("anthropic.claude-3-7-sonnet-20250219-v1:0", us=US, eu=EU_CORE, apac=APAC),
        ),
        HostedModel(
            name="claude-3.5-haiku",
            bedrock_model_id="anthropic.claude-3-5-haiku-20241022-v1:0",
            kind="chat",
            usd_per_1m_input=0.80,
            usd_per_1m_output=4.00,
            invocation="INFERENCE_PROFILE",
            profiles=_profiles("anthropic.claude-3-5-haiku-20241022-v1:0", us=US),
        ),
        HostedModel(
            name="claude-3-haiku",
            bedrock_model_id="anthropic.claude-3-haiku-20240307-v1:0",
            kind="chat",
            usd_per_1m_input=0.25,
            usd_per_1m_output=1.25,
        ),
        HostedModel(
            name="llama-3.3-70b",
            bedrock_model_id="meta.llama3-3-70b-instruct-v1:0",
            kind="chat",
            usd_per_1m_input=0.72,
            usd_per_1m_output=0.72,
            invocation="INFERENCE_PROFILE",
            profiles=_profiles("meta.llama3-3-70b-instruct-v1:0", us=US),
        ),
        HostedModel(
            name="llama-3.1-8b",
            bedrock_model_id="meta.llama3-1-8b-instruct-v1:0",
            kind="chat",
            usd_per_1m_input=0.22,
            usd_per_1m_output=0.22,
            invocation="INFERENCE_PROFILE",
            profiles=_profiles("meta.llama3-1-8b-instruct-v1:0", us=US),
        ),
        HostedModel(
            name="llama-3.1-405b",
            bedrock_model_id="meta.llama3-1-405b-instruct-v1:0",
            kind="chat",
            usd_per_1m_input=2.40,
            usd_per_1m_output=2.40,
        ),
        HostedModel(
            name="titan-embed-text-v2",
            bedrock_model_id="amazon.titan-embed-text-v2:0",
            kind="embedding",
            usd_per_1m_input=0.02,
            usd_per_1m_output=0.0,
        ),
        HostedModel(
            name="cohere-embed-english-v3",
            bedrock_model_id="cohere.embed-english-v3",
            kind="embedding",
            usd_per_1m_input=0.10,
            usd_per_1m_output=0.0,
        ),
        HostedModel(
            name="titan-embed-text-v1",
            bedrock_model_id="amazon.titan-embed-text-v1",
            kind="embedding",
            usd_per_1m_input=0.10,
            usd_per_1m_output=0.0,
        ),
        HostedModel(
            name="cohere-embed-multilingual-v3",
            bedrock_model_id="cohere.embed-multilingual-v3",
            kind="embedding",
            usd_per_1m_input=0.10,
            usd_per_1m_output=0.0,
        ),
    )
}


def hosted_named(name: str, what: str = "hosted") -> HostedModel:
    return lookup(HOSTED_MODELS, name, what)
