"""`eval run`: every case of a golden set, `repeats` times, against one model of an OpenAI-compatible endpoint.

Finished cases are appended to a journal beside the result file (`<out>.partial`) as they complete, so an
interrupted run resumes where it stopped when the same command is run again. The result file itself appears only
once every case is done; an endpoint that is unreachable or rejects the key at the start leaves no file at all.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from blueprints.errors import BlueprintError
from blueprints.evaluation import checks, judge
from blueprints.evaluation.client import CaseFailed, ChatClient, Prices
from blueprints.evaluation.golden import Case, GoldenSet
from blueprints.evaluation.results import CaseResult, EvalResult, RunInfo, summarize, write
from blueprints.progress import ProgressBar

DEFAULT_MAX_TOKENS = 512
CONTEXT_PREAMBLE = "Answer from the numbered context passages below only; say so when they do not contain the answer."


@dataclass(frozen=True)
class RunOptions:
    endpoint: str
    model: str
    out: Path
    api_key: str | None = None
    concurrency: int = 8
    repeats: int = 1
    temperature: float = 0.0
    timeout_s: float = 120.0
    judge_model: str | None = None
    prices: Prices | None = None
    templates: dict[str, list[dict[str, str]]] | None = None
    """Prompt-template messages by `<model>/<prompt version>` (see `load_templates`)."""


def load_templates(directory: Path) -> dict[str, list[dict[str, str]]]:
    """The prompt-template documents `render` writes (`configs/<region>/prompt-template/*.json`)."""
    templates: dict[str, list[dict[str, str]]] = {}
    for path in sorted(directory.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            templates[f"{document['model']}/{document['prompt_version']}"] = document["messages"]
        except (OSError, ValueError, KeyError, TypeError):
            raise BlueprintError(f"--templates: {str(path)!r} is not a prompt-template document") from None
    return templates


def messages_for(case: Case, templates: dict[str, list[dict[str, str]]] | None) -> list[dict[str, str]]:
    prefix: list[dict[str, str]] = []
    if case.template is not None:
        if not templates or case.template not in templates:
            raise BlueprintError(f"--templates: case {case.id!r} needs prompt template {case.template!r} "
                                 f"(known: {', '.join(sorted(templates or {})) or 'none; pass --templates DIR'})")
        prefix = list(templates[case.template])
    if case.context:
        numbered = "\n".join(f"[{i}] {passage}" for i, passage in enumerate(case.context, start=1))
        prefix.append({"role": "system", "content": f"{CONTEXT_PREAMBLE}\n\n{numbered}"})
    asked = [{"role": "user", "content": case.prompt}] if case.prompt is not None else [
        message.model_dump() for message in case.messages or ()]
    return prefix + asked


def _journal(out: Path) -> Path:
    return out.with_name(f"{out.name}.partial")


def _resume(journal: Path, info: RunInfo) -> list[CaseResult]:
    if not journal.exists():
        return []
    lines = journal.read_text(encoding="utf-8").splitlines()
    if not lines or RunInfo.model_validate_json(lines[0]) != info:
        raise BlueprintError(f"--out: {str(journal)!r} holds an unfinished run of another evaluation (golden set, "
                             "model, endpoint or repeats differ); delete it or choose another --out")
    return [CaseResult.model_validate_json(line) for line in lines[1:] if line.strip()]


class _Evaluator:
    def __init__(self, golden: GoldenSet, options: RunOptions, client: ChatClient, journal: TextIO,
                 progress: ProgressBar):
        self.golden = golden
        self.options = options
        self.client = client
        self.journal = journal
        self.progress = progress
        self.failed = 0
        self._gate = asyncio.Semaphore(options.concurrency)

    async def evaluate(self, case: Case, repeat: int) -> CaseResult:
        async with self._gate:
            options = self.options
            try:
                reply = await self.client.complete(options.model, messages_for(case, options.templates),
                                                   case.max_tokens or DEFAULT_MAX_TOKENS, options.temperature)
            except CaseFailed as error:
                result = CaseResult(id=case.id, repeat=repeat, passed=False, error=str(error))
            else:
                scored = [await self._score(check, case, reply.text) for check in case.checks]
                result = CaseResult(id=case.id, repeat=repeat, passed=all(c.passed for c in scored),
                                    checks=tuple(scored), answer=reply.text, latency_s=round(reply.latency_s, 4),
                                    prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
                                    cost_usd=reply.cost_usd)
        self.journal.write(result.model_dump_json() + "\n")
        self.journal.flush()
        self.failed += not result.passed
        self.progress.label = f"{self.failed} failed"
        self.progress.advance(1)
        return result

    async def _score(self, check: checks.Check, case: Case, answer: str) -> checks.CheckResult:
        if check.type == "judge":
            return await judge.judge(self.client, self.options.judge_model or "", check, case, answer)
        return checks.score(check, case, answer, _similarity())


def _similarity() -> Callable[[str, str], float]:
    from blueprints import local_embeddings  # loads its model only when a case needs it

    return local_embeddings.similarity


def _validate(golden: GoldenSet, options: RunOptions) -> None:
    if not 1 <= options.concurrency <= 256:
        raise BlueprintError(f"--concurrency: 1 to 256 (got {options.concurrency})")
    if not 1 <= options.repeats <= 20:
        raise BlueprintError(f"--repeats: 1 to 20 (got {options.repeats})")
    judged = [case.id for case in golden.cases if any(check.type == "judge" for check in case.checks)]
    if judged and not options.judge_model:
        raise BlueprintError(f"--judge-model: required, {len(judged)} cases have judge checks (e.g. {judged[0]!r})")
    for case in golden.cases:
        messages_for(case, options.templates)  # unknown templates fail before any request
    if not options.out.parent.is_dir():
        raise BlueprintError(f"--out: directory {str(options.out.parent)!r} does not exist")


async def _run(golden: GoldenSet, options: RunOptions, stream: TextIO | None) -> EvalResult:
    info = RunInfo(golden=golden.name, golden_version=golden.version, model=options.model,
                   endpoint=options.endpoint, repeats=options.repeats, judge_model=options.judge_model)
    journal_path = _journal(options.out)
    done = _resume(journal_path, info)
    finished = {(result.id, result.repeat) for result in done}
    todo = [(case, repeat) for repeat in range(options.repeats) for case in golden.cases
            if (case.id, repeat) not in finished]
    started = datetime.now(UTC).isoformat(timespec="seconds")
    async with ChatClient(options.endpoint, options.api_key, options.timeout_s, options.prices,
                          connections=options.concurrency) as client:
        await client.check()
        fresh = not journal_path.exists()
        with journal_path.open("a", encoding="utf-8") as journal:
            if fresh:
                journal.write(info.model_dump_json() + "\n")
            progress = ProgressBar(len(todo) + len(done), stream=stream, unit=lambda count: f"{count:.0f}")
            progress.done = len(done)
            progress.start("cases")
            evaluator = _Evaluator(golden, options, client, journal, progress)
            try:
                async with asyncio.TaskGroup() as group:  # the first endpoint failure cancels the rest
                    tasks = [group.create_task(evaluator.evaluate(case, repeat)) for case, repeat in todo]
            except* BlueprintError as failures:
                progress.finish()
                raise BlueprintError(f"{failures.exceptions[0]}; {progress.done} of {progress.total} cases are kept "
                                     f"in {str(journal_path)!r}: run the same command again to resume") from None
            progress.finish()
            fresh_results = [task.result() for task in tasks]
    order = {case.id: index for index, case in enumerate(golden.cases)}
    results = sorted([*done, *fresh_results], key=lambda r: (r.repeat, order[r.id]))
    result = EvalResult(run=info, started=started, finished=datetime.now(UTC).isoformat(timespec="seconds"),
                        results=tuple(results), summary=summarize(results))
    write(options.out, result)
    journal_path.unlink()
    return result


def run(golden: GoldenSet, options: RunOptions, stream: TextIO | None = None) -> EvalResult:
    _validate(golden, options)
    return asyncio.run(_run(golden, options, stream))
