"""The region's ECR repository of one of our own runtime images (batch-worker, eval-runner, ...): immutable tags,
scanned on push, encrypted with the artifacts key; the image the workloads run is `<repository>:<tag>`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext


def runtime_image(image: str, tag: str, spec: PlatformSpec, ctx: RegionContext,
                  parent: pulumi.Resource) -> tuple[aws.ecr.Repository, pulumi.Output[str]]:
    """The repository `<platform>-<env>/<image>` and the reference `<account>.dkr.ecr.<region>...:<tag>`."""
    repository = aws.ecr.Repository(
        ctx.namer("ecr", image), name=f"{spec.name}-{spec.environment}/{image}",
        image_tag_mutability="IMMUTABLE", image_scanning_configuration={"scan_on_push": True},
        encryption_configurations=[{"encryption_type": "KMS", "kms_key": ctx.keys.arn("artifacts")}],
        force_delete=not spec.deletion_protection, opts=pulumi.ResourceOptions(parent=parent),
    )
    reference = pulumi.Output.concat(ctx.account_id, ".dkr.ecr.", ctx.region, ".amazonaws.com/", repository.name,
                                     ":", tag)
    return repository, reference
