"""Renderings of check results (text, Markdown, JSON, SARIF) and the per-preset compliance report."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .controls import CONTROLS, FRAMEWORKS
from .evaluate import PackResult, Violation
from .graph import GraphLike
from .registry import registry

LEVELS = ("mandatory", "advisory")
EVIDENCE_LIMIT = 8


def summary(results: Sequence[PackResult]) -> dict[str, Any]:
    levels = Counter(v.level for r in results for v in r.violations)
    return {
        "mandatory": levels.get("mandatory", 0),
        "advisory": levels.get("advisory", 0),
        "suppressed": sum(len(r.suppressed) for r in results),
        "remediated": sum(len(r.remediations) for r in results),
        "cannot_evaluate": sum(v.cannot_evaluate for r in results for v in r.violations),
        "by_pack": {r.pack: dict(Counter(v.level for v in r.violations)) for r in results},
    }


def _violation(v: Violation) -> dict[str, Any]:
    return {"policy": v.policy, "level": v.level, "severity": v.severity, "urn": v.urn, "message": v.message}


def to_json(results: Sequence[PackResult], target: dict[str, Any] | None = None) -> str:
    return json.dumps({
        "target": target or {},
        "packs": [{
            "pack": r.pack,
            "policies": [{"policy": p.meta.id, "enforcement": level} for p, level in r.policies],
            "violations": [_violation(v) for v in r.violations],
            "suppressed": [{"policy": s.policy, "urn": s.urn, "message": s.message, "reason": s.reason,
                            "approver": s.approver, "ticket": s.ticket, "expires": s.expires} for s in r.suppressed],
            "remediations": [{"policy": m.policy, "urn": m.urn} for m in r.remediations],
        } for r in results],
        "summary": summary(results),
    }, indent=2)


def _ordered(violations: Sequence[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (LEVELS.index(v.level) if v.level in LEVELS else 9, v.policy))


def to_text(results: Sequence[PackResult]) -> str:
    lines = []
    for r in results:
        lines.append(f"pack {r.pack}: {len(r.violations)} violation(s), {len(r.suppressed)} suppressed")
        for v in _ordered(r.violations):
            lines.append(f"  [{v.level}] {v.policy} ({v.severity}) {v.urn or '(stack)'}\n      {v.message}")
        for s in r.suppressed:
            lines.append(f"  [suppressed] {s.policy} {s.urn or '(stack)'}: {s.reason}")
    counts = summary(results)
    lines.append(f"summary: {counts['mandatory']} mandatory, {counts['advisory']} advisory, "
                 f"{counts['suppressed']} suppressed, {counts['remediated']} remediated")
    return "\n".join(lines)


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def to_markdown(results: Sequence[PackResult]) -> str:
    counts = summary(results)
    lines = ["# Policy check", "",
             f"**{counts['mandatory']} mandatory**, {counts['advisory']} advisory, {counts['suppressed']} "
             f"suppressed, {counts['remediated']} remediated.", ""]
    for r in results:
        lines += [f"## Pack `{r.pack}`", ""]
        if r.violations:
            lines += ["| Level | Policy | Resource | Message |", "|---|---|---|---|"]
            lines += [f"| {v.level} | `{v.policy}` | `{_md(v.urn) or '(stack)'}` | {_md(v.message)} |"
                      for v in _ordered(r.violations)]
        else:
            lines.append("No violations.")
        if r.suppressed:
            lines += ["", "| Suppressed policy | Resource | Reason |", "|---|---|---|"]
            lines += [f"| `{s.policy}` | `{_md(s.urn) or '(stack)'}` | {_md(s.reason)} |" for s in r.suppressed]
        lines.append("")
    return "\n".join(lines)


def to_sarif(results: Sequence[PackResult]) -> str:
    known = registry()
    used = sorted({v.policy for r in results for v in r.violations} | {s.policy for r in results for s in r.suppressed})
    rules = [{
        "id": pid,
        "name": known[pid].meta.title,
        "shortDescription": {"text": known[pid].meta.title},
        "fullDescription": {"text": known[pid].meta.rationale},
        "help": {"text": known[pid].meta.remediation},
        "properties": {"severity": known[pid].meta.severity,
                       "tags": [f"{f} {c}" for f, ids in known[pid].meta.controls.items() for c in ids]},
    } for pid in used]
    sarif_results = []
    for r in results:
        for v in r.violations:
            sarif_results.append(_sarif_result(r.pack, v.policy, v.urn, v.message,
                                               "error" if v.level == "mandatory" else "warning"))
        for s in r.suppressed:
            item = _sarif_result(r.pack, s.policy, s.urn, s.message, "note")
            item["suppressions"] = [{"kind": "external", "justification": s.reason}]
            sarif_results.append(item)
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "blueprints-policies", "rules": rules}}, "results": sarif_results}],
    }, indent=2)


def _sarif_result(pack: str, policy: str, urn: str | None, message: str, level: str) -> dict[str, Any]:
    return {
        "ruleId": policy,
        "level": level,
        "message": {"text": message},
        "locations": [{"logicalLocations": [{"fullyQualifiedName": urn or "stack", "kind": "resource"}]}],
        "properties": {"pack": pack},
    }


RENDERERS = {"text": to_text, "md": to_markdown, "sarif": to_sarif}


def _control_policies() -> dict[tuple[str, str], list[str]]:
    mapping: dict[tuple[str, str], list[str]] = {}
    for pid, policy in registry().items():
        for framework, ids in policy.meta.controls.items():
            for control_id in ids:
                mapping.setdefault((framework, control_id), []).append(pid)
    return mapping


def compliance_report(results: Sequence[PackResult], graph: GraphLike, title: str,
                      frameworks: Sequence[str] = ()) -> str:
    """For reviewers: per framework and control, its status, the evidence resources, open findings and the
    suppressions with their reasons. `frameworks` (names of FRAMEWORKS): the ones the stack claims, every one of
    them reported; none given: all."""
    unknown = [name for name in frameworks if name not in FRAMEWORKS]
    if unknown:
        raise ValueError(f"frameworks: unknown {unknown} (allowed: {', '.join(FRAMEWORKS)})")
    evaluated = {p.meta.id for r in results for p, level in r.policies if level != "disabled"}
    failing: dict[str, list[Violation]] = {}
    for r in results:
        for v in r.violations:
            failing.setdefault(v.policy, []).append(v)
    suppressed = [s for r in results for s in r.suppressed]
    known = registry()
    mapping = _control_policies()
    packs = ", ".join(f"`{r.pack}`" for r in results)
    lines = [f"# Compliance report: {title}", "",
             f"Packs evaluated: {packs}. Generated offline from the resource graph (no cloud access).", "",
             "Status: **pass** (every mapped policy evaluated and clean), **fail** (open findings), "
             "**pass with exceptions** (clean apart from suppressed findings), **not evaluated** (no selected "
             "pack includes a mapped policy), **process** (needs organisational evidence).", ""]
    if frameworks:
        lines += [f"Frameworks the stack claims: {', '.join(frameworks)}.", ""]
    for framework in frameworks or FRAMEWORKS:
        framework_title = FRAMEWORKS[framework]
        lines += [f"## {framework} ({framework_title})", "",
                  "| Control | Title | Status | Policies | Evidence resources |", "|---|---|---|---|---|"]
        for control in (c for c in CONTROLS if c.framework == framework):
            policies = [p for p in mapping.get((framework, control.id), []) if p in evaluated]
            status, evidence = _status(control.kind, policies, failing, suppressed, known, graph)
            if control.kind == "process":
                evidence = [f"ask for: {control.evidence}"]
            lines.append(f"| {control.id} | {control.title} | {status} | "
                         f"{'<br>'.join(f'`{p}`' for p in policies) or '—'} | {'<br>'.join(evidence) or '—'} |")
        lines.append("")
    lines += ["## Open findings", ""]
    open_findings = [v for r in results for v in _ordered(r.violations)]
    lines += [f"- [{v.level}] `{v.policy}` on `{v.urn or 'stack'}`: {v.message}" for v in open_findings] or ["None."]
    lines += ["", "## Suppressions", ""]
    lines += [f"- `{s.policy}` on `{s.urn or 'stack'}`: {s.reason} (approved by {s.approver}, {s.ticket}, expires "
              f"{s.expires}; finding: {s.message})" for s in suppressed] or ["None."]
    return "\n".join(lines) + "\n"


def _status(kind: str, policies: list[str], failing: dict[str, list[Violation]], suppressed: list[Any],
            known: dict[str, Any], graph: GraphLike) -> tuple[str, list[str]]:
    if kind == "process":
        return "process", []
    if not policies:
        return "not evaluated", []
    types = {t for p in policies for t in known[p].meta.applies_to}
    urns = [r.urn for r in graph.resources if r.type in types]
    evidence = [f"`{u}`" for u in urns[:EVIDENCE_LIMIT]]
    if len(urns) > EVIDENCE_LIMIT:
        evidence.append(f"... and {len(urns) - EVIDENCE_LIMIT} more")
    if any(failing.get(p) for p in policies):
        counts = Counter(v.level for p in policies for v in failing.get(p, []))
        return "fail (" + ", ".join(f"{n} {level}" for level, n in sorted(counts.items())) + ")", evidence
    if any(s.policy in policies for s in suppressed):
        return "pass with exceptions", evidence
    return "pass", evidence
