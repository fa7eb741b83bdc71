"""Prompt templates of one region: every declared prompt version as an SSM SecureString (KMS, immutable name
per version) and the prompts of the running model versions as a `prompt-template` artifact ConfigMap.

The gateway applies the prompts itself (see blueprints.prompts.gateway); the parameters are the versioned record
applications and reviewers read: `parameters` maps (model, prompt version) to the parameter name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.kube import apply_manifest
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.prompts.templates import (
    ARTIFACT_KIND,
    artifact_files,
    parameter_description,
    parameter_name,
    stored_versions,
)
from blueprints.retrieval.manifests import artifact_config_map
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

NAMESPACE = GATEWAY_NAMESPACE
"""The prompts ship with the gateway that applies them."""
CONFIG_MAP = "prompt-templates"
PARAMETER_TIER = "Intelligent-Tiering"
"""Standard (free) up to 4 KiB, advanced up to the 8 KiB the spec allows."""


class PromptTemplates(pulumi.ComponentResource):
    parameters: dict[tuple[str, str], str]

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:prompts:PromptTemplates", name, None, opts)
        namer, child = ctx.namer, pulumi.ResourceOptions(parent=self)
        self.parameters = {}
        for model, version, document in stored_versions(spec):
            path = parameter_name(namer.prefix, model.name, version)
            aws.ssm.Parameter(
                namer("prompt", model.name, version), name=path, type="SecureString", value=document,
                key_id=ctx.keys.arn("artifacts"), tier=PARAMETER_TIER,
                description=parameter_description(spec, model.name, version), opts=child,
            )
            self.parameters[(model.name, version)] = path
        files = artifact_files(spec)
        if files:
            # Into the gateway's namespace: created after what this component was told to depend on (the gateway).
            apply_manifest(namer("prompt-templates"),
                           artifact_config_map(CONFIG_MAP, NAMESPACE, ARTIFACT_KIND, files),
                           pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on))
        self.register_outputs({"parameters": {f"{m}/{v}": p for (m, v), p in self.parameters.items()}})
