"""The network of a platform without a cluster (`runtime: fargate`): one VPC with a public and a private subnet per
AZ and one NAT gateway, nothing else. The ALB sits in the public subnets; the gateway's Fargate tasks in the private
ones, without public addresses, leave through the NAT gateway (Bedrock, other providers, the image registry) and
admit connections only from the ALB's security group (components/edge.py). Private subnets use the VPC's main route
table, which routes to the NAT gateway: a subnet added later is private by default. Growing into `runtime: eks`
replaces this with components/network.py (intra subnets, a NAT per AZ in prod, endpoints, flow logs)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from blueprints.components.network import subnet_plan
from blueprints.naming import Namer
from blueprints.spec import NetworkSpec


class SmallNetwork(pulumi.ComponentResource):
    """`vpc_id`, `vpc_cidr`, `public_subnet_ids`, `private_subnet_ids` as components/network.py's Network has them."""

    egress = "nat"
    api_egress_cidrs = ["0.0.0.0/0"]
    """The tasks reach AWS APIs on their public endpoints, through NAT (what `Network.egress == "nat"` means)."""

    def __init__(self, name: str, spec: NetworkSpec, namer: Namer, *, cidr: str, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:network:SmallNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        plan = subnet_plan(cidr, spec.availability_zones)
        vpc = aws.ec2.Vpc(namer("vpc"), cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True,
                          tags={"Name": namer("vpc")}, opts=child)

        def subnet(kind: str, index: int, block: str) -> aws.ec2.Subnet:
            return aws.ec2.Subnet(
                namer(kind, str(index)), vpc_id=vpc.id, cidr_block=block, availability_zone=zones.names[index],
                map_public_ip_on_launch=False, tags={"Name": namer(kind, str(index)), "blueprints.io/tier": kind},
                opts=child)

        igw = aws.ec2.InternetGateway(namer("igw"), vpc_id=vpc.id, tags={"Name": namer("igw")}, opts=child)
        public_table = aws.ec2.RouteTable(namer("public-rt"), vpc_id=vpc.id,
                                          routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],
                                          tags={"Name": namer("public-rt")}, opts=child)
        public = [subnet("public", index, block) for index, block in enumerate(plan["public"])]
        for index, item in enumerate(public):
            aws.ec2.RouteTableAssociation(namer("public-rta", str(index)), subnet_id=item.id,
                                          route_table_id=public_table.id, opts=child)
        eip = aws.ec2.Eip(namer("nat-eip"), domain="vpc", tags={"Name": namer("nat")}, opts=child)
        nat = aws.ec2.NatGateway(namer("nat"), allocation_id=eip.id, subnet_id=public[0].id,
                                 tags={"Name": namer("nat")}, opts=pulumi.ResourceOptions(parent=self,
                                                                                          depends_on=[igw]))
        aws.ec2.DefaultRouteTable(namer("private-rt"), default_route_table_id=vpc.default_route_table_id,
                                  routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                                  tags={"Name": namer("private-rt")}, opts=child)
        private = [subnet("private", index, block) for index, block in enumerate(plan["private"])]
        self.vpc_id = vpc.id
        self.vpc_cidr = cidr
        self.public_subnet_ids = [item.id for item in public]
        self.private_subnet_ids = [item.id for item in private]
        self.register_outputs({"vpc_id": vpc.id, "public_subnet_ids": self.public_subnet_ids,
                               "private_subnet_ids": self.private_subnet_ids})
