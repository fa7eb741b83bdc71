from blueprints_policies import matrix


def test_matrix_rules_hold() -> None:
    assert matrix.problems() == []


def test_compliance_matrix_is_up_to_date() -> None:
    assert matrix.MATRIX_PATH.read_text() == matrix.render(), (
        "docs/compliance-matrix.md is stale: run `PYTHONPATH=policies/lib python -m blueprints_policies.matrix`")


def test_matrix_lists_every_pack_and_fixture() -> None:
    text = matrix.render()
    assert "| `k8s-model-server-ha-prod`<br>" in text
    assert "bad_keda_scale_to_zero" in text
    assert "| baseline | cost-guardrails | kubernetes-workloads | regulated |" in text
