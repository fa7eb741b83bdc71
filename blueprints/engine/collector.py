"""Pausing Python's cyclic garbage collector around bounded offline work (a program run under mocks, a plan)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_collect_after_pause = True


def leave_garbage_to_exit() -> None:
    """For a process that ends with the command it runs (`python -m blueprints`, whose exit skips the interpreter's
    final collections): from now on a pause ends without collecting what was made inside; those objects join the
    oldest generation untraced. The collection skipped costs about a quarter of a second after a plan."""
    global _collect_after_pause
    _collect_after_pause = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside; the previous setting is back afterwards (nested pauses are fine).

    A program run registers ~1000 resources that each add long-lived objects, so the collector's full passes over
    the growing heap cost more than a fifth of a plan, while the cycles they would free amount to a few MB: those
    are collected after the pause instead (the first collection after it traces everything made inside), unless
    `leave_garbage_to_exit` was called."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if not _collect_after_pause:
                gc.freeze()  # every tracked object to the permanent generation, then all of them to the oldest one
                gc.unfreeze()
            gc.enable()
