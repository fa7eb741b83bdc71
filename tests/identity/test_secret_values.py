"""No secret value appears in plain text in the offline plan, the rendered artifacts, the resource inputs and
outputs or the stack outputs. The fake credential enters the program the only way a person's credential may:
as a Pulumi secret in stack config, handed to `Secrets.secret(..., value=)`."""

from __future__ import annotations

import json

import pulumi

from blueprints import program
from blueprints.catalog.aws_prices import PRICES_AS_OF
from blueprints.engine.mocks import SECRET_PLACEHOLDER
from blueprints.engine.program import run_under_mocks, stack_config
from blueprints.plan import build_plan
from blueprints.presets import load_spec
from blueprints.render import artifacts

FAKE_SECRET = "FAKE-SECRET-7f3c9e1b-do-not-leak"
CONFIG_NAMESPACE, CONFIG_KEY = "test", "credential"
"""Outside the project namespace, whose keys the stack config reader holds to the ones it knows."""


def _main_with_a_configured_credential() -> None:
    platform = program.main()
    credential = pulumi.Config(CONFIG_NAMESPACE).require_secret(CONFIG_KEY)
    platform.regions[0].secrets.secret("test-credential", "a credential supplied through stack config",
                                       value=credential)


def test_a_configured_secret_never_appears_in_plain_text() -> None:
    preset, env = "regulated-industry", "prod"
    config = {**stack_config(preset, env), f"{CONFIG_NAMESPACE}:{CONFIG_KEY}": FAKE_SECRET}
    graph = run_under_mocks(_main_with_a_configured_credential, config, stack=f"{preset}-{env}")
    [version] = [r for r in graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                 if r.name.endswith("test-credential")]
    assert version.inputs["secretStringWo"] == SECRET_PLACEHOLDER
    records = json.dumps([record.model_dump() for record in graph.resources], default=repr)
    assert FAKE_SECRET not in records
    assert FAKE_SECRET not in json.dumps(graph.stack_outputs)
    rendered = artifacts(graph)
    assert rendered and all(FAKE_SECRET not in content for _, content in rendered.values())
    plan = build_plan(load_spec(preset, env), graph, PRICES_AS_OF)
    assert FAKE_SECRET not in plan.model_dump_json()
