"""The Lua filter of the Envoy data plane (the EnvoyExtensionPolicy envoy_objects emits), run for real: under LuaJIT
2.1, the Lua Envoy embeds, and under PUC Lua 5.1 without LuaJIT's `bit`/`jit`/`ffi` and with the functions Envoy
Gateway's Strict validator removes (v1.9.0 internal/gatewayapi/luavalidator/security.lua: require, package, load,
loadstring, dofile, loadfile, debug) gone, as that validator runs the script in gopher-lua, a Lua 5.1 without them.
The header it sets is compared with Python's hashlib; LiteLLM 1.81.16 stores each key as
`hashlib.sha256(token.encode()).hexdigest()` (litellm/proxy/_types.py hash_token) of the token it takes from
`Bearer <token>` / `bearer <token>` (proxy/auth/user_api_key_auth.py _get_bearer_token)."""

from __future__ import annotations

import hashlib

import pytest
from lupa import lua51, luajit21

from blueprints.gateway.data_plane import routed_models
from blueprints.gateway.envoy_data_plane import KEY_ID_HEADER, envoy_objects
from blueprints.presets import load_spec

# A fake of Envoy's stream handle (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/
# lua_filter: headers():get/replace/remove; header names are lower case), over a plain table the test reads back.
FAKE_HANDLE = """
return function(initial)
  local store = {}
  for k, v in pairs(initial) do store[k] = v end
  local headers = {}
  function headers:get(key) return store[string.lower(key)] end
  function headers:replace(key, value) store[string.lower(key)] = value end
  function headers:remove(key) store[string.lower(key)] = nil end
  local handle = {}
  function handle:headers() return headers end
  envoy_on_request(handle)
  return store
end
"""
VALIDATOR_REMOVES = ("require", "package", "load", "loadstring", "dofile", "loadfile", "debug")
KEYS = ("sk-1234", "sk-" + "a" * 52, "sk-" + "b" * 53, "sk-" + "Zz09" * 15 + "x", "sk-" + "q" * 120,
        "hunter2 with spaces")
"""Tokens whose SHA-256 input spans 1 and 2 blocks around the padding edges (55, 56, 64, 123 bytes)."""


def _script() -> str:
    spec = load_spec("enterprise-assistant", "prod", overrides={"gateway": {"data_plane": "envoy"}})
    policy = next(o for o in envoy_objects(spec, {m.name for m in routed_models(spec)}, "inference-gateway")
                  if o["kind"] == "EnvoyExtensionPolicy")
    (lua,) = policy["spec"]["lua"]
    return lua["inline"]


def _runner(runtime: str):
    lua = luajit21.LuaRuntime() if runtime == "luajit" else lua51.LuaRuntime()
    if runtime == "lua51-validator":
        assert lua.eval("bit == nil and jit == nil")  # PUC Lua: none of LuaJIT's extensions
        for name in VALIDATOR_REMOVES:
            lua.execute(f"{name} = nil")
    else:
        assert lua.eval("jit.version").startswith("LuaJIT 2.1")
    lua.execute(_script())
    run = lua.execute(FAKE_HANDLE)
    return lambda headers: dict(run(lua.table_from(headers)).items())


@pytest.fixture(scope="module", params=["luajit", "lua51-validator"])
def run(request):
    return _runner(request.param)


def _expected(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer "])
def test_the_key_id_is_the_first_128_bits_of_litellms_hash_of_the_key(run, prefix: str) -> None:
    for token in KEYS:
        headers = run({"authorization": prefix + token, ":path": "/v1/chat/completions"})
        assert headers[KEY_ID_HEADER] == _expected(token), token
        assert headers["authorization"] == prefix + token  # nothing else touched
        assert headers[":path"] == "/v1/chat/completions"


def test_a_value_without_the_bearer_scheme_is_hashed_whole(run) -> None:
    assert run({"authorization": "sk-raw"})[KEY_ID_HEADER] == _expected("sk-raw")
    assert run({"authorization": ""})[KEY_ID_HEADER] == _expected("")


def test_a_callers_own_key_id_is_overwritten_or_dropped(run) -> None:
    """The rate limit keys on this header: a client must not choose its bucket."""
    assert run({"authorization": "Bearer sk-1234", KEY_ID_HEADER: "someone-else"})[KEY_ID_HEADER] == \
        _expected("sk-1234")
    assert KEY_ID_HEADER not in run({KEY_ID_HEADER: "someone-else"})
    assert run({}) == {}


def test_different_keys_get_different_ids(run) -> None:
    ids = {run({"authorization": f"Bearer {token}"})[KEY_ID_HEADER] for token in KEYS}
    assert len(ids) == len(KEYS)
