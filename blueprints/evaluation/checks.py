"""Scoring one answer against one check. Deterministic checks and the embedding-based ones (similarity,
faithfulness) live here; the judge, which calls a model, is in `judge`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict

from blueprints.evaluation.golden import Case, Check

Similarity = Callable[[str, str], float]

REFUSAL = re.compile(
    r"\b(I\s+(?:can(?:no|')t|am\s+(?:not\s+able|unable)|won't|will\s+not|must\s+decline|'m\s+(?:not\s+able|unable))"
    r"|I'm\s+sorry,?\s+but|I\s+am\s+sorry,?\s+but|(?:cannot|can't|won't)\s+(?:help|assist|provide)\s+with"
    r"|against\s+(?:my|the)\s+(?:guidelines|policy|policies))",
    re.IGNORECASE,
)
"""Phrasings of a refusal in English, as instruction-tuned models commonly word them."""
NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
SENTENCE = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"[^\W\d_]{3,}")
STEM = 5
"""Words are compared by their first letters, so "receives" supports "receive"."""
STOPWORDS = frozenset({
    "the", "and", "are", "was", "were", "for", "with", "that", "this", "from", "have", "has", "had", "not", "but",
    "you", "your", "they", "their", "there", "which", "what", "when", "where", "who", "whom", "will", "would", "can",
    "could", "should", "may", "might", "must", "also", "into", "onto", "than", "then", "them", "these", "those",
    "its", "our", "per", "any", "all", "each", "every", "such", "only", "some", "very", "more", "most", "other",
    "been", "being", "does", "did", "doing", "about", "after", "before", "over", "under", "within", "between",
})


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    passed: bool
    score: float
    """1/0 for pass/fail checks; the cosine (similarity), supported share (faithfulness) or rubric score (judge)."""
    detail: str = ""


def _fold(text: str, check: Check) -> str:
    return text if check.case_sensitive else text.casefold()


def parse_json(answer: str) -> object:
    """The answer as JSON, also when a model wraps it in a ```json fence. Raises ValueError."""
    fenced = FENCE.match(answer)
    return json.loads(fenced.group(1) if fenced else answer)


def sentences(text: str) -> list[str]:
    return [part.strip() for line in text.splitlines() for part in SENTENCE.split(line) if part.strip()]


def _text_check(check: Check, answer: str) -> CheckResult:
    value = str(check.value)
    if check.type == "exact":
        passed = _fold(answer.strip(), check) == _fold(value.strip(), check)
    elif check.type == "contains":
        passed = _fold(value, check) in _fold(answer, check)
    elif check.type == "not_contains":
        passed = _fold(value, check) not in _fold(answer, check)
    else:
        passed = re.search(value, answer, 0 if check.case_sensitive else re.IGNORECASE) is not None
    return CheckResult(type=check.type, passed=passed, score=float(passed))


def _json_schema(check: Check, answer: str) -> CheckResult:
    try:
        document = parse_json(answer)
    except ValueError as error:
        return CheckResult(type=check.type, passed=False, score=0.0, detail=f"not JSON: {error}")
    problem = next(iter(Draft202012Validator(check.value).iter_errors(document)), None)
    detail = "" if problem is None else f"{'/'.join(map(str, problem.absolute_path)) or '(root)'}: {problem.message}"
    return CheckResult(type=check.type, passed=problem is None, score=float(problem is None), detail=detail[:300])


def _numeric(check: Check, answer: str) -> CheckResult:
    numbers = [float(match.replace(",", "")) for match in NUMBER.findall(answer)]
    target = float(check.value)
    passed = any(abs(number - target) <= check.tolerance for number in numbers)
    found = ", ".join(f"{number:g}" for number in numbers[:5]) or "none"
    return CheckResult(type=check.type, passed=passed, score=float(passed), detail=f"numbers found: {found}")


def _numbers(text: str) -> set[float]:
    return {float(match.replace(",", "")) for match in NUMBER.findall(text)}


def _stems(text: str) -> set[str]:
    return {word[:STEM] for word in WORD.findall(text.casefold()) if word not in STOPWORDS}


def supported(claim: str, context: str, passages: list[str], similarity: Similarity, mark: float) -> bool:
    """A claim is supported when every number in it is in the context, and either most of its content words are
    (a terse answer: "35 days.") or it says the same as one context sentence (a paraphrase)."""
    numbers = _numbers(claim)
    if not numbers <= _numbers(context):
        return False
    words = _stems(claim)
    if not words:
        return bool(numbers)  # "At 07:30."
    if len(words & _stems(context)) / len(words) >= mark:
        return True
    return max(similarity(claim, passage) for passage in passages) >= mark


def _faithfulness(check: Check, case: Case, answer: str, similarity: Similarity) -> CheckResult:
    claims = sentences(answer)
    context = "\n".join(case.context or ())
    passages = [sentence for passage in case.context or () for sentence in sentences(passage) or [passage]]
    if not claims:
        return CheckResult(type=check.type, passed=False, score=0.0, detail="empty answer")
    mark = check.pass_mark() or 0.0
    unsupported = [claim for claim in claims if not supported(claim, context, passages, similarity, mark)]
    share = 1 - len(unsupported) / len(claims)
    detail = f"unsupported: {unsupported[0][:120]!r}" if unsupported else ""
    return CheckResult(type=check.type, passed=not unsupported, score=share, detail=detail)


def score(check: Check, case: Case, answer: str, similarity: Similarity) -> CheckResult:
    """Every check type but `judge`."""
    if check.type in ("exact", "contains", "not_contains", "regex"):
        return _text_check(check, answer)
    if check.type == "json_schema":
        return _json_schema(check, answer)
    if check.type == "refusal":
        refused = REFUSAL.search(answer) is not None
        return CheckResult(type=check.type, passed=refused == check.value, score=float(refused == check.value),
                           detail="refused" if refused else "answered")
    if check.type == "numeric":
        return _numeric(check, answer)
    if check.type == "similarity":
        cosine = similarity(answer, case.reference or "")
        return CheckResult(type=check.type, passed=cosine >= (check.pass_mark() or 0.0), score=cosine)
    if check.type == "faithfulness":
        return _faithfulness(check, case, answer, similarity)
    raise ValueError(f"{check.type}: scored by the judge, not here")
