"""What every pack's `__main__.py` runs: the one place a PolicyPack is constructed (it starts a gRPC server and
blocks).

The pack's contents come from the registry selection named after its folder (blueprints_policies.packs). In a
self-contained pack built by `python -m blueprints_policies.build` (what `pulumi policy publish` uploads) the
library, the preset data and the suppressions sit next to `__main__.py`, and the file PACK names the pack.
"""

from pathlib import Path

import pulumi.runtime
from pulumi_policy import EnforcementLevel, PolicyPack

from blueprints_policies import crossguard, suppressions
from blueprints_policies.packs import PACKS, claimed_frameworks


def serve(folder: Path, built: bool) -> None:
    """Serve the pack in `folder` (`built`: a self-contained pack from blueprints_policies.build)."""
    pack = PACKS[(folder / "PACK").read_text().strip() if built else folder.name]
    hooks = crossguard.Hooks(suppressions=suppressions.load((folder if built else folder.parent) / "suppressions.yaml"))
    PolicyPack(
        name=pack.name,
        description=pack.description,
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=crossguard.build_all(pack.policies(), hooks),
        tags=pack.tags(claimed_frameworks(pulumi.runtime.get_config_env())),
    )
