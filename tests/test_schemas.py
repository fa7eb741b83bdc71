"""Generated custom resources are held to what `kubectl apply --validate=strict` and the API server accept: unknown
fields are errors, and the CRDs' own CEL rules (`x-kubernetes-validations`) run on a real CEL runtime. The objects
start from what the program generates; the rules and messages asserted are the pinned upstream CRDs' own
(.vendor/crds, blueprints/upstream.lock.yaml)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from blueprints.render import artifacts
from tests.support.cel import CelRuleError, compile_rule, rule_errors
from tests.support.schemas import crd_schemas, validate_manifest


@pytest.fixture(scope="module")
def generated(graph_of) -> dict[str, list[dict[str, Any]]]:
    """Kind -> the Kubernetes objects `render` writes for regulated-industry prod (every kind below occurs there)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for artifact, content in artifacts(graph_of("regulated-industry", "prod")).values():
        if artifact.kind == "kubernetes-manifest":
            manifest = yaml.safe_load(content)
            by_kind.setdefault(manifest["kind"], []).append(manifest)
    return by_kind


def one(generated: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any]:
    """A copy of the first generated object of a kind, checked valid before a test breaks it."""
    manifest = copy.deepcopy(generated[kind][0])
    assert validate_manifest(manifest) == []
    return manifest


