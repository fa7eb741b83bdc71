"""Control mappings an auditor accepts (issue 18 s4): the doubtful ones are gone, every automated control says why
its policies are evidence and whether they cover it fully, and NIST SP 800-53 Rev. 5 is mapped."""

import pytest
from blueprints_policies.controls import CONTROLS, FRAMEWORKS, SPEC_FRAMEWORKS, Control, by_key
from blueprints_policies.registry import METAS

from blueprints.spec import ComplianceSpec

MAPPED = {(m.id, f, c) for m in METAS for f, ids in m.controls.items() for c in ids}


@pytest.mark.parametrize(("policy", "framework", "control", "why_not"), [
    # PCI DSS v4.0 3.5.1.2: disk-level encryption of non-removable media does not render PAN unreadable.
    ("ebs-encrypted", "PCI DSS", "3.5.1", "storage encryption is not 3.5.1"),
    ("rds-encrypted", "PCI DSS", "3.5.1", "storage encryption is not 3.5.1"),
    # A shared master key read from a secret authenticates no person (164.312(d)) and is a system credential (8.6).
    ("gateway-auth", "HIPAA", "164.312(d)", "no person is authenticated"),
    ("gateway-auth", "PCI DSS", "8.3.1", "8.3.1 is user and administrator authentication"),
    # PCI DSS 1.4.1 is the boundary between trusted and untrusted networks, not namespaces inside the cluster.
    ("k8s-networkpolicy-per-namespace", "PCI DSS", "1.4.1", "internal segmentation"),
    ("k8s-no-default-namespace", "PCI DSS", "1.4.1", "internal segmentation"),
    # SOC 2 CC6.8 is unauthorized or malicious software; IMDSv2 is a configuration standard (CC7.1).
    ("imdsv2-required", "SOC 2", "CC6.8", "not about software"),
    # EU AI Act Art. 12 is the AI system's own event log, not network flow records.
    ("vpc-flow-logs", "EU AI Act", "Art. 12", "network logs are not AI-system events"),
    ("cloudtrail-present", "EU AI Act", "Art. 12", "cloud audit logs are not AI-system events"),
])
def test_doubtful_mappings_are_gone(policy: str, framework: str, control: str, why_not: str) -> None:
    assert (policy, framework, control) not in MAPPED, why_not


@pytest.mark.parametrize(("policy", "framework", "control"), [
    ("gateway-auth", "PCI DSS", "8.6.2"), ("gateway-auth", "NIST 800-53", "IA-5(7)"),
    ("gateway-request-logging", "EU AI Act", "Art. 12"), ("rds-not-public", "PCI DSS", "1.4.4"),
    ("imdsv2-required", "SOC 2", "CC7.1"), ("k8s-networkpolicy-per-namespace", "NIST 800-53", "AC-4"),
    ("ebs-encrypted", "NIST 800-53", "SC-28"), ("alb-tls-policy", "NIST 800-53", "SC-8"),
    ("iam-no-wildcard-action", "NIST 800-53", "AC-6"), ("residency-allowlist", "NIST 800-53", "SA-9(5)"),
])
def test_replacement_mappings(policy: str, framework: str, control: str) -> None:
    assert (policy, framework, control) in MAPPED


def test_controls_named_only_as_process_are_not_claimed() -> None:
    for key in (("PCI DSS", "3.5.1"), ("PCI DSS", "8.3.1"), ("HIPAA", "164.312(d)")):
        assert by_key()[key].kind == "process" and by_key()[key].evidence


def test_every_automated_control_states_coverage_and_why() -> None:
    automated = [c for c in CONTROLS if c.kind == "automated"]
    assert all(c.coverage in ("full", "partial") and len(c.why or "") > 40 for c in automated)
    with pytest.raises(ValueError, match="states its coverage and why"):
        Control(framework="SOC 2", id="CC6.1", title="x", kind="automated")


def test_nist_800_53_rev5_is_mapped_with_real_identifiers() -> None:
    nist = {c.id for c in CONTROLS if c.framework == "NIST 800-53"}
    # Families and numbers from NIST SP 800-53 Rev. 5 (doi:10.6028/NIST.SP.800-53r5), chapter 3.
    assert {"AC-3", "AC-4", "AC-6", "AU-2", "AU-9", "AU-11", "AU-12", "CM-2", "CM-6", "CM-8", "CP-9", "IA-5(7)",
            "SC-7", "SC-8", "SC-12", "SC-28", "SI-2", "SI-4"} <= nist
    covered = {c for _, f, c in MAPPED if f == "NIST 800-53"}
    assert {c.id for c in CONTROLS if c.framework == "NIST 800-53" and c.kind == "automated"} <= covered


def test_every_spec_framework_has_a_catalog_name() -> None:
    spec_ids = set(ComplianceSpec.model_fields["frameworks"].annotation.__args__[0].__args__)
    assert spec_ids == set(SPEC_FRAMEWORKS) and set(SPEC_FRAMEWORKS.values()) == set(FRAMEWORKS)
