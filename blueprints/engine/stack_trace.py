"""The stack trace the Pulumi SDK sends with every resource registration, computed without `traceback`.

pulumi/runtime/resource.py (`_get_stack_trace`, pulumi 3.272.0) builds it with `traceback.extract_stack()`, which
reads and caches the source line of every frame and stats every file on the stack: about a fifth of the CPU an
offline plan spends registering resources. `stack_trace` returns the same message (tests/engine/test_stack_trace.py
compares the two) from the frames alone; `fast_stack_traces` puts it in the SDK's place while the engine runs a
program under mocks, and only then.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import FrameType

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

INITS_BEFORE_USER_CODE = 3
"""Resource.__init__, CustomResource/ComponentResource.__init__, the concrete class's __init__ (the SDK's rule)."""


@cache
def _uri(filename: str) -> str | None:
    """`file:///...` of a frame's file; None for frames without a file (`<frozen runpy>`, `<string>`)."""
    if not filename:
        return None
    try:
        return Path(filename).as_uri()
    except ValueError:
        return None


def _frame(frame: FrameType) -> source_pb2.StackFrame:
    uri = _uri(frame.f_code.co_filename)
    if uri is None or frame.f_lineno is None:
        return source_pb2.StackFrame(pc=None)
    return source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=uri, line=frame.f_lineno))


def stack_trace() -> source_pb2.StackTrace:
    """The frames outside the third `__init__` on the stack, innermost first; empty when there are none."""
    frame: FrameType | None = sys._getframe(1)
    inits = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            inits += 1
            if inits == INITS_BEFORE_USER_CODE:
                break
        frame = frame.f_back
    if frame is None or frame.f_back is None:
        return source_pb2.StackTrace()
    frames = []
    outer = frame.f_back
    while outer is not None:
        frames.append(_frame(outer))
        outer = outer.f_back
    return source_pb2.StackTrace(frames=frames)


@contextmanager
def fast_stack_traces() -> Iterator[None]:
    """Registrations inside use `stack_trace`; the SDK's own function is back afterwards."""
    original = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original
