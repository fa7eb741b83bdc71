"""No long-lived IAM user credentials: access keys, console passwords and service-specific credentials never
rotate on their own and outlive the people who hold them. Workloads use roles (EKS Pod Identity, IRSA);
people use federation (IAM Identity Center)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    yield (f"{type_.rsplit(':', 1)[-1]} for user {props.get('user') or props.get('userName')!r} is a long-lived "
           "credential without rotation; use a role (Pod Identity) or federated access instead")
