"""Golden sets: versioned JSONL files, one case per line.

A case is `{"id", "messages" | "prompt" (+ "template"), "context"?, "reference"?, "checks": [...], "tags"?,
"max_tokens"?}`. A set's version is the SHA-256 of its bytes, so two results are comparable exactly when they were
scored on the same file. Starter sets ship in `golden/` beside this module (see its LICENSE).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from blueprints.errors import BlueprintError

STARTER_DIR = Path(__file__).with_name("golden")
CheckType = Literal["exact", "contains", "not_contains", "regex", "json_schema", "refusal", "numeric", "similarity",
                    "judge", "faithfulness"]
DEFAULT_THRESHOLDS: dict[str, float] = {"similarity": 0.8, "judge": 4.0, "faithfulness": 0.6}
"""`similarity`: cosine to the reference; `judge`: rubric score 1-5; `faithfulness`: each sentence of the answer is
supported by the context: its numbers all appear there, and this share of its content words does or it reaches this
similarity to one context sentence (see checks.supported)."""
TEXT_CHECKS = ("exact", "contains", "not_contains", "regex")


class Check(BaseModel):
    """One check of an answer. `value` by type: the text (exact, contains, not_contains), a pattern (regex), a
    JSON Schema (json_schema), true/false (refusal), a number (numeric, with `tolerance`), a threshold
    (similarity, faithfulness: default in DEFAULT_THRESHOLDS), a rubric (judge, with `threshold`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: CheckType
    value: Any = None
    tolerance: float = Field(0.0, ge=0)
    threshold: float | None = None
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _value_fits_type(self) -> Check:
        value = self.value
        if self.type in TEXT_CHECKS and (not isinstance(value, str) or not value):
            raise ValueError(f"value: {self.type} needs a non-empty string (got {value!r})")
        if self.type == "regex":
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"value: not a regular expression ({error})") from None
        if self.type == "json_schema":
            if not isinstance(value, dict):
                raise ValueError(f"value: json_schema needs a JSON Schema object (got {type(value).__name__})")
            try:
                Draft202012Validator.check_schema(value)
            except SchemaError as error:
                raise ValueError(f"value: not a valid JSON Schema ({error.message})") from None
        if self.type == "refusal" and not isinstance(value, bool):
            raise ValueError(f"value: refusal needs true or false (got {value!r})")
        if self.type == "numeric" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"value: numeric needs a number (got {value!r})")
        if self.type in ("similarity", "faithfulness") and value is not None and not (
                isinstance(value, int | float) and 0 < value <= 1):
            raise ValueError(f"value: {self.type} needs a threshold in (0, 1] (got {value!r})")
        if self.type == "judge":
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"value: judge needs a rubric (got {value!r})")
            if self.threshold is not None and not 1 <= self.threshold <= 5:
                raise ValueError(f"threshold: judge scores 1-5 (got {self.threshold})")
        return self

    def pass_mark(self) -> float | None:
        """The score a scored check must reach (None for checks that simply pass or fail)."""
        if self.type == "judge":
            return self.threshold if self.threshold is not None else DEFAULT_THRESHOLDS["judge"]
        if self.type in ("similarity", "faithfulness"):
            return float(self.value) if self.value is not None else DEFAULT_THRESHOLDS[self.type]
        return None


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    messages: tuple[Message, ...] | None = None
    prompt: str | None = None
    template: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*/[A-Za-z0-9._-]+$")
    """`<model>/<prompt version>` from the prompt registry (`--templates DIR` of rendered prompt-template files):
    its messages go before the prompt. Through the gateway the pinned template is applied already: leave it out."""
    context: tuple[str, ...] | None = None
    """RAG passages, given to the model in a system message and read by the faithfulness check."""
    reference: str | None = None
    checks: tuple[Check, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()
    max_tokens: int | None = Field(None, ge=1, le=32768)

    @model_validator(mode="before")
    @classmethod
    def _context_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("context"), str):
            return {**data, "context": [data["context"]]}
        return data

    @model_validator(mode="after")
    def _complete(self) -> Case:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("give exactly one of `messages` and `prompt`")
        if self.messages is not None and (not self.messages or self.messages[-1].role != "user"):
            raise ValueError("messages: must end with a user message")
        if self.template is not None and self.prompt is None:
            raise ValueError("template: only with `prompt`")
        kinds = {check.type for check in self.checks}
        if "similarity" in kinds and not self.reference:
            raise ValueError("reference: a similarity check needs the case's reference answer")
        if "faithfulness" in kinds and not self.context:
            raise ValueError("context: a faithfulness check needs the case's context passages")
        return self


class GoldenSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    """`sha256:<hex>` of the file's bytes."""
    cases: tuple[Case, ...]

    def case(self, case_id: str) -> Case:
        return next(case for case in self.cases if case.id == case_id)


def starter_sets() -> list[str]:
    return sorted(path.stem for path in STARTER_DIR.glob("*.jsonl"))


def resolve(reference: str) -> Path:
    """A golden set by path, or by the name of a starter set (`assistant`, `rag-qa`, `extraction`)."""
    path = Path(reference)
    if path.is_file():
        return path
    starter = STARTER_DIR / f"{reference}.jsonl"
    if starter.is_file() and "/" not in reference:
        return starter
    raise BlueprintError(f"--golden: no file {reference!r} (give a JSONL path or a starter set: "
                         f"{', '.join(starter_sets())})")


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def load(reference: str | Path) -> GoldenSet:
    """Read and validate a golden set; every problem names the file, the line and the field."""
    path = resolve(str(reference))
    raw = path.read_bytes()
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(raw.decode("utf-8", errors="strict").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BlueprintError(f"{path}:{number}: not JSON ({error.msg})") from None
        try:
            case = Case.model_validate(record)
        except ValidationError as error:
            raise BlueprintError(f"{path}:{number}: {_problem(error)}") from None
        if case.id in seen:
            raise BlueprintError(f"{path}:{number}: id: {case.id!r} appears twice (ids must be unique)")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise BlueprintError(f"--golden: {str(path)!r} has no cases")
    return GoldenSet(name=path.stem, version=f"sha256:{hashlib.sha256(raw).hexdigest()}", cases=tuple(cases))
