"""Every key the generator writes is one the pinned LiteLLM release knows (LiteLLM ignores unknown keys with a
log line, so a typo would silently drop a setting). Checked against the installed release's own models."""

from __future__ import annotations

import json
import subprocess

import pytest

from blueprints.catalog.pii import PREBUILT_PATTERNS
from blueprints.gateway.litellm_config import litellm_config
from blueprints.presets import load_spec, preset_names
from tests.support.litellm_proxy import LITELLM

pytestmark = pytest.mark.integration

CHECK = r"""
import json, sys
import litellm
from litellm.proxy._types import ConfigGeneralSettings
from litellm.types.guardrails import LitellmParams
from litellm.types.router import LiteLLM_Params
from litellm.proxy.guardrails.guardrail_hooks.litellm_content_filter.patterns import PREBUILT_PATTERNS
from litellm_enterprise.types.proxy.proxy_server import CustomAuthSettings

configs, patterns = json.load(sys.stdin)
SPECIAL_SETTINGS = {"cache", "cache_params", "callbacks"}
# Read by the router, not declared on LiteLLM_Params: litellm/router_strategy/simple_shuffle.py picks deployments
# by litellm_params["weight"] (how canary weights reach the gateway); litellm/router.py
# Router._set_deployment_num_retries_on_exception reads a deployment's own litellm_params["num_retries"].
ROUTER_PARAMS = {"weight", "num_retries"}
# Read by the enterprise package shipped with the proxy, not declared on ConfigGeneralSettings:
# litellm_enterprise/proxy/proxy_server.py EnterpriseProxyConfig.load_custom_auth_settings.
ENTERPRISE_SETTINGS = {"custom_auth_settings": lambda value: CustomAuthSettings(mode=value.get("mode"))}
problems = []
router_args = set(litellm.Router.get_valid_args())
for preset, config in configs.items():
    for key in config["router_settings"]:
        if key not in router_args:
            problems.append(f"{preset}: router_settings.{key}")
    for key, value in config["general_settings"].items():
        if key in ENTERPRISE_SETTINGS:
            ENTERPRISE_SETTINGS[key](value)
        elif key not in ConfigGeneralSettings.model_fields:
            problems.append(f"{preset}: general_settings.{key}")
    for key in config["litellm_settings"]:
        if key not in SPECIAL_SETTINGS and not hasattr(litellm, key):
            problems.append(f"{preset}: litellm_settings.{key}")
    for entry in config["model_list"]:
        for key in entry["litellm_params"]:
            if key not in LiteLLM_Params.model_fields and key not in ROUTER_PARAMS:
                problems.append(f"{preset}: {entry['model_name']}.litellm_params.{key}")
    for guardrail in config.get("guardrails", []):
        LitellmParams(**guardrail["litellm_params"])
known = set(PREBUILT_PATTERNS)
problems += [f"pattern {name}" for name in patterns if name not in known]
print(json.dumps(problems))
"""


def test_generated_keys_exist_in_the_pinned_release() -> None:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM not installed at {LITELLM}")
    configs = {f"{preset}/{env}": litellm_config(load_spec(preset, env), "us-east-1")
               for preset in preset_names() for env in ("dev", "prod")}
    result = subprocess.run([str(LITELLM.with_name("python")), "-c", CHECK], input=json.dumps(
        [configs, list(PREBUILT_PATTERNS)]), capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
