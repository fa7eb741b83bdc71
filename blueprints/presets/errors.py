"""Turn pydantic's validation errors into one line per problem: config path, value given, what is allowed."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from blueprints.spec import PlatformSpec

# A message that starts with a field path ("tp: ...", "serving.models[0].gpu_pool: ...") names its own field.
_SEGMENT = r"[a-z_]+(?:\[[^\]]+\])?"
_LEADING_PATH = re.compile(rf"^(?P<path>{_SEGMENT}(?:\.{_SEGMENT})*): (?P<rest>.*)$", re.S)


def format_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _contains(document: Any, loc: tuple[str | int, ...]) -> bool:
    """Whether `document` (plain YAML data) sets the value at `loc`."""
    node = document
    for part in loc:
        in_list = isinstance(part, int) and isinstance(node, list) and part < len(node)
        in_map = isinstance(part, str) and isinstance(node, dict) and part in node
        if not (in_list or in_map):
            return False
        node = node[part]
    return True


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The spec model that a location points into, for listing the allowed field names."""
    model: Any = PlatformSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """list[X] -> X, X | None -> X; anything else unchanged."""
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        candidates = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _unwrap(candidates[0]) if len(candidates) == 1 else annotation
    return annotation


def describe_errors(
    error: ValidationError, overrides: dict[str, Any], preset: str
) -> list[str]:
    problems: list[str] = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        message = item["msg"].removeprefix("Value error, ")
        for line in message.split("\n"):
            problems.append(_describe(loc, item["type"], line, item.get("input"), overrides, preset))
    return problems


def _describe(
    loc: tuple[str | int, ...], kind: str, message: str, value: Any, overrides: dict[str, Any], preset: str
) -> str:
    path = format_path(loc)
    leading = _LEADING_PATH.match(message)
    if leading and kind == "value_error":
        path = f"{path}.{leading['path']}" if path and not leading["path"].startswith(path) else leading["path"]
        message = leading["rest"]
        where = _where(path, overrides, preset)
        return f"{where}{path}: {message}"
    where = _where(path, overrides, preset)
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent else "see blueprints/spec.py"
        return f"{where}{path}: unknown field (got {value!r}; allowed fields: {allowed})"
    # Our own validators name the value in their message; pydantic's built-in checks don't.
    shown = "" if kind == "value_error" or isinstance(value, dict) else f" (got {value!r})"
    return f"{where}{path}: {message}{shown}"


def _where(path: str, overrides: dict[str, Any], preset: str) -> str:
    """`overrides.` when the user's stack config set this path, else the preset that did."""
    loc = tuple(int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]", path) if p)
    return "overrides." if _contains(overrides, loc) else f"preset {preset}: "
