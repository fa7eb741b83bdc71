"""`plan`: run the real program under mocks and print what it would build, what it costs, and a diagram."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime

from blueprints.commands import _contracts
from blueprints.commands._target import add_target_arguments, resolve_target
from blueprints.commands.check import check_graph, default_packs
from blueprints.engine import collector, program
from blueprints.engine.timing import Phases
from blueprints.errors import BlueprintError
from blueprints.plan import CostDelta, Plan, build_plan, compare, mermaid
from blueprints.presets import ENVIRONMENTS, load_spec

NAME = "plan"
HELP = "show, offline, every resource a preset would create per region, its monthly cost and a diagram"


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--format", choices=("text", "md", "json"), default="text")
    parser.add_argument("--timings", action="store_true",
                        help="also print the wall and CPU time of each phase to stderr (`timing: ...` lines)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"),
                        help="per-line cost deltas of two targets, each PRESET, PRESET:ENV or ENV (ENV: of --preset; "
                             "a bare PRESET: in --env)")


def run(args: argparse.Namespace) -> int:
    if args.compare:
        return run_compare(args)
    with collector.paused():  # bounded work; the garbage of one plan is a few MB
        return plan_target(args)


def plan_target(args: argparse.Namespace) -> int:
    phases = Phases()
    target = resolve_target(args)
    with phases("spec"):
        spec = load_spec(target.preset, target.environment, target.overrides, target.regions)
    print(f"planning {target.preset} ({target.environment}) in {', '.join(spec.regions)} under mocks...",
          file=sys.stderr)
    with phases("graph"):
        graph = program.build_graph(target.preset, target.environment, target.regions, target.overrides)
    today = datetime.now(UTC).date()
    with phases("cost"):
        plan = build_plan(spec, graph, as_of=today)
    with phases("diagram"):
        diagram = mermaid(graph)
    with phases("policies"):
        policy = policy_summary(graph, default_packs(spec.compliance.level))
    with phases("contracts"):
        contracts = _contracts.summary(_contracts.evaluate(graph, spec, target.environment, today))
    with phases("output"):
        print(render_output(args.format, plan, diagram, policy, contracts))
    if args.timings:
        phases.report(sys.stderr)
    return 0


def render_output(fmt: str, plan: Plan, diagram: str, policy: dict[str, dict[str, int]],
                  contracts: dict[str, int]) -> str:
    if fmt == "json":
        return json.dumps({**plan.model_dump(), "diagram": diagram, "policy": policy, "contracts": contracts},
                          indent=2, default=str)
    heading = "## " if fmt == "md" else ""
    lines = [render_text(plan, diagram, markdown=fmt == "md"),
             f"\n{heading}Policy summary (`python -m blueprints check` for details)"]
    lines += [f"  {pack}: " + ", ".join(f"{count} {level}" for level, count in counts.items())
              for pack, counts in policy.items()]
    lines.append(f"\n{heading}Contract summary (`python -m blueprints check --contracts` for details)")
    lines += [f"  {check}: {f'{failures} failure(s)' if failures else 'pass'}" for check, failures in contracts.items()]
    return "\n".join(lines)


def policy_summary(graph, packs: list[str]) -> dict[str, dict[str, int]]:
    """Violations per pack and enforcement level, plus suppressed findings."""
    summary = {}
    for result in check_graph(graph, packs):
        counts = Counter(violation.level for violation in result.violations)
        summary[result.pack] = {"mandatory": counts["mandatory"], "advisory": counts["advisory"],
                                "suppressed": len(result.suppressed)}
    return summary


def render_text(plan: Plan, diagram: str, markdown: bool) -> str:
    heading = "## " if markdown else ""
    lines = [f"{'# ' if markdown else ''}Plan: {plan.preset} ({plan.environment}), {plan.summary['resources']} "
             f"resources in {', '.join(plan.regions)}", ""]
    for region in [*plan.regions, "global"]:
        components = plan.inventory.get(region)
        if not components:
            continue
        lines.append(f"{heading}{region}")
        if markdown:
            lines += ["", "| component | resource type | count |", "|---|---|---:|"]
        for component, types in sorted(components.items()):
            for resource_type, count in sorted(types.items()):
                lines.append(f"| {component} | `{resource_type}` | {count} |" if markdown
                             else f"  {component:<22} {resource_type:<60} {count:>4}")
        lines.append("")
    lines += cost_section(plan, markdown)
    if markdown:
        lines += ["", f"{heading}Diagram", "", "```mermaid", diagram, "```"]
    return "\n".join(lines)


def cost_section(plan: Plan, markdown: bool) -> list[str]:
    """Every bill line (fixed, usage, GPU) with its unit-price source, the totals, the budget and price warnings."""
    money = plan.summary["monthly_usd"]
    heading = "## " if markdown else ""
    lines = [f"{heading}Monthly cost estimate (USD, list prices; EC2 price snapshot of {plan.summary['prices_as_of']}"
             f"; usage from spec.usage)"]
    if markdown:
        lines += ["", "| region | kind | item | USD/month | detail | unit price source |", "|---|---|---|---:|---|---|"]
    grouped: dict[tuple[str, str, str], list] = {}
    for line in plan.costs:
        grouped.setdefault((line.region, line.kind, line.item), []).append(line)
    for (region, kind, item), group in sorted(grouped.items()):
        total = sum(line.usd_per_month for line in group)
        detail = group[0].detail if len(group) == 1 else f"{len(group)} x"
        if markdown:
            lines.append(f"| {region} | {kind} | {item} | {total:,.2f} | {detail} | {group[0].source} |")
        else:
            lines.append(f"  {region:<13} {kind:<6} {item:<40} {total:>12,.2f}  {detail}")
    if markdown:
        lines.append("")  # ends the table
    for line in plan.gpu_fleet:
        lines.append(f"  GPU {line.model} @ {line.region}: {line.min_replicas}-{line.max_replicas} pods on whole "
                     f"{line.instance_type} nodes ({line.price_region} prices), {line.floor_usd_per_month:,.2f} warm "
                     f"floor .. {line.peak_usd_per_month:,.2f} at peak (${line.usd_per_1m_output_tokens:.2f}/1M output "
                     "tokens)")
    lines.append(f"  {plan.summary['gateway']}")
    lines.append(f"  {plan.summary['data_plane']}")
    lines.append(f"  fixed {money['fixed']:,.2f} + usage {money['usage']:,.2f} + GPU {money['gpu_floor']:,.2f}.."
                 f"{money['gpu_peak']:,.2f}")
    lines.append(f"  total: {money['total_floor']:,.2f} (floor) .. {money['total_peak']:,.2f} (peak)")
    lines.append(f"  budget: {plan.summary['budget']}")
    lines += [f"  warning: {warning}" for warning in plan.warnings]
    return lines


def compare_target(token: str, args: argparse.Namespace) -> tuple[str, str]:
    """`PRESET:ENV`, `ENV` (of --preset) or `PRESET` (in --env, default dev) -> (preset, environment)."""
    preset, _, environment = token.partition(":")
    if not environment and preset in ENVIRONMENTS:
        if not args.preset:
            raise BlueprintError(f"--compare: {token!r} is an environment; give --preset too, or write PRESET:{token}")
        preset, environment = args.preset, preset
    environment = environment or args.env or "dev"
    if environment not in ENVIRONMENTS:
        raise BlueprintError(f"--compare: unknown environment {environment!r} in {token!r} "
                             f"(allowed: {', '.join(ENVIRONMENTS)})")
    return preset, environment


def run_compare(args: argparse.Namespace) -> int:
    targets = [compare_target(token, args) for token in args.compare]
    specs = [load_spec(preset, environment) for preset, environment in targets]
    today = datetime.now(UTC).date()
    plans = []
    for spec, (preset, environment) in zip(specs, targets, strict=True):
        print(f"planning {preset} ({environment}) under mocks...", file=sys.stderr)
        plans.append(build_plan(spec, program.build_graph(preset, environment, None, {}), as_of=today))
    deltas = compare(*plans)
    names = [f"{preset}:{environment}" for preset, environment in targets]
    if args.format == "json":
        print(json.dumps({"a": names[0], "b": names[1],
                          "lines": [{**d.model_dump(), "delta": d.delta} for d in deltas],
                          "totals": {key: {"a": plans[0].summary["monthly_usd"][key],
                                           "b": plans[1].summary["monthly_usd"][key]}
                                     for key in plans[0].summary["monthly_usd"]}}, indent=2))
    else:
        print(render_compare(names, deltas, plans, markdown=args.format == "md"))
    return 0


def render_compare(names: list[str], deltas: list[CostDelta], plans: list[Plan], markdown: bool) -> str:
    a, b = names
    if markdown:
        lines = [f"# Cost: {a} vs {b} (USD/month)", "", f"| region | kind | item | {a} | {b} | delta |",
                 "|---|---|---|---:|---:|---:|"]
        lines += [f"| {d.region} | {d.kind} | {d.item} | {d.a_usd_per_month:,.2f} | {d.b_usd_per_month:,.2f} | "
                  f"{d.delta:+,.2f} |" for d in deltas if d.a_usd_per_month or d.b_usd_per_month]
    else:
        lines = [f"Cost: A = {a}, B = {b} (USD/month)",
                 f"  {'region':<13} {'kind':<9} {'item':<40} {'A':>12} {'B':>12} {'B - A':>12}"]
        lines += [f"  {d.region:<13} {d.kind:<9} {d.item:<40} {d.a_usd_per_month:>12,.2f} {d.b_usd_per_month:>12,.2f} "
                  f"{d.delta:>+12,.2f}" for d in deltas if d.a_usd_per_month or d.b_usd_per_month]
    for key in ("fixed", "usage", "gpu_floor", "gpu_peak", "total_floor", "total_peak"):
        first, second = (plan.summary["monthly_usd"][key] for plan in plans)
        delta = second - first
        lines.append(f"| | total | {key} | {first:,.2f} | {second:,.2f} | {delta:+,.2f} |" if markdown
                     else f"  {'':<13} {'total':<9} {key:<40} {first:>12,.2f} {second:>12,.2f} {delta:>+12,.2f}")
    return "\n".join(lines)
