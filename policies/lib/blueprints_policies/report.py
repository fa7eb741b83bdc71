"""Renderings of check results (text, Markdown, JSON, SARIF) and the per-preset compliance report.

Every rendering carries the report's provenance (project commit, pack versions, stack config, time, tool versions:
provenance.py) and, per finding, the offending property values of the resource and where the program registered it
(evidence.py) when the graph is given.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from . import evidence
from .controls import CONTROLS, FRAMEWORKS
from .evaluate import PackResult, Violation
from .graph import GraphLike, RecordLike
from .provenance import ROOT
from .registry import registry

LEVELS = ("mandatory", "advisory")
EVIDENCE_LIMIT = 8
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""The `id` of the OASIS SARIF 2.1.0 (errata 01) schema, sarif-2.1/schema/sarif-schema-2.1.0.json of
oasis-tcs/sarif-spec (pinned in blueprints/upstream.lock.yaml)."""
SRCROOT = "%SRCROOT%"


@dataclass(frozen=True)
class ReportContext:
    """What a rendering may add to the verdicts: the graph they were computed on and the provenance."""

    graph: GraphLike | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    root: Path = ROOT

    @cached_property
    def _records(self) -> dict[str, RecordLike]:
        return {r.urn: r for r in self.graph.resources} if self.graph is not None else {}

    def evidence(self, urn: str | None, message: str) -> dict[str, Any]:
        record = self._records.get(urn or "")
        return evidence.values(record.inputs, message) if record is not None else {}

    def locations(self, urn: str | None) -> list[evidence.Location]:
        """The component that registered the resource first (the innermost frame in a file that defines a
        ComponentResource, rather than a shared helper such as components/kube.py), then the other frames innermost
        first; the stack file for stack-level findings and unknown resources."""
        found = evidence.locations(self._records.get(urn or ""))
        if not found and self.graph is not None:
            return [evidence.stack_file(self.graph, self.root)]
        component = next((loc for loc in found if evidence.defines_component(self.root / loc.path)), None)
        return [component, *(loc for loc in found if loc is not component)] if component else found


NO_CONTEXT = ReportContext()


def _shown(values: Mapping[str, Any]) -> str:
    return "; ".join(f"{path} = {'(absent)' if value is None else json.dumps(value)}" for path, value in values.items())


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


def _violation(v: Violation, context: ReportContext) -> dict[str, Any]:
    locations = context.locations(v.urn)
    return {"policy": v.policy, "level": v.level, "severity": v.severity, "urn": v.urn, "message": v.message,
            "evidence": context.evidence(v.urn, v.message),
            "location": {"path": locations[0].path, "line": locations[0].line} if locations else None}


def to_json(results: Sequence[PackResult], target: dict[str, Any] | None = None,
            context: ReportContext = NO_CONTEXT) -> str:
    return json.dumps({
        "target": target or {},
        "provenance": dict(context.provenance),
        "packs": [{
            "pack": r.pack,
            "policies": [{"policy": p.meta.id, "enforcement": level} for p, level in r.policies],
            "violations": [_violation(v, context) for v in r.violations],
            "suppressed": [{"policy": s.policy, "urn": s.urn, "message": s.message, "reason": s.reason,
                            "approver": s.approver, "ticket": s.ticket, "expires": s.expires} for s in r.suppressed],
            "remediations": [{"policy": m.policy, "urn": m.urn} for m in r.remediations],
        } for r in results],
        "summary": summary(results),
    }, indent=2, default=str)


def _provenance_lines(provenance: Mapping[str, Any]) -> list[str]:
    if not provenance:
        return []
    project, stack = provenance.get("project", {}), provenance.get("stack", {})
    tools = ", ".join(f"{name} {version}" for name, version in provenance.get("tools", {}).items() if version)
    return [
        f"generated {provenance.get('generated_at')} from commit {project.get('commit')}"
        + (" (uncommitted changes)" if project.get("dirty") else ""),
        "packs " + ", ".join(f"{name} {version}" for name, version in provenance.get("packs", {}).items()),
        "stack " + ", ".join(f"{key}={json.dumps(value)}" for key, value in stack.items()),
        f"tools {tools}",
    ]


