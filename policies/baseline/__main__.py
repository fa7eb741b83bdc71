"""CrossGuard entry point: `pulumi preview --policy-pack policies/<this folder>`.

The pack's contents come from the registry selection named after this folder (blueprints_policies.packs);
this file is the only place a PolicyPack is constructed (it starts a gRPC server and blocks).

The same file runs a self-contained pack built by `python -m blueprints_policies.build` (what `pulumi policy
publish` uploads): there the library, the preset data and the suppressions sit next to this file, and the file
PACK names the pack.
"""

import sys
from pathlib import Path

import pulumi.runtime
from pulumi_policy import EnforcementLevel, PolicyPack

HERE = Path(__file__).resolve().parent
BUILT = (HERE / "blueprints_policies").is_dir()
if not BUILT:
    # policies/lib for the policy library; the repository root so stack context can be derived from the preset.
    sys.path.insert(0, str(HERE.parents[1]))
    sys.path.insert(0, str(HERE.parent / "lib"))

from blueprints_policies import crossguard, suppressions  # noqa: E402
from blueprints_policies.packs import PACKS, claimed_frameworks  # noqa: E402

PACK = PACKS[(HERE / "PACK").read_text().strip() if BUILT else HERE.name]
SUPPRESSIONS = (HERE if BUILT else HERE.parent) / "suppressions.yaml"

PolicyPack(
    name=PACK.name,
    description=PACK.description,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=crossguard.build_all(PACK.policies(), crossguard.Hooks(suppressions=suppressions.load(SUPPRESSIONS))),
    tags=PACK.tags(claimed_frameworks(pulumi.runtime.get_config_env())),
)
