"""Pausing Python's cyclic garbage collector around bounded offline work (a program run under mocks, a plan)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside; the previous setting is back afterwards (nested pauses are fine).

    A program run registers ~1000 resources that each add long-lived objects, so the collector's full passes over
    the growing heap cost more than a fifth of a plan, while the cycles they would free amount to a few MB: those
    are collected after the pause instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
