"""Kubernetes RBAC and EKS access policies grant no administrator power: no Role/ClusterRole rule with `*` verbs
or resources or the escalation verbs (escalate, bind, impersonate), no binding to cluster-admin or to anonymous /
every-authenticated subjects, and no EKS access policy association of AmazonEKSClusterAdminPolicy."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import dig, items

ESCALATION_VERBS = {"escalate", "bind", "impersonate"}
ADMIN_ROLES = ("cluster-admin",)
PUBLIC_SUBJECTS = ("system:anonymous", "system:unauthenticated", "system:authenticated")
EKS_ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy",)


def _rule_problems(props: Mapping[str, Any]) -> Iterator[str]:
    for index, rule in enumerate(items(props.get("rules"))):
        verbs = {str(v) for v in items(rule.get("verbs"))}
        wild = [f for f in ("verbs", "resources", "apiGroups") if "*" in items(rule.get(f))
                and (f != "apiGroups" or "*" in items(rule.get("resources")))]
        if "*" in verbs or "*" in items(rule.get("resources")):
            yield f"rules[{index}] grants wildcard {wild}: list the verbs and resources needed"
        if verbs & ESCALATION_VERBS:
            yield f"rules[{index}] grants escalation verbs {sorted(verbs & ESCALATION_VERBS)}"


def _binding_problems(props: Mapping[str, Any]) -> Iterator[str]:
    role = dig(props, "roleRef.name")
    if role in ADMIN_ROLES:
        yield f"binds {role!r}: full control of the cluster"
    public = [s.get("name") for s in items(props.get("subjects")) if s.get("name") in PUBLIC_SUBJECTS]
    if public:
        yield f"binds {role!r} to {public}: every caller gets it"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.EKS_ACCESS_POLICY_ASSOCIATION:
        if str(props.get("policyArn", "")).rsplit("/", 1)[-1] in EKS_ADMIN_POLICIES:
            yield f"associates {props.get('policyArn')!r}: cluster-admin through EKS access entries"
    elif type_ in tokens.K8S_RBAC_ROLES:
        yield from _rule_problems(props)
    else:
        yield from _binding_problems(props)
