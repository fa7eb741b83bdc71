"""What every regional workload component receives: names, the region's AWS provider and the shared
foundations (key ring, network, cluster).

Layers (pyproject.toml, import-linter): below the workload components and platform.py, above the foundation
components it carries (components/keys.py, network.py, cluster.py), so a component never imports platform.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from blueprints.components.cluster import Cluster
from blueprints.components.keys import KeyRing
from blueprints.components.network import Network
from blueprints.components.small_network import SmallNetwork
from blueprints.naming import Namer


@dataclass(frozen=True)
class RegionContext:
    """What every regional component receives besides its spec slice: names, providers and shared foundations."""

    namer: Namer
    aws_provider: aws.Provider
    account_id: pulumi.Output[str]
    keys: KeyRing
    network: Network | SmallNetwork
    cluster: Cluster | None
    """None on runtime `fargate` (no cluster: only AWS resources, through `aws_opts`)."""
    image_transforms: tuple[pulumi.ResourceTransformation, ...] = ()
    """Applied to every Kubernetes object of the workload components (private VPCs pull through ECR)."""

    @property
    def region(self) -> str:
        return self.namer.region

    def aws_opts(self, parent: pulumi.Resource, **extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.aws_provider, **extra)

    def k8s_opts(self, parent: pulumi.Resource, **extra) -> pulumi.ResourceOptions:
        """For components holding both AWS and Kubernetes resources: children inherit both providers."""
        if self.cluster is None:
            raise ValueError("runtime 'fargate' has no cluster: Kubernetes resources cannot be created")
        return pulumi.ResourceOptions(
            parent=parent, providers={"aws": self.aws_provider, "kubernetes": self.cluster.provider},
            transformations=list(self.image_transforms), **extra
        )
