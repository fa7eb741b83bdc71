"""The gateway's ConfigMap ships every guardrail module its LiteLLM config loads (LiteLLM 1.81.16 loads
`guardrail: <module>.<Class>` from `<module>.py` beside the config: proxy/types_utils/utils.py get_instance_fn), and
what those modules import from beside them."""

from __future__ import annotations

import ast
import sys

import pytest
import yaml

from blueprints.gateway.manifests import CONFIG_KEY, config_map
from blueprints.presets import load_spec

LITELLM_IMAGE_PACKAGES = {"litellm", "fastapi", "jsonschema"}
"""What the LiteLLM image provides besides the standard library (jsonschema and fastapi are litellm[proxy]'s)."""


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("preset", ["regulated-industry", "saas"])
def test_the_configmap_ships_the_guardrail_modules_its_config_loads(preset: str) -> None:
    spec = load_spec(preset, "prod")
    data = config_map(spec, spec.regions[0], {})["data"]
    config = yaml.safe_load(data[CONFIG_KEY])
    loaded = {guardrail["litellm_params"]["guardrail"].rsplit(".", 1)[0] for guardrail in config.get("guardrails", [])
              if "." in guardrail["litellm_params"]["guardrail"]}
    assert loaded == ({"litellm_schema", "litellm_pii"} if preset == "regulated-industry" else set())
    shipped = {name.removesuffix(".py") for name in data if name.endswith(".py")}
    pending, seen = set(loaded), set()
    while pending:
        module = pending.pop()
        seen.add(module)
        assert module in shipped, f"{module}.py is not in the ConfigMap"
        siblings = _imports(data[f"{module}.py"]) - set(sys.stdlib_module_names) - LITELLM_IMAGE_PACKAGES
        pending |= siblings - seen
    if preset == "regulated-industry":
        assert seen == {"litellm_schema", "litellm_pii", "litellm_decisions", "pii"}
