"""Puts policies/lib on sys.path (as the packs' __main__.py and `blueprints check` do)."""

import sys
from pathlib import Path

POLICY_LIB = Path(__file__).resolve().parents[2] / "policies" / "lib"
if str(POLICY_LIB) not in sys.path:
    sys.path.insert(0, str(POLICY_LIB))
