"""CrossGuard entry point: `pulumi preview --policy-pack policies/<this folder>` (blueprints_policies.entry)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILT = (HERE / "blueprints_policies").is_dir()
if not BUILT:
    # policies/lib for the policy library; the repository root so stack context can be derived from the preset.
    sys.path[:0] = [str(HERE.parent / "lib"), str(HERE.parents[1])]

from blueprints_policies.entry import serve  # noqa: E402

serve(HERE, BUILT)
