"""What `python -m blueprints plan` imports before it runs: none of the heavy clients that only other commands or
the platform's runtime services use (each one is a fifth of a second to a second of every plan's CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_IMPORTED = ("boto3", "botocore", "qdrant_client")
"""boto3/botocore: AWS-calling commands and the rotation Lambda; qdrant_client: the retrieval store at run time."""


def test_the_plan_command_and_the_program_import_no_heavy_client():
    code = ("import json, sys\n"
            "from blueprints.cli import build_parser\n"
            "build_parser('plan')\n"
            "import blueprints.engine.program\n"
            f"print(json.dumps([name for name in {list(NOT_IMPORTED)!r} if name in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []
