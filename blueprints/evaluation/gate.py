"""`eval gate`: a release's evaluation gate. Evaluates the stable and the candidate version of a model on one
golden set through the gateway, compares them, and stores both result files and the verdict together, in a
directory or under an S3 prefix (the artifacts bucket, in the cluster's eval Job):

    <location>/baseline.json   <location>/candidate.json   <location>/verdict.json

`rollout step --eval <location>` recomputes the verdict from the two result files, so promotion never rests on a
verdict file alone. The gateway serves each running version of a model as `<model>@<version>` for this.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, TextIO

import boto3
from pydantic import BaseModel, ConfigDict

from blueprints.errors import BlueprintError
from blueprints.evaluation import version_model
from blueprints.evaluation.compare import Comparison, compare
from blueprints.evaluation.golden import GoldenSet
from blueprints.evaluation.results import EvalResult, read
from blueprints.evaluation.runner import RunOptions, run

BASELINE, CANDIDATE, VERDICT = "baseline.json", "candidate.json", "verdict.json"


class Location:
    """A local directory or an `s3://bucket/prefix/` where the gate's three files live."""

    def __init__(self, text: str):
        self.text = text.rstrip("/")
        self.s3 = self.text.startswith("s3://")
        if self.s3:
            bucket, _, prefix = self.text.removeprefix("s3://").partition("/")
            if not bucket:
                raise BlueprintError(f"--out: {text!r} names no bucket (e.g. s3://bucket/evals/model/version)")
            self.bucket, self.prefix = bucket, f"{prefix}/" if prefix else ""

    def put(self, name: str, path: Path) -> None:
        if self.s3:
            boto3.client("s3").upload_file(str(path), self.bucket, self.prefix + name)
        else:
            Path(self.text).mkdir(parents=True, exist_ok=True)
            (Path(self.text) / name).write_bytes(path.read_bytes())

    def read(self, name: str, flag: str) -> EvalResult:
        if not self.s3:
            return read(Path(self.text) / name, flag)
        with TemporaryDirectory() as scratch:
            local = Path(scratch) / name
            boto3.client("s3").download_file(self.bucket, self.prefix + name, str(local))
            return read(local, flag)


class Verdict(BaseModel):
    """What the gate decided, also written as one JSON line to stdout (the Job's log is the audit trail)."""

    model_config = ConfigDict(frozen=True)

    event: str = "evaluation-gate"
    at: str
    model: str
    stable: str
    candidate: str
    golden: str
    golden_version: str
    not_worse: bool
    comparison: dict[str, Any]
    location: str


def judge(baseline: EvalResult, candidate: EvalResult, model: str, stable: str, version: str,
          **thresholds: float) -> Comparison:
    """Compare after checking each result is of the version it claims (exit 2 otherwise)."""
    for result, expected, flag in ((baseline, stable, BASELINE), (candidate, version, CANDIDATE)):
        if result.run.model != version_model(model, expected):
            raise BlueprintError(f"--eval: {flag} evaluated {result.run.model!r}, not "
                                 f"{version_model(model, expected)!r}")
    return compare(baseline, candidate, **thresholds)


def gate(golden: GoldenSet, options: RunOptions, model: str, stable: str, candidate: str, location: Location,
         stream: TextIO | None = None, **thresholds: float) -> Verdict:
    with TemporaryDirectory() as scratch:
        results = {}
        for name, version in ((BASELINE, stable), (CANDIDATE, candidate)):
            out = Path(scratch) / name
            results[name] = run(golden, replace(options, model=version_model(model, version), out=out), stream)
            location.put(name, out)
        comparison = judge(results[BASELINE], results[CANDIDATE], model, stable, candidate, **thresholds)
        verdict = Verdict(
            at=datetime.now(UTC).isoformat(timespec="seconds"), model=model, stable=stable, candidate=candidate,
            golden=golden.name, golden_version=golden.version, not_worse=comparison.not_worse,
            comparison=json.loads(json.dumps(asdict(comparison))), location=location.text,
        )
        verdict_file = Path(scratch) / VERDICT
        verdict_file.write_text(verdict.model_dump_json(indent=1) + "\n", encoding="utf-8")
        location.put(VERDICT, verdict_file)
    return verdict
