from blueprints_policies.context import parse_stack_config, resolve_context


def test_parses_namespaced_keys_and_json_values() -> None:
    parsed = parse_stack_config({"llm-platform:environment": "prod", "llm-platform:regions": '["eu-west-1"]',
                                 "other:unrelated": "x"})
    assert parsed == {"environment": "prod", "regions": ["eu-west-1"]}


def test_policy_config_wins_and_residency_shapes_are_accepted() -> None:
    ctx = resolve_context({"environment": "prod", "residency": {"allowed_regions": ["eu-central-1"]}})
    assert ctx.is_prod and ctx.residency == ("eu-central-1",)
    assert resolve_context({"environment": "dev", "residency": None}).residency is None
