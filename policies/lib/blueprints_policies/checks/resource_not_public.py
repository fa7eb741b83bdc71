"""No resource is open to anyone: no resource policy (bucket, queue, topic, repository, secret, key) allows
Principal `*` without a condition naming accounts, organisations or networks (iamdoc.public_statement), no S3 ACL
grants AllUsers or AuthenticatedUsers, no Lambda permission lets any principal invoke, no function URL skips
authentication, and no repository is created in the public ECR gallery."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..iamdoc import public_statement
from ..model import StackContext
from ..props import dig, items, json_object

PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
LAMBDA_NARROWING = ("sourceAccount", "sourceArn", "principalOrgId")


def _policy_problems(props: Mapping[str, Any]) -> Iterator[str]:
    document = json_object(props.get("policy")) or {}
    for index, statement in enumerate(items(document.get("Statement"))):
        if public_statement(statement):
            yield (f"policy Statement[{index}] allows anyone (Principal '*' without a condition on "
                   "aws:SourceAccount, aws:PrincipalOrgID, aws:SourceVpce, ...)")


def _acl_problems(props: Mapping[str, Any]) -> Iterator[str]:
    if props.get("acl") in PUBLIC_ACLS:
        yield f"acl {props.get('acl')!r} opens the objects to anyone"
    grants = items(props.get("grants")) + items(dig(props, "accessControlPolicy.grants"))
    for grant in grants:
        uri = grant.get("uri") or dig(grant, "grantee.uri")
        if uri in PUBLIC_GRANTEES:
            yield f"ACL grant to {uri} opens the bucket to anyone"


def _lambda_problems(type_: str, props: Mapping[str, Any]) -> Iterator[str]:
    if type_ in tokens.LAMBDA_FUNCTION_URL:
        if props.get("authorizationType") != "AWS_IAM":
            yield (f"function URL authorizationType {props.get('authorizationType')!r}: anyone can invoke; "
                   "use AWS_IAM")
    elif str(props.get("principal")) == "*" and (props.get("functionUrlAuthType") == "NONE"
                                                 or not any(props.get(k) for k in LAMBDA_NARROWING)):
        yield ("permission lets principal '*' invoke the function; name the calling service or account and "
                   "set sourceArn / sourceAccount")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.ECR_PUBLIC_REPOSITORY:
        yield "an ECR Public repository serves its images to anyone; use a private aws.ecr.Repository"
        return
    if type_ in tokens.LAMBDA_PERMISSION + tokens.LAMBDA_FUNCTION_URL:
        yield from _lambda_problems(type_, props)
        return
    yield from _policy_problems(props)
    yield from _acl_problems(props)
