"""The engine's stack trace is the message the Pulumi SDK's own `_get_stack_trace` builds, frame for frame."""

from __future__ import annotations

from collections.abc import Callable

from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2

from blueprints.engine.stack_trace import fast_stack_traces, stack_trace

Capture = Callable[[], source_pb2.StackTrace]


def _capture(get: Capture) -> source_pb2.StackTrace:
    return get()


class _Resource:
    """Stands in for pulumi's Resource -> CustomResource -> concrete class chain of constructors."""

    def __init__(self, get: Capture) -> None:
        self.trace = _capture(get)


class _Custom(_Resource):
    def __init__(self, get: Capture) -> None:
        super().__init__(get)


class _Concrete(_Custom):
    def __init__(self, get: Capture) -> None:
        super().__init__(get)


class _Component:
    """User code: a component that creates a resource from its own constructor (a fourth `__init__`)."""

    def __init__(self, get: Capture) -> None:
        self.trace = _Concrete(get).trace


def _user_code(get: Capture) -> source_pb2.StackTrace:
    return _Concrete(get).trace


def test_same_frames_as_the_sdk_for_a_resource_created_by_user_code():
    ours, sdk = [_user_code(get) for get in (stack_trace, sdk_resource._get_stack_trace)]
    assert ours == sdk
    assert ours.frames[0].pc.uri.endswith("tests/engine/test_stack_trace.py")
    assert len(ours.frames) > 3


def test_same_frames_as_the_sdk_inside_a_component_constructor():
    ours, sdk = [_Component(get).trace for get in (stack_trace, sdk_resource._get_stack_trace)]
    assert ours == sdk
    assert ours.frames


def test_empty_like_the_sdk_without_three_constructors_on_the_stack():
    ours, sdk = [_capture(get) for get in (stack_trace, sdk_resource._get_stack_trace)]
    assert ours == sdk == source_pb2.StackTrace()


def test_frames_without_a_file_have_no_position_like_the_sdk():
    namespace = {"_Concrete": _Concrete}
    exec("def make(get):\n    return _Concrete(get).trace\n", namespace)  # a frame whose file is "<string>"
    ours, sdk = [namespace["make"](get) for get in (stack_trace, sdk_resource._get_stack_trace)]
    assert ours == sdk
    assert not ours.frames[0].HasField("pc")


def test_the_sdk_function_is_back_after_the_run():
    original = sdk_resource._get_stack_trace
    with fast_stack_traces():
        assert sdk_resource._get_stack_trace is stack_trace
    assert sdk_resource._get_stack_trace is original
