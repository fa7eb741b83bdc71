"""The apply-time contracts as the commands show them: run over a planned graph, rendered as text, Markdown or JSON
(`check --contracts`), and summarised beside the policy summary (`plan`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from blueprints.contracts.findings import Finding
from blueprints.contracts.registry import BY_ID, Target, run_contracts
from blueprints.engine.graph import ResourceGraph
from blueprints.spec import PlatformSpec

FORMATS = ("text", "md", "json")
Results = dict[str, list[Finding]]


def evaluate(graph: ResourceGraph, spec: PlatformSpec, environment: str, as_of: date) -> Results:
    return run_contracts(graph, Target(environment=environment, private=spec.is_private, as_of=as_of))


def summary(results: Results) -> dict[str, int]:
    """Failures per contract id."""
    return {check: len(findings) for check, findings in results.items()}


def failed(results: Results) -> bool:
    return any(results.values())


def render(results: Results, fmt: str, meta: dict[str, Any]) -> str:
    if fmt == "json":
        return json.dumps({**meta, "passed": not failed(results), "summary": summary(results),
                           "findings": [f.to_dict() for findings in results.values() for f in findings]}, indent=2)
    markdown = fmt == "md"
    title = f"Apply-time contracts: {meta['preset']} ({meta['environment']})"
    lines = [f"# {title}" if markdown else title, ""]
    if markdown:
        lines += ["| contract | result |", "|---|---|"]
    for check, findings in results.items():
        verdict = f"{len(findings)} failure(s)" if findings else "pass"
        lines.append(f"| {check} | {verdict} |" if markdown else f"  {check:<24} {verdict}")
    for check, findings in results.items():
        if not findings:
            continue
        rule = BY_ID[check].rule
        lines += ["", f"## {check}: {rule.title}" if markdown else f"{check}: {rule.title}"]
        for finding in findings:
            bullet = "- " if markdown else "  - "
            lines += [f"{bullet}{'`' + finding.resource + '`' if markdown else finding.resource}: {finding.problem}",
                      f"    rule: {finding.rule} ({finding.doc})", f"    fix: {finding.fix}"]
    total = sum(summary(results).values())
    lines += ["", f"{total} failure(s) in {sum(1 for f in results.values() if f)} of {len(results)} contracts"
              if total else f"all {len(results)} contracts pass"]
    return "\n".join(lines)
