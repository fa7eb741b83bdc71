from blueprints_policies import crossguard
from blueprints_policies.packs import PACKS
from blueprints_policies.registry import registry
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy


def test_policies_carry_metadata_into_crossguard() -> None:
    policy = crossguard.build(registry()["s3-bucket-kms-cmk"], "mandatory")
    assert isinstance(policy, StackValidationPolicy)
    assert policy.enforcement_level is EnforcementLevel.MANDATORY
    assert policy.severity is Severity.HIGH
    assert "HIPAA:164.312(a)(2)(iv)" in policy.tags and "NIST 800-53:SC-28" in policy.tags
    assert "PCI DSS:3.5.1" not in policy.tags  # storage encryption does not render PAN unreadable (PCI DSS 3.5.1.2)
    assert policy.framework.name == ", ".join(sorted(registry()["s3-bucket-kms-cmk"].meta.controls))
    assert "kms_master_key_id" in policy.remediation_steps


def test_every_pack_builds() -> None:
    for pack in PACKS.values():
        built = crossguard.build_all(pack.policies())
        assert [p.name for p in built] == [e.policy for e in pack.entries]
        assert all(isinstance(p, ResourceValidationPolicy | StackValidationPolicy) for p in built)


def test_region_of() -> None:
    assert crossguard.region_of("aws:s3/bucket:Bucket", {}, {"region": "eu-west-1"}) == "eu-west-1"
    assert crossguard.region_of("aws:s3/bucket:Bucket", {"region": "eu-north-1"}, {"region": "x"}) == "eu-north-1"
    assert crossguard.region_of("kubernetes:core/v1:Namespace", {}, {"region": "x"}) is None