def _ordered(violations: Sequence[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (LEVELS.index(v.level) if v.level in LEVELS else 9, v.policy))


def to_text(results: Sequence[PackResult], context: ReportContext = NO_CONTEXT) -> str:
    lines = [f"# {line}" for line in _provenance_lines(context.provenance)]
    for r in results:
        lines.append(f"pack {r.pack}: {len(r.violations)} violation(s), {len(r.suppressed)} suppressed")
        for v in _ordered(r.violations):
            lines.append(f"  [{v.level}] {v.policy} ({v.severity}) {v.urn or '(stack)'}\n      {v.message}")
            found = context.evidence(v.urn, v.message)
            if found:
                lines.append(f"      evidence: {_shown(found)}")
            locations = context.locations(v.urn)
            if locations:
                lines.append(f"      at: {locations[0].path}:{locations[0].line}")
        for s in r.suppressed:
            lines.append(f"  [suppressed] {s.policy} {s.urn or '(stack)'}: {s.reason}")
    counts = summary(results)
    lines.append(f"summary: {counts['mandatory']} mandatory, {counts['advisory']} advisory, "
                 f"{counts['suppressed']} suppressed, {counts['remediated']} remediated")
    return "\n".join(lines)


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _md_source(context: ReportContext, urn: str | None) -> str:
    locations = context.locations(urn)
    return f"`{locations[0].path}:{locations[0].line}`" if locations else "—"


def to_markdown(results: Sequence[PackResult], context: ReportContext = NO_CONTEXT) -> str:
    counts = summary(results)
    lines = ["# Policy check", "",
             f"**{counts['mandatory']} mandatory**, {counts['advisory']} advisory, {counts['suppressed']} "
             f"suppressed, {counts['remediated']} remediated.", ""]
    lines += [f"- {_md(line)}" for line in _provenance_lines(context.provenance)] + [""] * bool(context.provenance)
    for r in results:
        lines += [f"## Pack `{r.pack}`", ""]
        if r.violations:
            lines += ["| Level | Policy | Resource | Message | Evidence | Source |", "|---|---|---|---|---|---|"]
            lines += [f"| {v.level} | `{v.policy}` | `{_md(v.urn) or '(stack)'}` | {_md(v.message)} | "
                      f"{_md(_shown(context.evidence(v.urn, v.message))) or '—'} | {_md_source(context, v.urn)} |"
                      for v in _ordered(r.violations)]
        else:
            lines.append("No violations.")
        if r.suppressed:
            lines += ["", "| Suppressed policy | Resource | Reason |", "|---|---|---|"]
            lines += [f"| `{s.policy}` | `{_md(s.urn) or '(stack)'}` | {_md(s.reason)} |" for s in r.suppressed]
        lines.append("")
    return "\n".join(lines)


def to_sarif(results: Sequence[PackResult], context: ReportContext = NO_CONTEXT) -> str:
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
                                               "error" if v.level == "mandatory" else "warning", context))
        for s in r.suppressed:
            item = _sarif_result(r.pack, s.policy, s.urn, s.message, "note", context)
            item["suppressions"] = [{"kind": "external", "justification": s.reason}]
            sarif_results.append(item)
    version = (context.provenance.get("tools") or {}).get("llm-platform-blueprints")
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "blueprints-policies", **({"version": version} if version else {}),
                            "rules": rules}},
        "results": sarif_results,
        "columnKind": "unicodeCodePoints",
    }
    if context.provenance:
        run["properties"] = {"provenance": dict(context.provenance)}
        generated = context.provenance.get("generated_at")
        if generated:
            run["invocations"] = [{"executionSuccessful": True, "endTimeUtc": _utc(generated)}]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, default=str)


def _utc(iso: str) -> str:
    """SARIF dates are ISO 8601 in UTC with a Z (SARIF 2.1.0 §3.9)."""
    return iso.replace("+00:00", "Z")


def _sarif_location(location: evidence.Location) -> dict[str, Any]:
    """SARIF 2.1.0 §3.29 physicalLocation: artifactLocation (§3.4, uri relative to %SRCROOT%) and region (§3.30)."""
    return {"physicalLocation": {"artifactLocation": {"uri": location.path, "uriBaseId": SRCROOT},
                                 "region": {"startLine": location.line}}}


def _sarif_result(pack: str, policy: str, urn: str | None, message: str, level: str,
                  context: ReportContext) -> dict[str, Any]:
    located = context.locations(urn)
    primary: dict[str, Any] = _sarif_location(located[0]) if located else {}
    primary["logicalLocations"] = [{"fullyQualifiedName": urn or "stack", "kind": "resource"}]
    result: dict[str, Any] = {
        "ruleId": policy,
        "level": level,
        "message": {"text": message},
        "locations": [primary],
        "properties": {"pack": pack, "evidence": context.evidence(urn, message)},
    }
    if len(located) > 1:
        # The callers that led to the registration (the component's caller, the platform), innermost first.
        result["relatedLocations"] = [{"id": index, **_sarif_location(loc), "message": {"text": "called from"}}
                                      for index, loc in enumerate(located[1:], start=1)]
    return result


