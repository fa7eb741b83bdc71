"""A pause of the cyclic garbage collector: collected afterwards by default; in the CLI's process, left to exit."""

from __future__ import annotations

import gc

import pytest

from blueprints.engine import collector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _freed_after_a_pause() -> list[tuple[int, int]]:
    """(generation, objects freed) of each collection once a pause that made 2000 cycles ends (the next
    allocations, none of them garbage, trigger them)."""
    freed: list[tuple[int, int]] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            freed.append((info["generation"], info["collected"]))

    gc.collect()
    gc.enable()
    gc.callbacks.append(record)
    kept = []
    try:
        with collector.paused():
            assert not gc.isenabled()
            for _ in range(2000):
                _Cycle()
        assert gc.isenabled()
        for _ in range(2000):
            kept.append([])
    finally:
        gc.callbacks.remove(record)
    return freed


def test_by_default_a_collection_follows_the_pause():
    assert sum(freed for _, freed in _freed_after_a_pause()) >= 2000


def test_left_to_exit_no_collection_follows_the_pause(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(collector, "_collect_after_pause", True)
    collector.leave_garbage_to_exit()
    assert not collector._collect_after_pause
    young = [freed for generation, freed in _freed_after_a_pause() if generation < 2]
    assert young and sum(young) == 0  # the pause's objects went to the oldest generation untraced


def test_the_cli_imports_its_command_with_the_collector_paused_and_runs_it_with_the_collector_on(monkeypatch):
    """The command's imports (the provider SDKs: tens of thousands of long-lived objects) run without collections;
    the command itself, which may serve or load-test for hours, runs with the collector as it was."""
    from blueprints import cli

    seen: dict[str, bool] = {}
    build_parser = cli.build_parser

    def recording_build_parser(only: str | None = None):
        seen["imports"] = gc.isenabled()
        parser = build_parser(only)
        parse_args = parser.parse_args

        def parse_and_record(argv):
            args = parse_args(argv)
            args.handler = run_and_record
            return args

        def run_and_record(args) -> int:
            seen["command"] = gc.isenabled()
            return 0

        parser.parse_args = parse_and_record
        return parser

    monkeypatch.setattr(cli, "build_parser", recording_build_parser)
    gc.enable()
    assert cli.main(["plan", "--preset", "startup-mvp"]) == 0
    assert seen == {"imports": False, "command": True}
