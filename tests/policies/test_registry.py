import inspect

from blueprints_policies.controls import CONTROLS, by_key
from blueprints_policies.registry import METAS, registry


def test_at_least_40_policies_across_aws_kubernetes_and_stack() -> None:
    metas = list(METAS)
    assert len(metas) >= 40
    assert len({m.id for m in metas}) == len(metas)
    assert sum(m.kind == "stack" for m in metas) >= 10
    assert sum(any(t.startswith("kubernetes:") for t in m.applies_to) for m in metas) >= 15
    assert sum(any(t.startswith("aws:") for t in m.applies_to) for m in metas) >= 25


def test_check_signature_matches_kind() -> None:
    for pid, policy in registry().items():
        params = list(inspect.signature(policy.check).parameters)
        expected = ["type_", "props", "ctx"] if policy.meta.kind == "resource" else ["resources", "ctx"]
        assert params == expected, pid
        if policy.remediate:
            assert policy.meta.kind == "resource", pid


def test_every_policy_names_real_controls_and_a_field_to_fix() -> None:
    known = by_key()
    for meta in METAS:
        assert meta.controls, meta.id
        for framework, ids in meta.controls.items():
            for control_id in ids:
                assert (framework, control_id) in known, (meta.id, framework, control_id)
        assert meta.rationale and meta.remediation


def test_control_catalog_has_the_required_real_ids() -> None:
    ids = {(c.framework, c.id) for c in CONTROLS}
    required = {
        ("HIPAA", "164.312(a)(2)(iv)"), ("HIPAA", "164.312(b)"), ("HIPAA", "164.312(e)(1)"), ("SOC 2", "CC6.1"),
        ("SOC 2", "CC6.6"), ("SOC 2", "CC7.2"), ("SOC 2", "CC8.1"), ("SOC 2", "A1.2"), ("GDPR", "Art. 5(1)(f)"),
        ("GDPR", "Art. 25"), ("GDPR", "Art. 30"), ("GDPR", "Art. 32"), ("GDPR", "Art. 44"), ("PCI DSS", "3.5.1"),
        ("PCI DSS", "4.2.1"), ("PCI DSS", "10.2.1"), ("ISO 27001", "A.8.24"), ("ISO 27001", "A.8.15"),
        ("ISO 27001", "A.8.16"), ("ISO 27001", "A.5.23"), ("EU AI Act", "Art. 12"), ("EU AI Act", "Art. 14"),
        ("EU AI Act", "Art. 15"),
    }
    assert required <= ids
    assert {c.kind for c in CONTROLS} == {"automated", "process"}
    assert all(c.evidence for c in CONTROLS if c.kind == "process")
