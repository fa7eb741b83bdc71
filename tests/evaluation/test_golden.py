"""Golden sets: the starter sets load, and a bad line is refused naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blueprints.errors import BlueprintError
from blueprints.evaluation import golden


@pytest.mark.parametrize("name", ["assistant", "rag-qa", "extraction"])
def test_starter_sets_have_fifty_valid_cases_each(name: str) -> None:
    loaded = golden.load(name)
    assert len(loaded.cases) >= 50
    assert loaded.version.startswith("sha256:") and len(loaded.version) == 7 + 64
    kinds = {check.type for case in loaded.cases for check in case.checks}
    assert kinds, name


def test_starter_sets_cover_the_use_cases_checks() -> None:
    kinds = {name: {check.type for case in golden.load(name).cases for check in case.checks}
             for name in golden.starter_sets()}
    assert {"contains", "numeric", "regex", "refusal", "similarity"} <= kinds["assistant"]
    assert {"faithfulness", "contains", "regex"} <= kinds["rag-qa"]
    assert {"json_schema"} <= kinds["extraction"]
    assert (golden.STARTER_DIR / "LICENSE").read_text().count("CC0") >= 1


def _write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


GOOD = {"id": "a", "prompt": "2+2?", "checks": [{"type": "numeric", "value": 4}]}


@pytest.mark.parametrize(("record", "message"), [
    ("{not json", "set.jsonl:2: not JSON"),
    ({"id": "b", "checks": [{"type": "contains", "value": "x"}]}, "give exactly one of `messages` and `prompt`"),
    ({"id": "b", "prompt": "x", "checks": []}, "checks: Tuple should have at least 1 item"),
    ({"id": "b", "prompt": "x", "checks": [{"type": "regex", "value": "("}]}, "not a regular expression"),
    ({"id": "b", "prompt": "x", "checks": [{"type": "json_schema", "value": {"type": "nope"}}]},
     "not a valid JSON Schema"),
    ({"id": "b", "prompt": "x", "checks": [{"type": "similarity"}]}, "needs the case's reference answer"),
    ({"id": "b", "prompt": "x", "checks": [{"type": "faithfulness"}]}, "needs the case's context passages"),
    ({"id": "b", "prompt": "x", "checks": [{"type": "numeric", "value": "4"}]}, "numeric needs a number"),
    ({"id": "b", "prompt": "x", "checks": [{"type": "spelling", "value": "x"}]}, "checks.0.type"),
    ({"id": "a", "prompt": "x", "checks": [{"type": "contains", "value": "x"}]}, "'a' appears twice"),
    ({"id": "b", "messages": [{"role": "assistant", "content": "x"}], "checks": [{"type": "refusal", "value": True}]},
     "must end with a user message"),
])
def test_a_bad_case_is_refused_with_file_line_and_field(tmp_path: Path, record: object, message: str) -> None:
    path = _write(tmp_path, GOOD, record)
    with pytest.raises(BlueprintError, match=r"set\.jsonl:2: ") as error:
        golden.load(path)
    assert message in str(error.value)


def test_unknown_set_names_the_starter_sets(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError, match="assistant, extraction, rag-qa"):
        golden.load(tmp_path / "missing.jsonl")


def test_version_changes_with_the_content(tmp_path: Path) -> None:
    first = golden.load(_write(tmp_path, GOOD)).version
    second = golden.load(_write(tmp_path, {**GOOD, "prompt": "3+1?"})).version
    assert first != second