RENDERERS = {"text": to_text, "md": to_markdown, "sarif": to_sarif}


def _control_policies() -> dict[tuple[str, str], list[str]]:
    mapping: dict[tuple[str, str], list[str]] = {}
    for pid, policy in registry().items():
        for framework, ids in policy.meta.controls.items():
            for control_id in ids:
                mapping.setdefault((framework, control_id), []).append(pid)
    return mapping


def compliance_report(results: Sequence[PackResult], graph: GraphLike, title: str,
                      frameworks: Sequence[str] = (), provenance: Mapping[str, Any] | None = None) -> str:
    """For reviewers: per framework and control, its status, the evidence resources, open findings and the
    suppressions with their reasons. `frameworks` (names of FRAMEWORKS): the ones the stack claims, every one of
    them reported; none given: all. Evidence of a failing control is the offending property values; of a passing
    one, how many resources its policies judged."""
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
    context = ReportContext(graph=graph, provenance=provenance or {})
    packs = ", ".join(f"`{r.pack}`" for r in results)
    lines = [f"# Compliance report: {title}", "",
             f"Packs evaluated: {packs}. Generated offline from the resource graph (no cloud access).", ""]
    lines += [f"- {_md(line)}" for line in _provenance_lines(context.provenance)] + [""] * bool(provenance)
    lines += [
             "Status: **pass** (every mapped policy evaluated and clean), **fail** (open findings), "
             "**pass with exceptions** (clean apart from suppressed findings), **not evaluated** (no selected "
             "pack includes a mapped policy), **process** (needs organisational evidence).", ""]
    if frameworks:
        lines += [f"Frameworks the stack claims: {', '.join(frameworks)}.", ""]
    for framework in frameworks or FRAMEWORKS:
        framework_title = FRAMEWORKS[framework]
        lines += [f"## {framework} ({framework_title})", "",
                  "| Control | Title | Coverage | Status | Policies | Evidence |", "|---|---|---|---|---|---|"]
        for control in (c for c in CONTROLS if c.framework == framework):
            policies = [p for p in mapping.get((framework, control.id), []) if p in evaluated]
            status, evidence = _status(control.kind, policies, failing, suppressed, known, context)
            if control.kind == "process":
                evidence = [f"ask for: {control.evidence}"]
            lines.append(f"| {control.id} | {control.title} | {control.coverage or '—'} | {status} | "
                         f"{'<br>'.join(f'`{p}`' for p in policies) or '—'} | {'<br>'.join(evidence) or '—'} |")
        lines.append("")
    lines += ["## Open findings", ""]
    open_findings = [v for r in results for v in _ordered(r.violations)]
    lines += [f"- [{v.level}] `{v.policy}` on `{v.urn or 'stack'}`: {v.message}"
              + (f" (evidence: {_shown(found)})" if (found := context.evidence(v.urn, v.message)) else "")
              for v in open_findings] or ["None."]
    lines += ["", "## Suppressions", ""]
    lines += [f"- `{s.policy}` on `{s.urn or 'stack'}`: {s.reason} (approved by {s.approver}, {s.ticket}, expires "
              f"{s.expires}; finding: {s.message})" for s in suppressed] or ["None."]
    return "\n".join(lines) + "\n"


def _status(kind: str, policies: list[str], failing: dict[str, list[Violation]], suppressed: list[Any],
            known: dict[str, Any], context: ReportContext) -> tuple[str, list[str]]:
    if kind == "process":
        return "process", []
    if not policies:
        return "not evaluated", []
    findings = [v for p in policies for v in failing.get(p, [])]
    if findings:
        counts = Counter(v.level for v in findings)
        evidence = [f"`{(v.urn or 'stack').rsplit('::', 1)[-1]}` ({v.policy}): "
                    f"{_md(_shown(context.evidence(v.urn, v.message)) or v.message)}"
                    for v in findings[:EVIDENCE_LIMIT]]
        if len(findings) > EVIDENCE_LIMIT:
            evidence.append(f"... and {len(findings) - EVIDENCE_LIMIT} more (Open findings)")
        return "fail (" + ", ".join(f"{n} {level}" for level, n in sorted(counts.items())) + ")", evidence
    types = {t for p in policies for t in known[p].meta.applies_to}
    judged = sum(1 for r in context.graph.resources if r.type in types) if context.graph is not None else 0
    evidence = [f"{judged} resource(s) judged, none failing"]
    if any(s.policy in policies for s in suppressed):
        return "pass with exceptions", evidence
    return "pass", evidence
