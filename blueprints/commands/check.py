"""`python -m blueprints check`: evaluate the CrossGuard policy packs offline against a preset's resource graph.

The program runs under mocks (blueprints.engine.program.build_graph); the packs' own pulumi_policy objects are
called in-process with the same enforcement semantics as `pulumi preview --policy-pack`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blueprints.commands._target import Target, add_target_arguments, check_writable, resolve_target
from blueprints.errors import BlueprintError
from blueprints.presets import ENVIRONMENTS

POLICY_LIB = Path(__file__).resolve().parents[2] / "policies" / "lib"
if str(POLICY_LIB) not in sys.path:
    sys.path.insert(0, str(POLICY_LIB))

from blueprints_policies import crossguard, provenance, report, suppressions  # noqa: E402
from blueprints_policies.controls import SPEC_FRAMEWORKS  # noqa: E402
from blueprints_policies.evaluate import PackResult, evaluate  # noqa: E402
from blueprints_policies.graph import GraphLike  # noqa: E402
from blueprints_policies.model import ENFORCEMENT_RANK  # noqa: E402
from blueprints_policies.packs import PACKS  # noqa: E402

NAME = "check"
HELP = "evaluate the policy packs (baseline, regulated, ...) against a preset offline"
FORMATS = ("text", "md", "json", "sarif")
DEFAULT_PACKS = ("baseline", "cost-guardrails", "kubernetes-workloads")
# What a policy's entry in --pack-config may set: its level plus the stack context policies read
# (blueprints_policies.context: environment, residency; eks-standard-support: asOf).
POLICY_PROPERTIES = ("enforcementLevel", "environment", "residency", "asOf")


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--pack", action="append", choices=sorted(PACKS), metavar="NAME",
                        help=f"pack to evaluate, repeatable (default: {', '.join(DEFAULT_PACKS)}, plus regulated "
                             f"when the spec's compliance.level is regulated; choices: {', '.join(sorted(PACKS))})")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--fail-on", choices=("mandatory", "advisory"), default="mandatory",
                        help="exit 1 when a violation at or above this level remains (default mandatory)")
    parser.add_argument("--pack-config", type=Path, metavar="FILE.json",
                        help='per-pack policy config, like --policy-pack-config: {"<pack>": {"<policy>": '
                             '"advisory" | {"enforcementLevel": ..., ...}}}')
    parser.add_argument("--report", type=Path, metavar="FILE.md", help="also write the compliance report here")
    parser.add_argument("--contracts", action="store_true",
                        help="run the apply-time contracts instead of the policy packs (KMS key users, IAM, Bedrock, "
                             "endpoint exposure, egress, ports, EKS versions, image tags; docs/contracts.md): exit 1 "
                             "on any failure; formats text, md, json")
    parser.add_argument("--redteam", action="store_true",
                        help="send the red-team corpus (tests/policies/redteam: evasions and benign look-alikes) "
                             "through every pack over the Analyzer gRPC protocol and print caught/total and false "
                             "positives: exit 1 on a miss or a false positive (needs a source checkout)")


def check_graph(graph: GraphLike, packs: Sequence[str], pack_configs: dict[str, Any] | None = None,
                suppression_list: suppressions.Suppressions | None = None) -> list[PackResult]:
    """Evaluate the named packs against a recorded graph (the project's suppressions unless given)."""
    unknown = [p for p in packs if p not in PACKS]
    if unknown:
        raise BlueprintError(f"--pack: unknown pack(s) {unknown} (allowed: {', '.join(sorted(PACKS))})")
    try:
        chosen = suppression_list if suppression_list is not None else suppressions.load()
    except suppressions.SuppressionError as error:
        raise BlueprintError(str(error)) from None
    try:
        return evaluate(graph, [PACKS[p] for p in packs], pack_configs, chosen)
    except ValueError as error:
        raise BlueprintError(f"--pack-config: {error}") from error


def failed(results: Sequence[PackResult], fail_on: str) -> bool:
    threshold = ENFORCEMENT_RANK[fail_on]
    return any(ENFORCEMENT_RANK.get(v.level, 0) >= threshold for r in results for v in r.violations)


def _pack_configs(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BlueprintError(f"--pack-config: cannot read {path}: {error}") from error
    if not isinstance(loaded, dict):
        raise BlueprintError(f"--pack-config: expected a JSON object keyed by pack name (got {type(loaded).__name__})")
    for pack, policies in loaded.items():
        _check_pack_config(pack, policies)
    return loaded


def _check_pack_config(pack: str, policies: Any) -> None:
    """Names in --pack-config must exist: a misspelt pack, policy or environment would silently change nothing."""
    where = f"--pack-config: {pack}"
    if pack not in PACKS:
        raise BlueprintError(f"{where}: unknown pack (allowed: {', '.join(sorted(PACKS))})")
    if not isinstance(policies, dict):
        raise BlueprintError(f"{where}: expected an object keyed by policy name (got {policies!r})")
    known = [entry.policy for entry in PACKS[pack].entries]
    for policy, setting in policies.items():
        if policy not in known:
            raise BlueprintError(f"{where}.{policy}: not a policy of pack {pack} (allowed: {', '.join(known)})")
        extra = set(setting) - set(POLICY_PROPERTIES) if isinstance(setting, dict) else set()
        if extra:
            raise BlueprintError(f"{where}.{policy}: unknown setting(s) {sorted(extra)} "
                                 f"(allowed: {', '.join(POLICY_PROPERTIES)})")
        level = setting.get("enforcementLevel") if isinstance(setting, dict) else setting
        if level is not None and level not in crossguard.ENFORCEMENT:
            raise BlueprintError(f"{where}.{policy}: unknown enforcement level {level!r} "
                                 f"(allowed: {', '.join(sorted(crossguard.ENFORCEMENT))})")
        environment = setting.get("environment") if isinstance(setting, dict) else None
        if environment is not None and environment not in ENVIRONMENTS:
            raise BlueprintError(f"{where}.{policy}.environment: unknown environment {environment!r} "
                                 f"(allowed: {', '.join(ENVIRONMENTS)})")


def default_packs(compliance_level: str) -> list[str]:
    return [*DEFAULT_PACKS, *(["regulated"] if compliance_level == "regulated" else [])]


def run(args: argparse.Namespace) -> int:
    from blueprints.engine.program import build_graph
    from blueprints.presets import load_spec

    if args.redteam:
        return _check_redteam()
    target = resolve_target(args)
    if args.contracts:
        return _check_contracts(args, target)
    configs = _pack_configs(args.pack_config)
    if args.report:
        check_writable(args.report, "--report", folder=False)
    spec = load_spec(target.preset, target.environment, target.overrides, target.regions)
    packs = args.pack or default_packs(spec.compliance.level)
    graph = build_graph(target.preset, target.environment, target.regions, target.overrides)
    results = check_graph(graph, packs, configs)
    frameworks = [SPEC_FRAMEWORKS[framework] for framework in spec.compliance.frameworks]
    meta = {"preset": target.preset, "environment": target.environment, "packs": packs, "frameworks": frameworks}
    stack = {**meta, "regions": target.regions, "overrides": target.overrides}
    context = report.ReportContext(graph=graph, provenance=provenance.collect(packs, stack))
    print(report.to_json(results, meta, context) if args.format == "json"
          else report.RENDERERS[args.format](results, context))
    if args.report:
        title = f"{target.preset} ({target.environment})"
        args.report.write_text(report.compliance_report(results, graph, title, frameworks, context.provenance))
    return 1 if failed(results, args.fail_on) else 0


def _check_redteam() -> int:
    """`check --redteam`: the corpus the policy tests assert, run once as a figure (tests/policies/redteam)."""
    root = POLICY_LIB.parents[1]
    if not (root / "tests" / "policies" / "redteam" / "cases.yaml").exists():
        raise BlueprintError(f"--redteam: no red-team corpus under {root}/tests/policies/redteam; run it from a "
                             "source checkout of the project")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.policies.redteam import corpus

    verdicts = corpus.run_all()
    print(corpus.summary(verdicts))
    return 0 if all(v.correct for v in verdicts) else 1


def _check_contracts(args: argparse.Namespace, target: Target) -> int:
    """`check --contracts`: every apply-time contract over the planned graph, judged as of today."""
    from blueprints.commands import _contracts
    from blueprints.engine.program import build_graph
    from blueprints.presets import load_spec

    pack_only = [flag for flag, value in (("--pack", args.pack), ("--pack-config", args.pack_config),
                                          ("--report", args.report)) if value]
    if pack_only:
        raise BlueprintError(f"--contracts: {', '.join(pack_only)} apply to the policy packs only; drop them")
    if args.format not in _contracts.FORMATS:
        raise BlueprintError(f"--contracts: --format {args.format!r} is not available "
                             f"(allowed: {', '.join(_contracts.FORMATS)})")
    spec = load_spec(target.preset, target.environment, target.overrides, target.regions)
    graph = build_graph(target.preset, target.environment, target.regions, target.overrides)
    results = _contracts.evaluate(graph, spec, target.environment, datetime.now(UTC).date())
    print(_contracts.render(results, args.format, {"preset": target.preset, "environment": target.environment}))
    return 1 if _contracts.failed(results) else 0
