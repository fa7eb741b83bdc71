"""Issue 18 section 1: the packs judge what a resource does, not how it is spelt. Every red-team evasion in
tests/policies/redteam/cases.yaml draws a MANDATORY diagnostic from the policy it names, and no benign look-alike
draws any, through each pack's own gRPC server started the way the Pulumi CLI starts it (Remediate, Analyze,
AnalyzeStack; tests/policies/redteam/corpus.py)."""

from collections.abc import Iterator

import pytest

from .analyzer import Analyzer
from .redteam import corpus

CASES = corpus.cases()


@pytest.fixture(scope="module")
def packs() -> Iterator[dict[str, Analyzer]]:
    with corpus.packs() as analyzers:
        yield analyzers


def test_the_corpus_is_big_enough_and_every_case_says_why() -> None:
    assert sum(c.kind == "evasion" for c in CASES) >= 60
    assert sum(c.kind == "benign" for c in CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert case.kind in ("evasion", "benign") and case.why.strip(), case.id
        assert (case.kind == "evasion") == bool(case.expect), case.id


def test_every_workload_kind_and_spelling_class_is_covered() -> None:
    types = {t for c in CASES if c.kind == "evasion" for t, _, _ in c.resources}
    kinds = {t.rsplit(":", 1)[-1] for t in types if t.startswith("kubernetes:")}
    assert {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "PodTemplate",
            "ReplicationController", "DeploymentPatch"} <= kinds
    assert {"aws:ec2/securityGroup:SecurityGroup", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:ec2/securityGroupRule:SecurityGroupRule", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy", "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketAcl:BucketAcl", "aws:elasticache/cluster:Cluster", "aws:sqs/queue:Queue",
            "aws:sns/topic:Topic", "aws:dynamodb/table:Table", "aws:lambda/functionUrl:FunctionUrl",
            "aws:rds/globalCluster:GlobalCluster", "aws:lb/listener:Listener",
            "aws:ecr/repositoryPolicy:RepositoryPolicy", "aws:cloudtrail/trail:Trail"} <= types


def test_the_floor_alone_is_clean(packs) -> None:
    """Every case sits on floor.yaml; a mandatory diagnostic of the floor would make every evasion look caught."""
    floor = corpus.floor()
    for name, analyzer in packs.items():
        assert [(d.policy, d.message) for d in corpus.send(analyzer, floor, ()) if d.level == "mandatory"] == [], name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(packs, case: corpus.Case) -> None:
    verdict = corpus.judge(packs, case, corpus.floor())
    found = sorted({(d.policy, d.message) for d in verdict.mandatory})
    if case.kind == "benign":
        assert found == [], f"benign look-alike flagged ({case.why})"
    else:
        assert verdict.flagged_by & set(case.expect), f"evasion not caught by {case.expect} ({case.why}): {found}"
