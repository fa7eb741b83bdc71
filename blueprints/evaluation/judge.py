"""The `judge` check: a named judge model, called through the same endpoint, scores an answer 1-5 on a rubric."""

from __future__ import annotations

import json
import re

from blueprints.evaluation.checks import CheckResult
from blueprints.evaluation.client import CaseFailed, ChatClient
from blueprints.evaluation.golden import Case, Check

INSTRUCTIONS = (
    "You grade one answer of an AI assistant against a rubric. Score it from 1 (fails the rubric) to 5 (fully "
    'meets it). Reply with JSON only: {"score": <1-5>, "reason": "<one sentence>"}.'
)
SCORE = re.compile(r'"score"\s*:\s*([1-5](?:\.\d+)?)|\b([1-5])\b')


def prompt(check: Check, case: Case, answer: str) -> list[dict[str, str]]:
    question = case.prompt if case.prompt is not None else (case.messages or ())[-1].content
    parts = [f"Rubric: {check.value}", f"Question: {question}"]
    if case.reference:
        parts.append(f"Reference answer: {case.reference}")
    if case.context:
        parts.append("Context given to the assistant:\n" + "\n".join(case.context))
    parts.append(f"Answer to grade: {answer}")
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": "\n\n".join(parts)}]


def parse_score(text: str) -> float | None:
    try:
        value = json.loads(text).get("score")
        if isinstance(value, int | float) and 1 <= value <= 5:
            return float(value)
    except (ValueError, AttributeError):
        pass
    match = SCORE.search(text)
    return float(match.group(1) or match.group(2)) if match else None


async def judge(client: ChatClient, judge_model: str, check: Check, case: Case, answer: str) -> CheckResult:
    try:
        reply = await client.complete(judge_model, prompt(check, case, answer), max_tokens=200, temperature=0.0)
    except CaseFailed as error:
        return CheckResult(type="judge", passed=False, score=0.0, detail=f"judge failed: {error}")
    score = parse_score(reply.text)
    if score is None:
        return CheckResult(type="judge", passed=False, score=0.0, detail=f"no score in {reply.text[:120]!r}")
    return CheckResult(type="judge", passed=score >= (check.pass_mark() or 0.0), score=score)
