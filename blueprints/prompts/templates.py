"""Resolve the prompt a model version runs with (pure: spec in, templates out).

A prompt version is immutable: editing a prompt means adding a version and re-pinning the model version to
it. `prompt_for` is the single lookup both the gateway config and the rendered artifacts use, so the prompt
that ships is always the one pinned to the model version that serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from blueprints.spec import ModelSpec, PlatformSpec, PromptTemplateSpec, running_versions

ARTIFACT_KIND = "prompt-template"


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt version as pinned to one model version."""

    model: str
    model_version: str
    prompt_version: str
    system: str
    few_shot: tuple[tuple[str, str], ...]
    """(user, assistant) example turns, in order."""

    def messages(self) -> list[dict[str, str]]:
        """What goes before the client's messages: the system prompt, then the few-shot turns."""
        turns = [{"role": "system", "content": self.system}]
        for user, assistant in self.few_shot:
            turns += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        return turns

    def document(self) -> dict[str, Any]:
        return {"model": self.model, "model_version": self.model_version, "prompt_version": self.prompt_version,
                "messages": self.messages()}


def parameter_name(prefix: str, model: str, prompt_version: str) -> str:
    """The SSM parameter holding one prompt version: `/<platform>-<env>-<region>/prompts/<model>/<version>`."""
    return f"/{prefix}/prompts/{model}/{prompt_version}"


def parameter_description(spec: PlatformSpec, model: str, prompt_version: str) -> str:
    """The SSM description of one prompt version: the template's own description, then what it is."""
    template = template_of(spec, model)
    described = f"{template.description} " if template is not None and template.description else ""
    return f"{described}(prompt template of model {model}, version {prompt_version})"


def template_of(spec: PlatformSpec, model_name: str) -> PromptTemplateSpec | None:
    return next((template for template in spec.prompts.templates if template.model == model_name), None)


def prompt_for(spec: PlatformSpec, model_name: str, model_version: str) -> PromptTemplate | None:
    """The prompt pinned to one version of a model; None when the model has no template.

    Raises ValueError for a templated model version without a pin (the spec refuses that for running versions)."""
    template = template_of(spec, model_name)
    if template is None:
        return None
    pinned = spec.prompts.pins.get(model_name, {}).get(model_version)
    if pinned is None:
        raise ValueError(f"prompts.pins[{model_name}]: no prompt version pinned for model version "
                         f"{model_version!r} (pinned: {', '.join(spec.prompts.pins.get(model_name, {})) or 'none'})")
    version = template.version(pinned)
    return PromptTemplate(model=model_name, model_version=model_version, prompt_version=version.version,
                          system=version.system,
                          few_shot=tuple((example.user, example.assistant) for example in version.few_shot))


def running_prompts(spec: PlatformSpec) -> list[PromptTemplate]:
    """The prompt of every running model version that has a template, in model order (stable first)."""
    prompts = []
    for model in spec.serving.models:
        for version in running_versions(model):
            prompt = prompt_for(spec, model.name, version)
            if prompt is not None:
                prompts.append(prompt)
    return prompts


def artifact_files(spec: PlatformSpec) -> dict[str, str]:
    """The `prompt-template` artifact: one JSON file per running model version, named `<model>@<version>.json`
    (what `render` writes and reviewers diff between a rollout and its rollback)."""
    return {f"{prompt.model}@{prompt.model_version}.json": json.dumps(prompt.document(), indent=2, sort_keys=True)
            for prompt in running_prompts(spec)}


def stored_versions(spec: PlatformSpec) -> list[tuple[ModelSpec, str, str]]:
    """(model, prompt version, stored document) of every declared prompt version: all are kept in Parameter Store
    so that a rollback to an earlier model version finds its prompt."""
    models = {model.name: model for model in spec.serving.models}
    return [(models[template.model], version.version, version.model_dump_json())
            for template in spec.prompts.templates for version in template.versions]
