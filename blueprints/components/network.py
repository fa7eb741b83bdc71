"""One VPC per region: public, private and intra subnets across AZs, NAT, flow logs and VPC endpoints."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from blueprints.components.iam import allow, policy_document, service_trust
from blueprints.naming import Namer
from blueprints.spec import NetworkSpec

# Interface endpoints a private cluster needs to pull images, get credentials, read secrets and ship logs.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs", "ec2", "elasticloadbalancing")
BEDROCK_ENDPOINT = "bedrock-runtime"


def subnet_plan(vpc_cidr: str, zones: int) -> dict[str, list[str]]:
    """Carve the /16: private /19 per AZ (pods), public /22 per AZ (load balancers, NAT), intra /24 per AZ."""
    network = ipaddress.ip_network(vpc_cidr)
    private = list(network.subnets(new_prefix=19))[:zones]
    public = list(list(network.subnets(new_prefix=19))[4].subnets(new_prefix=22))[:zones]
    intra = list(list(network.subnets(new_prefix=19))[5].subnets(new_prefix=24))[:zones]
    return {kind: [str(block) for block in blocks] for kind, blocks in
            {"private": private, "public": public, "intra": intra}.items()}


def region_cidr(base_cidr: str, region_index: int) -> str:
    """Region N gets the /16 N positions after the first region's, so VPCs can be peered without overlap."""
    network = ipaddress.ip_network(base_cidr)
    return str(ipaddress.ip_network((int(network.network_address) + (region_index << 16), 16)))


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    intra_subnet_ids: list[pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        spec: NetworkSpec,
        namer: Namer,
        *,
        cidr: str,
        cluster_name: str,
        account_id: pulumi.Input[str],
        logs_key_arn: pulumi.Input[str],
        bedrock_endpoint: bool,
        opts: pulumi.ResourceOptions,
    ):
        super().__init__("blueprints:network:Network", name, None, opts)
        self._namer = namer
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        plan = subnet_plan(cidr, spec.availability_zones)

        vpc = aws.ec2.Vpc(
            namer("vpc"), cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True,
            tags={"Name": namer("vpc")}, opts=child,
        )
        # The default security group of a VPC allows all traffic between its members: close it.
        aws.ec2.DefaultSecurityGroup(namer("default-sg"), vpc_id=vpc.id, opts=child)
        igw = aws.ec2.InternetGateway(namer("igw"), vpc_id=vpc.id, tags={"Name": namer("igw")}, opts=child)

        def subnets(kind: str, role_tags: dict[str, str]) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    namer(kind, str(index)),
                    vpc_id=vpc.id,
                    cidr_block=block,
                    availability_zone=zones.names[index],
                    map_public_ip_on_launch=False,
                    tags={"Name": namer(kind, str(index)), "blueprints.io/tier": kind, **role_tags},
                    opts=child,
                )
                for index, block in enumerate(plan[kind])
            ]

        public = subnets("public", {"kubernetes.io/role/elb": "1"})
        private = subnets(
            "private", {"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": cluster_name}
        )
        intra = subnets("intra", {})

        public_routes = aws.ec2.RouteTable(
            namer("public-rt"), vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}], tags={"Name": namer("public-rt")}, opts=child,
        )
        for index, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                namer("public-rta", str(index)), subnet_id=subnet.id, route_table_id=public_routes.id, opts=child
            )

        nat_count = 1 if spec.nat_gateways == "single" else spec.availability_zones
        nats = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(namer("nat-eip", str(index)), domain="vpc", tags={"Name": namer("nat", str(index))},
                              opts=child)
            nats.append(aws.ec2.NatGateway(
                namer("nat", str(index)), allocation_id=eip.id, subnet_id=public[index].id,
                tags={"Name": namer("nat", str(index))}, opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            ))
        private_tables = []
        for index, subnet in enumerate(private):
            table = aws.ec2.RouteTable(
                namer("private-rt", str(index)), vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nats[index % nat_count].id}],
                tags={"Name": namer("private-rt", str(index))}, opts=child,
            )
            aws.ec2.RouteTableAssociation(
                namer("private-rta", str(index)), subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            private_tables.append(table)
        # Intra subnets (databases, caches, endpoints) have no route to the internet at all.
        intra_table = aws.ec2.RouteTable(namer("intra-rt"), vpc_id=vpc.id, tags={"Name": namer("intra-rt")},
                                         opts=child)
        for index, subnet in enumerate(intra):
            aws.ec2.RouteTableAssociation(
                namer("intra-rta", str(index)), subnet_id=subnet.id, route_table_id=intra_table.id, opts=child
            )

        self._flow_logs(vpc, spec, account_id, logs_key_arn)
        self._endpoints(vpc, cidr, [*private_tables, intra_table], private, spec, bedrock_endpoint)

        self.vpc_id = vpc.id
        self.vpc_cidr = cidr
        self.private_subnet_ids = [subnet.id for subnet in private]
        self.public_subnet_ids = [subnet.id for subnet in public]
        self.intra_subnet_ids = [subnet.id for subnet in intra]
        self.register_outputs({
            "vpc_id": vpc.id,
            "private_subnet_ids": self.private_subnet_ids,
            "public_subnet_ids": self.public_subnet_ids,
            "intra_subnet_ids": self.intra_subnet_ids,
        })

    def _flow_logs(self, vpc: aws.ec2.Vpc, spec: NetworkSpec, account_id: pulumi.Input[str],
                   logs_key_arn: pulumi.Input[str]) -> None:
        namer, child = self._namer, pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            namer("flow-logs"), name=f"/blueprints/{namer.prefix}/vpc-flow-logs",
            retention_in_days=spec.flow_log_retention_days, kms_key_id=logs_key_arn, opts=child,
        )
        # Confused-deputy keys as the VPC User Guide recommends (flow-logs-iam-role.html): this account's flow logs.
        trust = service_trust("vpc-flow-logs.amazonaws.com", account_id=account_id, source_arn=pulumi.Output.concat(
            "arn:aws:ec2:", namer.region, ":", account_id, ":vpc-flow-log/*"))
        role = aws.iam.Role(namer("flow-logs"), assume_role_policy=trust, opts=child)
        aws.iam.RolePolicy(
            namer("flow-logs"), role=role.id,
            policy=policy_document([allow(
                ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                [pulumi.Output.concat(group.arn, ":*")],
            )]),
            opts=child,
        )
        aws.ec2.FlowLog(
            namer("flow-log"), vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60, opts=child,
        )

    def _endpoints(
        self,
        vpc: aws.ec2.Vpc,
        cidr: str,
        route_tables: list[aws.ec2.RouteTable],
        subnets: list[aws.ec2.Subnet],
        spec: NetworkSpec,
        bedrock_endpoint: bool,
    ) -> None:
        namer, child = self._namer, pulumi.ResourceOptions(parent=self)
        aws.ec2.VpcEndpoint(
            namer("vpce", "s3"), vpc_id=vpc.id, service_name=f"com.amazonaws.{namer.region}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=[table.id for table in route_tables], opts=child,
        )
        if not spec.private_endpoints:
            return
        security_group = aws.ec2.SecurityGroup(
            namer("vpce-sg"), vpc_id=vpc.id, description="HTTPS from the VPC to interface endpoints",
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [cidr],
                      "description": "HTTPS from the VPC"}],
            opts=child,
        )
        services = [*INTERFACE_ENDPOINTS, *([BEDROCK_ENDPOINT] if bedrock_endpoint else [])]
        for service in services:
            aws.ec2.VpcEndpoint(
                namer("vpce", service.replace(".", "-")), vpc_id=vpc.id,
                service_name=f"com.amazonaws.{namer.region}.{service}", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[security_group.id], opts=child,
            )
