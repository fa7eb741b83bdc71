"""Per-phase wall and CPU time of a command (`plan --timings`), for `make bench` and for finding what is slow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

PREFIX = "timing:"
"""Every line `report` writes starts with this, so a caller can pick them out of stderr (bench/plan_time.py)."""


@dataclass(frozen=True)
class Phase:
    name: str
    wall_s: float
    cpu_s: float
    """Process CPU time, all threads (the Pulumi runtime answers its RPCs on worker threads)."""


@dataclass
class Phases:
    """Times named phases in order. The first line, `startup`, is the CPU time the process had spent before it was
    created: interpreter start and the imports of the command's modules."""

    phases: list[Phase] = field(default_factory=list)
    startup_cpu_s: float = field(default_factory=time.process_time)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.phases.append(Phase(name, time.perf_counter() - wall, time.process_time() - cpu))

    def lines(self) -> list[str]:
        """`timing: graph wall_s=1.234 cpu_s=1.100`; startup has no wall time (the process start is not known)."""
        rows = [f"{PREFIX} startup wall_s=- cpu_s={self.startup_cpu_s:.3f}"]
        rows += [f"{PREFIX} {p.name} wall_s={p.wall_s:.3f} cpu_s={p.cpu_s:.3f}" for p in self.phases]
        return rows

    def report(self, stream: TextIO) -> None:
        for line in self.lines():
            print(line, file=stream)


def parse(text: str) -> dict[str, tuple[float | None, float]]:
    """`report`'s lines back into {phase: (wall s or None, cpu s)}; other lines are ignored."""
    found: dict[str, tuple[float | None, float]] = {}
    for line in text.splitlines():
        if not line.startswith(PREFIX):
            continue
        name, *pairs = line[len(PREFIX):].split()
        values = dict(pair.split("=", 1) for pair in pairs)
        found[name] = (None if values["wall_s"] == "-" else float(values["wall_s"]), float(values["cpu_s"]))
    return found
