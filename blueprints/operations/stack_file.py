"""Read and edit a stack's config file, `stacks/Pulumi.<stack>.yaml`, the file `pulumi up` and the offline engine
both read. Edits go through a round-trip YAML parser: comments, key order and every other key survive.

A model's rollout state lives at `llm-platform:overrides.serving.models[<i>].versions`, where `<i>` is the
model's index in the preset. Overrides merge lists of mappings item by item, so the items before it are
written as `{}` (no change) when the file has none.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from blueprints.errors import BlueprintError
from blueprints.presets import load_spec
from blueprints.spec import ModelSpec, PlatformSpec
from blueprints.stack_config import PROJECT, check_document, read_text, yaml_problem

OVERRIDES_KEY = f"{PROJECT}:overrides"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _plain(node: Any) -> Any:
    """Round-trip YAML nodes as plain dicts and lists."""
    return json.loads(json.dumps(node))


@dataclass
class StackFile:
    stack: str
    path: Path
    document: CommentedMap

    @classmethod
    def load(cls, stack: str, stacks_dir: Path) -> StackFile:
        path = stacks_dir / f"Pulumi.{stack}.yaml"
        if not path.is_file():
            raise BlueprintError(
                f"--stack: no stack config file {str(path)!r} (create it with `pulumi stack init {stack}`)"
            )
        try:
            document = _yaml().load(read_text(path))
        except YAMLError as error:
            raise yaml_problem(path, error) from None
        check_document(path, _plain(document))
        return cls(stack=stack, path=path, document=document)

    @property
    def config(self) -> CommentedMap:
        return self.document.setdefault("config", CommentedMap())

    def value(self, key: str) -> Any:
        return _plain(self.config.get(f"{PROJECT}:{key}"))

    @property
    def preset(self) -> str:
        preset = self.value("preset")
        if not preset:
            raise BlueprintError(f"{self.path}: config `{PROJECT}:preset` is not set")
        return str(preset)

    @property
    def environment(self) -> str:
        return str(self.value("environment") or "dev")

    def spec(self) -> PlatformSpec:
        """The validated spec this stack deploys, exactly as `pulumi up` would build it."""
        return load_spec(
            self.preset, self.environment, overrides=self.value("overrides"), regions=self.value("regions")
        )

    def model(self, name: str) -> tuple[int, ModelSpec]:
        spec = self.spec()
        for index, model in enumerate(spec.serving.models):
            if model.name == name:
                return index, model
        names = ", ".join(model.name for model in spec.serving.models) or "none"
        raise BlueprintError(f"--model: no model named {name!r} in stack {self.stack!r} (allowed: {names})")

    def set_model_versions(self, name: str, versions: dict[str, Any]) -> None:
        """Write one model's whole `versions` block into the overrides; the rest of the file is untouched."""
        index, _ = self.model(name)
        overrides = self.config.setdefault(OVERRIDES_KEY, CommentedMap())
        serving = overrides.setdefault("serving", CommentedMap())
        models = serving.setdefault("models", CommentedSeq())
        while len(models) <= index:
            models.append(CommentedMap())
        models[index]["versions"] = CommentedMap(versions)

    def render(self) -> str:
        buffer = io.StringIO()
        _yaml().dump(self.document, buffer)
        return buffer.getvalue()

    def save(self) -> None:
        """Validate the edited config as a spec first, then replace the file atomically."""
        self.spec()
        temporary = self.path.with_suffix(".yaml.tmp")
        temporary.write_text(self.render(), encoding="utf-8")
        temporary.replace(self.path)
