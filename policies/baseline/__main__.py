"""CrossGuard entry point: `pulumi preview --policy-pack policies/<this folder>`.

The pack's contents come from the registry selection named after this folder (blueprints_policies.packs);
this file is the only place a PolicyPack is constructed (it starts a gRPC server and blocks).
"""

import sys
from pathlib import Path

# policies/lib for the policy library; the repository root so stack context can be derived from the preset.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from blueprints_policies import crossguard, suppressions
from blueprints_policies.packs import PACKS
from pulumi_policy import EnforcementLevel, PolicyPack

PACK = PACKS[Path(__file__).resolve().parent.name]

PolicyPack(
    name=PACK.name,
    description=PACK.description,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=crossguard.build_all(PACK.policies(), crossguard.Hooks(suppressions=suppressions.load())),
)