def _rules(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield from schema.get("x-kubernetes-validations", [])
        for child in schema.values():
            yield from _rules(child)
    elif isinstance(schema, list):
        for child in schema:
            yield from _rules(child)


def test_every_cel_rule_of_every_pinned_crd_compiles():
    """The CEL environment offers every function the pinned CRDs call: no rule is left unchecked."""
    failures, transitions = [], set()
    for (group, version, kind), schema in crd_schemas().items():
        for rule in _rules(schema):
            for expression in (rule["rule"], rule.get("messageExpression")):
                try:
                    if expression is not None and compile_rule(expression)[1]:
                        transitions.add(expression)
                except CelRuleError as error:
                    failures.append(f"{group}/{version} {kind}: {error}")
    assert failures == []
    assert "has(self.replicas) == has(oldSelf.replicas)" in transitions  # karpenter.sh NodePool, create skips it


def test_message_expression_wins_over_message():
    """No pinned CRD uses messageExpression yet; the API server reports its value, falling back to `message` when it
    is empty (apiextensions-apiserver CEL validator)."""
    rule = {"rule": "self.size() <= 2", "message": "too many", "messageExpression": "'got ' + string(self.size())"}
    strings = {"type": "array", "items": {"type": "string"}}
    assert list(rule_errors([rule], ["a", "b", "c"], strings)) == [("", "got 3")]
    assert list(rule_errors([rule | {"messageExpression": "''"}], ["a", "b", "c"], strings)) == [("", "too many")]
    assert list(rule_errors([rule], ["a"], strings)) == []


@pytest.mark.parametrize(("kind", "path", "field", "typo"), [
    ("NodePool", ["spec", "template", "spec"], "expireAfter", "expiresAfter"),
    ("NodePool", ["spec"], "limits", "limit"),
    ("ScaledObject", ["spec"], "cooldownPeriod", "coolDownPeriod"),
    ("ScaledObject", ["spec", "triggers", 0], "authenticationRef", "authRef"),
    ("ExternalSecret", ["spec"], "refreshInterval", "refreshinterval"),
    ("ExternalSecret", ["spec", "target"], "creationPolicy", "createPolicy"),
    ("EC2NodeClass", ["spec", "metadataOptions"], "httpTokens", "httpToken"),
    ("TargetGroupBinding", ["spec"], "targetGroupARN", "targetGroupArn"),
])
def test_a_misspelled_field_is_an_unknown_field(generated, kind, path, field, typo):
    manifest = one(generated, kind)
    parent = manifest
    for step in path:
        parent = parent[step]
    parent[typo] = parent.pop(field)
    dotted = ".".join(map(str, path))
    assert f'{kind}/{manifest["metadata"]["name"]}: {dotted}: unknown field "{typo}"' in validate_manifest(manifest)


def test_unknown_metadata_fields_are_errors(generated):
    manifest = one(generated, "NodePool")
    manifest["metadata"]["label"] = {"team": "ml"}
    assert any(problem.startswith("NodePool/batch: metadata:") and "'label'" in problem
               for problem in validate_manifest(manifest))


def _nodepool_problems(generated, change) -> list[str]:
    manifest = one(generated, "NodePool")
    change(manifest["spec"])
    return validate_manifest(manifest)


def test_nodepool_cel_rules_of_the_karpenter_crd(generated):
    """Rules and messages from karpenter.sh_nodepools.yaml (karpenter v1): each breaks one, and only that one."""
    hostname = {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}
    assert _nodepool_problems(generated, lambda spec: spec["template"]["spec"]["requirements"].append(hostname)) == [
        'NodePool/batch: spec.template.spec.requirements.4.key: label "kubernetes.io/hostname" is restricted']
    # `find` comes from the Kubernetes regex library (written in tests/support/cel.py)
    assert _nodepool_problems(generated, lambda spec: spec["template"]["metadata"]["labels"].update(
        {"karpenter.sh/team": "ml"})) == [
        'NodePool/batch: spec.template.metadata.labels: label domain "karpenter.sh" is restricted']
    assert _nodepool_problems(generated, lambda spec: spec["disruption"].update(
        budgets=[{"nodes": "10%", "schedule": "0 9 * * mon-fri"}])) == [
        "NodePool/batch: spec.disruption.budgets: 'schedule' must be set with 'duration'"]
    assert _nodepool_problems(generated, lambda spec: spec.update(replicas=2, weight=10, limits={})) == [
        "NodePool/batch: spec: 'weight' is not supported on static NodePools"]


def test_a_rule_that_fails_to_evaluate_is_an_error(generated):
    """`int(x.values[0])` on a non-number: the API server rejects the object with the evaluation error."""
    def gt_word(spec: dict[str, Any]) -> None:
        spec["template"]["spec"]["requirements"][2]["values"] = ["five"]
    problems = _nodepool_problems(generated, gt_word)
    assert len(problems) == 1 and problems[0].startswith("NodePool/batch: spec.template.spec.requirements: rule ")
    assert "int(x.values[0])" in problems[0]


def test_ec2nodeclass_cel_rules_of_the_karpenter_crd(generated):
    """Rules and messages from karpenter.k8s.aws_ec2nodeclasses.yaml (karpenter v1)."""
    both = one(generated, "EC2NodeClass")
    both["spec"]["role"] = "reg-prod-node"
    assert validate_manifest(both) == [
        "EC2NodeClass/gpu: spec: must specify exactly one of ['role', 'instanceProfile']"]
    family = one(generated, "EC2NodeClass")
    family["spec"]["amiFamily"] = "Bottlerocket"
    assert validate_manifest(family) == [
        "EC2NodeClass/gpu: spec: if set, amiFamily must be 'AL2023' or 'Custom' when using an AL2023 alias"]
    restricted = one(generated, "EC2NodeClass")
    restricted["spec"]["tags"]["kubernetes.io/cluster/reg-prod-euc1-eks"] = "owned"
    assert validate_manifest(restricted) == [
        "EC2NodeClass/gpu: spec.tags: tag contains a restricted tag matching kubernetes.io/cluster/"]


def test_int_or_string_quantities(generated):
    """NodePool limits are `x-kubernetes-int-or-string` resource quantities."""
    manifest = one(generated, "NodePool")
    for good in (64, "64", "512Gi", "1.5"):
        manifest["spec"]["limits"]["cpu"] = good
        assert validate_manifest(manifest) == [], good
    for bad in ([64], "64 cores", True):
        manifest["spec"]["limits"]["cpu"] = bad
        assert validate_manifest(manifest) != [], bad


def test_patterns_are_re2(generated):
    """PrometheusRule's `^(?i)(abort|warn)?$` is RE2 (case-insensitive from there on); Python's `re` rejects it."""
    manifest = one(generated, "PrometheusRule")
    group = manifest["spec"]["groups"][0]
    for good in ("warn", "ABORT", ""):
        group["partial_response_strategy"] = good
        assert validate_manifest(manifest) == [], good
    group["partial_response_strategy"] = "retry"
    assert len(validate_manifest(manifest)) == 1


def test_nullable_is_honoured(generated):
    """ExternalSecret `status.refreshTime` is `nullable: true`; a null elsewhere is pruned, as the API server does."""
    manifest = one(generated, "ExternalSecret")
    manifest["status"] = {"refreshTime": None}
    assert validate_manifest(manifest) == []
    manifest["status"] = {"refreshTime": 5}
    assert len(validate_manifest(manifest)) == 1
    del manifest["status"]
    manifest["spec"]["target"]["template"] = None
    assert validate_manifest(manifest) == []


def test_list_types_reject_duplicates(generated):
    """`x-kubernetes-list-type: map` (Gateway listeners keyed by name) and `set` (NodePool budget reasons)."""
    gateway = one(generated, "Gateway")
    gateway["spec"]["listeners"].append(copy.deepcopy(gateway["spec"]["listeners"][0]))
    duplicate = 'Gateway/inference-gateway: spec.listeners.1: Duplicate value: {"name": "http"}'
    assert duplicate in validate_manifest(gateway)
    budgets = _nodepool_problems(generated, lambda spec: spec["disruption"].update(
        budgets=[{"nodes": "10%", "reasons": ["Empty", "Drifted", "Empty"]}]))
    assert budgets == ['NodePool/batch: spec.disruption.budgets.0.reasons.2: Duplicate value: "Empty"']


def test_defaults_and_formats_apply_before_validation(generated):
    """A Gateway address without `type` is defaulted to IPAddress, whose value must then be an ipv4/ipv6 address."""
    gateway = one(generated, "Gateway")
    for good in ([{"value": "10.0.1.5"}], [{"value": "fd00::5"}], [{"type": "Hostname", "value": "lb.example.com"}]):
        gateway["spec"]["addresses"] = good
        assert validate_manifest(gateway) == [], good
    gateway["spec"]["addresses"] = [{"value": "10.0.0.300"}]
    assert len(validate_manifest(gateway)) == 1


def test_names_labels_and_annotations_follow_the_api_server_rules(generated):
    """Custom resource names are DNS subdomains; label keys/values and annotation keys are qualified names on every
    object (k8s.io/apimachinery/pkg/util/validation/validation.go, Kubernetes 1.33)."""
    nodepool = one(generated, "NodePool")
    nodepool["metadata"]["name"] = "GPU_pool"
    assert [problem.split(": ")[1] for problem in validate_manifest(nodepool)] == ["metadata.name"]
    deployment = one(generated, "Deployment")
    name = deployment["metadata"]["name"]
    deployment["metadata"]["labels"]["app.kubernetes.io/version"] = "2026-11-01+" + "x" * 60
    deployment["metadata"].setdefault("annotations", {})["Example.com/owner"] = "ml"
    assert [problem.split(": ")[:2] for problem in validate_manifest(deployment)] == [
        [f"Deployment/{name}", "metadata.labels.app.kubernetes.io/version"],
        [f"Deployment/{name}", "metadata.annotations.Example.com/owner"]]
