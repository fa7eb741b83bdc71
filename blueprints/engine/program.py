"""Run the real Pulumi program in-process under mocks and return the resource graph it registers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from blueprints import program
from blueprints.catalog.providers import PROVIDER_FACTS
from blueprints.engine import collector
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.engine.mocks import EchoMocks, RecordingMonitor
from blueprints.engine.stack_trace import fast_stack_traces
from blueprints.engine.unknowns import acyclic_unknowns
from blueprints.gateway.sso import CLIENT_SECRET_CONFIG_KEY
from blueprints.presets import load_spec

REGIONAL_TYPE = "blueprints:platform:RegionalPlatform"
OFFLINE_CREDENTIAL = "offline-plan-mock-credential"
SECRET_KEYS = {*(facts.config_key for facts in PROVIDER_FACTS.values()), CLIENT_SECRET_CONFIG_KEY}


def stack_config(
    preset: str, environment: str, regions: list[str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, str]:
    """The stack config `pulumi config set` would produce, keyed the way the engine passes it to programs."""
    config = {f"{program.PROJECT}:preset": preset, f"{program.PROJECT}:environment": environment,
              # Mock values of the keys a person supplies with `pulumi config set --secret`: the program requires
              # them; under mocks they reach no cloud, and the graph records them as secrets.
              **{f"{program.PROJECT}:{key}": OFFLINE_CREDENTIAL for key in sorted(SECRET_KEYS)}}
    if regions:
        config[f"{program.PROJECT}:regions"] = json.dumps(regions)
    if overrides:
        config[f"{program.PROJECT}:overrides"] = json.dumps(overrides)
    return config


def _ensure_event_loop() -> None:
    """Pulumi's runtime uses the thread's current event loop; asyncio.run() elsewhere in the process (an async
    HTTP client, the eval runner) ends by unsetting it, and a closed one cannot run anything."""
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())


def run_under_mocks(main: Callable[[], Any], config: dict[str, str], stack: str) -> ResourceGraph:
    """Run `main` as `pulumi up` would, with every provider mocked; no cloud, no Pulumi CLI."""
    _ensure_event_loop()
    settings.reset_options(project=program.PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(config, [key for key in config if key.split(":", 1)[-1] in SECRET_KEYS])
    mocks = EchoMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=program.PROJECT, stack=stack, preview=False, monitor=monitor)
    root = settings.get_root_resource()
    exported: dict[str, Any] = {}

    async def run() -> None:
        main()
        outputs = getattr(root, "outputs", {})
        exported.update(await pulumi.Output.from_input(dict(outputs)).future() or {})

    with fast_stack_traces(), acyclic_unknowns(), collector.paused():
        _sync_await(run_pulumi_func(run))
    # Registration order depends on thread scheduling: sort so every run of the same program reads the same.
    records = sorted((ResourceRecord(region=None, **r) for r in monitor.registrations), key=lambda r: r.urn)
    return ResourceGraph(
        project=program.PROJECT, stack=stack, resources=_with_regions(records, mocks.provider_regions),
        stack_outputs=exported, stack_config=config,
    )


def _with_regions(records: list[ResourceRecord], provider_regions: dict[str, str]) -> list[ResourceRecord]:
    """Give every resource the region of the RegionalPlatform it lives in (the region of that one's provider)."""
    by_urn = {record.urn: record for record in records}
    regional_region = {
        record.parent: provider_regions[record.name]
        for record in records
        if record.type == "pulumi:providers:aws" and record.name in provider_regions and record.parent
    }

    def region_of(record: ResourceRecord) -> str | None:
        node: ResourceRecord | None = record
        while node is not None:
            if node.urn in regional_region:
                return regional_region[node.urn]
            node = by_urn.get(node.parent or "")
        return None

    return [record.model_copy(update={"region": region_of(record)}) for record in records]


def build_graph(
    preset: str, environment: str, regions: list[str] | None = None, overrides: dict[str, Any] | None = None
) -> ResourceGraph:
    """Validate first (bad input fails before anything is registered), then run the program under mocks."""
    load_spec(preset, environment, overrides, regions)
    return run_under_mocks(program.main, stack_config(preset, environment, regions, overrides),
                           stack=f"{preset}-{environment}")
