"""Bedrock Guardrails for the gateway (`gateway.bedrock_guardrail`): the guardrail and a published version of it,
the one IAM statement that lets the gateway apply it, and the LiteLLM config that names it. Its id and version exist
only once AWS has created it, so they reach the `litellm-config` ConfigMap as outputs (deploy time), and the pods
roll when the version changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import yaml

from blueprints.components.iam import allow
from blueprints.gateway.guardrails import bedrock_guardrail_entry, bedrock_guardrail_request
from blueprints.gateway.litellm_config import render_config
from blueprints.gateway.manifests import CONFIG_KEY
from blueprints.iam_policy import Statement
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

APPLY_ACTION = "bedrock:ApplyGuardrail"
VERSION_ANNOTATION = "blueprints.io/bedrock-guardrail"
"""Pod template annotation `<id>:<version>`: a new guardrail version rolls the gateway (the config is read at start)."""


def with_bedrock_guardrail(config_yaml: str, region: str, identifier: str, version: str) -> str:
    """The rendered LiteLLM config with the Bedrock guardrail after the gateway's own guardrails."""
    config = yaml.safe_load(config_yaml)
    config["guardrails"] = [*config.get("guardrails", []), bedrock_guardrail_entry(region, identifier, version)]
    return render_config(config)


class BedrockContentGuardrail(pulumi.ComponentResource):
    """`identifier`, `version` and `arn` of the published guardrail."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:gateway:BedrockContentGuardrail", name, None, opts)
        self._region = ctx.region
        child = pulumi.ResourceOptions(parent=self)
        request = bedrock_guardrail_request(spec, ctx.namer("gateway-guardrail"))
        guardrail = aws.bedrock.Guardrail(
            name, name=request["name"], description=request["description"],
            blocked_input_messaging=request["blockedInputMessaging"],
            blocked_outputs_messaging=request["blockedOutputsMessaging"],
            content_policy_config={"filters_configs": [
                {"type": item["type"], "input_strength": item["inputStrength"],
                 "output_strength": item["outputStrength"]}
                for item in request["contentPolicyConfig"]["filtersConfig"]]},
            opts=child)
        # A new version is published whenever the guardrail's settings change (its draft is replaced).
        published = aws.bedrock.GuardrailVersion(
            name, guardrail_arn=guardrail.guardrail_arn, description="Applied by the LLM gateway",
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["guardrailArn"], depends_on=[guardrail]))
        self.identifier: pulumi.Output[str] = guardrail.guardrail_id
        self.version: pulumi.Output[str] = published.version
        self.arn: pulumi.Output[str] = guardrail.guardrail_arn
        self.register_outputs({"identifier": self.identifier, "version": self.version, "arn": self.arn})

    def statements(self) -> list[Statement]:
        """ApplyGuardrail on this guardrail only."""
        return [allow([APPLY_ACTION], [self.arn], "ApplyContentGuardrail")]

    def attach(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """The gateway's ConfigMap with the guardrail in its config, its Deployment annotated with the version;
        other manifests as they are."""
        if manifest["kind"] == "ConfigMap" and CONFIG_KEY in manifest.get("data", {}):
            data = manifest["data"]
            return {**manifest, "data": pulumi.Output.all(self.identifier, self.version).apply(
                lambda ids: {**data, CONFIG_KEY: with_bedrock_guardrail(data[CONFIG_KEY], self._region, *ids)})}
        if manifest["kind"] == "Deployment":
            template = manifest["spec"]["template"]
            annotations = {**template["metadata"].get("annotations", {}),
                           VERSION_ANNOTATION: pulumi.Output.concat(self.identifier, ":", self.version)}
            return {**manifest, "spec": {**manifest["spec"], "template": {
                **template, "metadata": {**template["metadata"], "annotations": annotations}}}}
        return manifest
