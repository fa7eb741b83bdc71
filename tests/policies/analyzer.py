"""Runs a policy pack the way the Pulumi CLI does and talks to it over the Analyzer gRPC protocol.

The CLI starts `python policies/<pack>/__main__.py` with the stack config JSON-encoded in PULUMI_CONFIG
(pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go, constructEnv/constructConfig), the pack prints the port
of its gRPC server on stdout (pulumi_policy 1.21.0 policy.py, PolicyPack.__init__), and the engine then calls
Analyze per resource and AnalyzeStack with every resource (proto: pulumi/analyzer.proto).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
CALL_TIMEOUT_S = 60
LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
          analyzer_pb2.REMEDIATE: "remediate", analyzer_pb2.DISABLED: "disabled"}


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    urn: str
    message: str


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(dict(props), struct)
    return struct


def urn(type_: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::llm-platform::{type_}::{name}"


class Analyzer:
    def __init__(self, stub: analyzer_pb2_grpc.AnalyzerStub) -> None:
        self.stub = stub

    @staticmethod
    def _diagnostics(response: analyzer_pb2.AnalyzeResponse) -> list[Diagnostic]:
        """The policy's own message: the servicer prefixes it with the policy description and a newline."""
        return [Diagnostic(d.policyName, LEVELS[d.enforcementLevel], d.urn,
                           d.message.removeprefix(f"{d.description}\n")) for d in response.diagnostics]

    def analyze(self, type_: str, name: str, props: Mapping[str, Any]) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeRequest(type=type_, properties=_struct(props), urn=urn(type_, name), name=name,
                                              options=analyzer_pb2.AnalyzerResourceOptions())
        return self._diagnostics(self.stub.Analyze(request, timeout=CALL_TIMEOUT_S))

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        """The pack's metadata as the CLI reads it: name, tags, and per policy its framework, tags, level."""
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S)

    def remediate(self, type_: str, name: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """The properties after the pack's remediate-level policies ran, as the CLI applies them before Analyze."""
        request = analyzer_pb2.AnalyzeRequest(type=type_, properties=_struct(props), urn=urn(type_, name), name=name,
                                              options=analyzer_pb2.AnalyzerResourceOptions())
        fixed = dict(props)
        for remediation in self.stub.Remediate(request, timeout=CALL_TIMEOUT_S).remediations:
            if remediation.HasField("properties"):
                fixed = json_format.MessageToDict(remediation.properties)
        return fixed

    def analyze_stack(self, resources: list[tuple[str, str, Mapping[str, Any]]]) -> list[Diagnostic]:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(type=t, properties=_struct(p), urn=urn(t, n), name=n,
                                          options=analyzer_pb2.AnalyzerResourceOptions())
            for t, n, p in resources])
        return self._diagnostics(self.stub.AnalyzeStack(request, timeout=CALL_TIMEOUT_S))


def _third_party_only(env: dict[str, str]) -> list[str]:
    """Interpreter flags and environment for a pack that must stand alone: no `site` (whose .pth files put the
    project's editable install on sys.path), only the virtualenv's third-party packages on PYTHONPATH."""
    env["PYTHONPATH"] = os.pathsep.join(sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")}))
    return ["-S"]


@contextmanager
def running_pack(pack: str, stack_config: Mapping[str, str] | None, folder: Path | None = None) -> Iterator[Analyzer]:
    """The pack's own __main__.py as a subprocess (PULUMI_CONFIG absent when `stack_config` is None). `folder`: a
    pack built by blueprints_policies.build, started from that folder alone (nothing of the repository importable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
    if stack_config is not None:
        env["PULUMI_CONFIG"] = json.dumps(dict(stack_config))
    flags = _third_party_only(env) if folder is not None else []
    folder = folder or ROOT / "policies" / pack
    process = subprocess.Popen([sys.executable, *flags, str(folder / "__main__.py"), "127.0.0.1:0", "."],
                               cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        if not port.isdigit():
            process.kill()
            raise RuntimeError(f"pack {pack} did not start: {process.communicate(timeout=10)[1].decode()[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
        with channel:
            yield Analyzer(analyzer_pb2_grpc.AnalyzerStub(channel))
    finally:
        process.kill()
        process.wait(timeout=10)
