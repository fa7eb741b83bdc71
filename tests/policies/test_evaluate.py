"""The offline evaluator follows the engine's enforcement semantics and fails closed."""

from blueprints_policies import checks, evaluate
from blueprints_policies.packs import PACKS, Pack, PackEntry

from .helpers import graph, record

KEY = "aws:kms/key:Key"
TRAIL = "aws:cloudtrail/trail:Trail"


def pack(*entries: tuple[str, str]) -> Pack:
    return Pack(name="t", description="t", entries=tuple(PackEntry(policy=p, enforcement=e) for p, e in entries))


def test_pack_config_overrides_enforcement_level() -> None:
    g = graph(record(KEY, "k", {}))
    assert evaluate.evaluate_pack(g, pack(("kms-key-rotation", "mandatory"))).violations[0].level == "mandatory"
    advisory = evaluate.evaluate_pack(g, pack(("kms-key-rotation", "mandatory")), {"kms-key-rotation": "advisory"})
    assert [v.level for v in advisory.violations] == ["advisory"]
    disabled = evaluate.evaluate_pack(g, pack(("kms-key-rotation", "mandatory")),
                                      {"kms-key-rotation": {"enforcementLevel": "disabled"}})
    assert disabled.violations == []


def test_remediate_rewrites_inputs_then_validates() -> None:
    result = evaluate.evaluate_pack(graph(record(KEY, "k", {})), pack(("kms-key-rotation", "remediate")))
    assert result.violations == []
    assert [r.policy for r in result.remediations] == ["kms-key-rotation"]


def test_violation_left_after_remediation_reports_as_mandatory() -> None:
    """eks-control-plane-logging remediates; eks-secrets-encryption has no remediation, so at `remediate` its
    violation stays and is reported as mandatory, as the engine does."""
    eks = record("aws:eks/cluster:Cluster", "c", {"roleArn": "r", "vpcConfig": {"subnetIds": ["a"]}})
    result = evaluate.evaluate_pack(graph(eks), pack(("eks-control-plane-logging", "remediate"),
                                                     ("eks-secrets-encryption", "remediate")))
    assert [(v.policy, v.level) for v in result.violations] == [("eks-secrets-encryption", "mandatory")]
    assert [r.policy for r in result.remediations] == ["eks-control-plane-logging"]


def test_resource_policies_see_inputs_and_stack_policies_see_outputs() -> None:
    trail = record(TRAIL, "t", {"isMultiRegionTrail": False, "enableLogFileValidation": True},
                   outputs={"isMultiRegionTrail": True, "enableLogFileValidation": False})
    result = evaluate.evaluate_pack(graph(trail), pack(("cloudtrail-present", "mandatory"),
                                                       ("cloudtrail-log-file-validation", "mandatory")))
    assert result.violations == []


def test_a_check_that_raises_is_a_cannot_evaluate_violation(monkeypatch) -> None:
    from blueprints_policies.checks import kms_key_rotation

    def broken(type_, props, ctx):
        raise KeyError("boom")

    monkeypatch.setattr(kms_key_rotation, "check", broken)
    result = evaluate.evaluate_pack(graph(record(KEY, "k", {"enableKeyRotation": True})),
                                    pack(("kms-key-rotation", "advisory")))
    assert len(result.violations) == 1
    assert result.violations[0].cannot_evaluate
    assert result.violations[0].level == "advisory"
    assert "KeyError" in result.violations[0].message
    assert checks.__doc__


def test_environment_and_residency_come_from_the_stack_config() -> None:
    provider = record("pulumi:providers:aws", "use1", {"region": "us-east-1"})
    rds = record("aws:rds/cluster:Cluster", "db", {"deletionProtection": False}, region="us-east-1")
    g = graph(provider, rds, **{"llm-platform:environment": "prod", "llm-platform:residency": '["eu-*"]'})
    result = evaluate.evaluate_pack(g, pack(("rds-deletion-protection-prod", "mandatory"),
                                            ("residency-allowlist", "mandatory")))
    assert sorted(v.policy for v in result.violations) == [
        "rds-deletion-protection-prod", "residency-allowlist", "residency-allowlist"]


def test_resource_region_comes_from_its_provider_when_not_recorded() -> None:
    provider = record("pulumi:providers:aws", "usw2", {"region": "us-west-2"})
    bucket = record("aws:s3/bucket:Bucket", "b", {"bucket": "b"}).model_copy(
        update={"provider": provider.urn + "::usw2-provider-id"})
    result = evaluate.evaluate_pack(graph(bucket, provider, residency=["us-east-1"]),
                                    pack(("residency-allowlist", "mandatory")))
    assert {v.urn for v in result.violations} == {bucket.urn, provider.urn}


def test_every_pack_evaluates_an_empty_graph_without_errors() -> None:
    for result in evaluate.evaluate(graph(environment="dev"), list(PACKS.values())):
        assert not any(v.cannot_evaluate for v in result.violations)
