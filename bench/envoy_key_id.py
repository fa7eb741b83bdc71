"""CPU per request of the Envoy data plane's key-id Lua filter (blueprints/gateway/key_id.lua, the script the
EnvoyExtensionPolicy carries): `envoy_on_request` under LuaJIT 2.1 (lupa), the Lua Envoy embeds, with a fake stream
handle whose Authorization is a LiteLLM-sized virtual key. One SHA-256 block in arithmetic-only Lua (no `bit`
library, for Envoy Gateway's Strict validator). Bounded: a fixed count of calls per run, a fixed count of runs."""

from __future__ import annotations

import statistics

from lupa import luajit21

from bench import Figure
from blueprints.gateway.envoy_data_plane import KEY_ID_SCRIPT

TITLE = "Envoy key-id Lua filter: CPU per request under LuaJIT 2.1"

CALLS, RUNS = 20_000, 5
KEY = "Bearer sk-" + "x" * 22
"""LiteLLM 1.81.16's generated keys: `sk-` + secrets.token_urlsafe(LENGTH_OF_LITELLM_GENERATED_KEY = 16), 22
characters (litellm/proxy/management_endpoints/key_management_endpoints.py, litellm/constants.py)."""

TIMED = """
return function(calls, authorization)
  local headers = {}
  function headers:get(key) return authorization end
  function headers:replace(key, value) end
  function headers:remove(key) end
  local handle = {}
  function handle:headers() return headers end
  local start = os.clock()
  for _ = 1, calls do envoy_on_request(handle) end
  return (os.clock() - start) / calls
end
"""


def run() -> list[Figure]:
    lua = luajit21.LuaRuntime()
    lua.execute(KEY_ID_SCRIPT.read_text())
    timed = lua.execute(TIMED)
    timed(CALLS // 10, KEY)  # warm: LuaJIT compiles the hot loops
    per_call = [timed(CALLS, KEY) * 1e6 for _ in range(RUNS)]
    return [Figure("key-id filter CPU per request (median)", round(statistics.median(per_call), 1), "us",
                   f"{lua.eval('jit.version')}, {RUNS} runs of {CALLS} calls, range "
                   f"{min(per_call):.1f}-{max(per_call):.1f} us")]
