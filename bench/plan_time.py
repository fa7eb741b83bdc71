"""Offline `plan` time of every preset's prod environment, per phase, each in a fresh process.

Each preset runs `python -m blueprints plan --preset P --env prod --timings` in a new interpreter, as a user would:
the total wall and CPU time (user + system, all threads) come from outside, the phases from the command's own
`timing:` lines (blueprints/engine/timing.py): startup (interpreter and imports of the command's modules, CPU only;
its wall time is the total less the phases), spec, graph (the program run under mocks: resource registration and the
provider SDK modules it loads), cost, diagram, policies, contracts and output. A first, unmeasured run writes the
bytecode caches a user's second run would find (with the provider SDK modules' deferred-annotation bytecode,
blueprints/engine/sdk_annotations.py).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import Figure
from blueprints.engine.timing import parse
from blueprints.presets import preset_names

TITLE = "Offline plan time per preset (prod), per phase, fresh process each"

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENT = "prod"
TIMEOUT_S = 150
"""Per run; a run past it fails the benchmark rather than hang it."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plan_once(preset: str) -> tuple[float, float, dict[str, tuple[float | None, float]]]:
    """(wall s, CPU s, phases) of one `plan` in a new interpreter that may write bytecode caches."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "blueprints", "plan", "--preset", preset, "--env", ENVIRONMENT, "--timings"]
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"plan {preset} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return wall, cpu, parse(done.stderr)


def run(presets: Sequence[str] | None = None) -> list[Figure]:
    chosen = list(presets or preset_names())
    plan_once(chosen[0])  # bytecode caches, as after a user's first run
    figures = []
    for preset in chosen:
        wall, cpu, phases = plan_once(preset)
        figures.append(Figure(f"plan {preset} {ENVIRONMENT}: total", wall, "s", f"wall; CPU {cpu:.2f} s"))
        measured = sum(phase_wall for phase_wall, _ in phases.values() if phase_wall is not None)
        for name, (phase_wall, phase_cpu) in phases.items():
            value = wall - measured if phase_wall is None else phase_wall
            what = "wall = total less the phases" if phase_wall is None else "wall"
            figures.append(Figure(f"  {preset} {name}", value, "s", f"{what}; CPU {phase_cpu:.2f} s"))
    return figures
