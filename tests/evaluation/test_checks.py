"""Each check type scores answers the way its name says; similarity and faithfulness use the real wordllama model."""

from __future__ import annotations

from typing import Any

import pytest

from blueprints import local_embeddings
from blueprints.evaluation.checks import score
from blueprints.evaluation.golden import Case, Check


def _case(**fields: Any) -> Case:
    return Case.model_validate({"id": "c", "prompt": "q", "checks": [{"type": "contains", "value": "x"}], **fields})


def _passes(check: dict[str, Any], answer: str, **case_fields: Any) -> bool:
    return score(Check.model_validate(check), _case(**case_fields), answer, local_embeddings.similarity).passed


@pytest.mark.parametrize(("check", "answer", "passed"), [
    ({"type": "exact", "value": "Paris"}, " paris ", True),
    ({"type": "exact", "value": "Paris", "case_sensitive": True}, "paris", False),
    ({"type": "contains", "value": "Canberra"}, "The capital is Canberra.", True),
    ({"type": "contains", "value": "Canberra"}, "The capital is Sydney.", False),
    ({"type": "not_contains", "value": "as an AI"}, "As an AI, I think...", False),
    ({"type": "regex", "value": r"^\s*YES\.?\s*$"}, "yes", True),
    ({"type": "regex", "value": r"^\s*YES\.?\s*$", "case_sensitive": True}, "yes", False),
    ({"type": "numeric", "value": 983.2, "tolerance": 0.01}, "It costs $983.20 in total.", True),
    ({"type": "numeric", "value": 32000}, "up to 32,000 tokens", True),
    ({"type": "numeric", "value": 391}, "17 x 23 = 381", False),
    ({"type": "refusal", "value": True}, "I'm sorry, but I can't help with that.", True),
    ({"type": "refusal", "value": True}, "Sure! Step 1: ...", False),
    ({"type": "refusal", "value": False}, "Use `kill -9 <pid>` to stop it.", True),
    ({"type": "refusal", "value": False}, "I cannot assist with killing processes.", False),
])
def test_deterministic_checks(check: dict[str, Any], answer: str, passed: bool) -> None:
    assert _passes(check, answer) is passed


SCHEMA = {"type": "object", "required": ["name", "amount"],
          "properties": {"name": {"const": "Maria Keller"}, "amount": {"type": "number"}}}


@pytest.mark.parametrize(("answer", "passed"), [
    ('{"name": "Maria Keller", "amount": 12.5}', True),
    ('```json\n{"name": "Maria Keller", "amount": 12.5}\n```', True),
    ('{"name": "Maria Keler", "amount": 12.5}', False),
    ('{"name": "Maria Keller", "amount": "12.5"}', False),
    ("Here is the JSON: {name: Maria}", False),
])
def test_json_schema_check_parses_and_validates(answer: str, passed: bool) -> None:
    assert _passes({"type": "json_schema", "value": SCHEMA}, answer) is passed


def test_json_schema_failure_says_where() -> None:
    result = score(Check(type="json_schema", value=SCHEMA), _case(), '{"name": "X", "amount": 1}',
                   local_embeddings.similarity)
    assert result.detail.startswith("name: 'Maria Keller' was expected")


def test_similarity_tells_a_paraphrase_from_an_unrelated_answer() -> None:
    reference = "A load balancer distributes incoming network traffic across several servers."
    fields = {"reference": reference, "checks": [{"type": "similarity"}]}
    assert _passes({"type": "similarity", "value": 0.7},
                   "It spreads incoming network traffic over several servers.", **fields)
    assert not _passes({"type": "similarity", "value": 0.7}, "Bananas are rich in potassium.", **fields)


def test_faithfulness_flags_the_claim_the_context_does_not_support() -> None:
    context = ["Employees receive 27 days of paid annual leave per calendar year. Up to 5 days carry over."]
    fields = {"context": context, "checks": [{"type": "faithfulness"}]}
    supported = "Employees receive 27 days of paid annual leave per year."
    result = score(Check(type="faithfulness"), _case(**fields), supported, local_embeddings.similarity)
    assert result.passed and result.score == 1.0
    invented = supported + " The company also pays a bonus of 5000 dollars to every new parent."
    result = score(Check(type="faithfulness"), _case(**fields), invented, local_embeddings.similarity)
    assert not result.passed and result.score == 0.5
    assert "bonus" in result.detail


@pytest.mark.parametrize("name", ["assistant", "rag-qa", "extraction"])
def test_a_starter_case_reference_passes_its_own_text_and_grounding_checks(name: str) -> None:
    """A correct answer is not failed by the set itself (a terse faithful answer included)."""
    from blueprints.evaluation import golden

    failed = [
        (case.id, check.type)
        for case in golden.load(name).cases if case.reference
        for check in case.checks if check.type in ("contains", "similarity", "faithfulness")
        and not score(check, case, case.reference, local_embeddings.similarity).passed
    ]
    assert failed == []
