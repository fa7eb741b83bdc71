"""A progress bar on stderr (bytes of an upload, cases of an evaluation), safe to update from worker threads."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
MIN_REDRAW_S = 0.2
LABEL_WIDTH = 48
"""File names are cut to their last characters and padded, so a shorter name overwrites a longer one."""


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


class ProgressBar:
    """`[#####.....]  45%  1.2 GiB / 2.7 GiB  <label>`, redrawn at most every MIN_REDRAW_S seconds; `unit` writes
    the counts (bytes by default)."""

    def __init__(self, total: int, stream: TextIO | None = None, unit: Callable[[float], str] = human_bytes):
        self.total = max(total, 1)
        self._unit = unit
        self.done = 0
        self.label = ""
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()
        self._drawn_at = 0.0

    def start(self, label: str) -> None:
        with self._lock:
            self.label = label
            self._draw(force=True)

    def advance(self, count: int) -> None:
        """`count` more are done (also boto3's transfer callback: bytes)."""
        with self._lock:
            self.done += count
            self._draw(force=False)

    def finish(self) -> None:
        with self._lock:
            self._draw(force=True)
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < MIN_REDRAW_S:
            return
        self._drawn_at = now
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self._stream.write(
            f"\r[{bar}] {fraction:4.0%}  {self._unit(self.done)} / {self._unit(self.total)}  "
            f"{self.label[-LABEL_WIDTH:]:<{LABEL_WIDTH}}"
        )
        self._stream.flush()
