"""One VPC per region: private and intra subnets across AZs, flow logs and VPC endpoints; the way out to the
internet depends on the platform: NAT (internet-facing platforms), none at all (private), or NAT behind an AWS
Network Firewall that admits only `network.egress_allowlist` (private with an allowlist)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprints.components.egress import EgressFirewall
from blueprints.components.iam import allow, policy_document, service_trust
from blueprints.naming import Namer
from blueprints.spec import NetworkSpec, PlatformSpec

EgressMode = Literal["nat", "none", "firewall"]
GATEWAY_ENDPOINTS = frozenset({"s3", "dynamodb"})
"""Gateway endpoints: route-table entries, no hourly charge; every other endpoint is an interface endpoint."""
NODE_ENDPOINTS = ("ec2", "eks", "eks-auth", "ecr.api", "ecr.dkr", "s3", "ssm", "ssmmessages", "ec2messages")
"""What every node calls: AmazonEKSWorkerNodePolicy (EC2 describe, EKS, Pod Identity's eks-auth), image pulls (ECR
API and registry, layers from S3) and AmazonSSMManagedInstanceCore (SSM agent)."""


def endpoint_services(spec: PlatformSpec) -> list[str]:
    """The VPC endpoints the platform's in-VPC workloads call, from what the spec deploys. The egress contract
    (blueprints/contracts/egress.py) derives the same set from the IAM of the planned graph; tests keep them equal."""
    observability = spec.observability
    hosted_embeddings = (spec.cache.enabled and spec.cache.semantic) or (
        spec.retrieval.enabled and spec.retrieval.embedding_hosting == "bedrock")
    conditional = {
        "sqs": bool(spec.cluster.gpu_pools) or spec.batch.enabled,  # Karpenter's interruption queue, batch queues
        "dynamodb": spec.batch.enabled,  # batch job table
        "sts": spec.batch.enabled,  # KEDA assumes the batch scaler role
        "sns": observability.stack == "kube-prometheus",  # Alertmanager publishes alerts
        "aps-workspaces": observability.stack == "managed",  # remote write, KEDA's queries
        "xray": observability.tracing,  # the OTel collector's awsxray exporter
        "bedrock-runtime": bool(spec.hosted_models) or hosted_embeddings,
    }
    # Load Balancer Controller, Fluent Bit, workloads holding KMS grants, External Secrets and secret rotation.
    always = (*NODE_ENDPOINTS, "elasticloadbalancing", "logs", "kms", "secretsmanager")
    return sorted({*always, *(service for service, needed in conditional.items() if needed)})


def egress_mode(spec: PlatformSpec) -> EgressMode:
    if not spec.is_private:
        return "nat"
    return "firewall" if spec.network.egress_allowlist else "none"


def subnet_plan(vpc_cidr: str, zones: int) -> dict[str, list[str]]:
    """Carve the /16: private /19 per AZ (pods), public /22 per AZ (load balancers, NAT), intra /24 per AZ,
    firewall /28 per AZ (Network Firewall endpoints, used only with an egress allowlist)."""
    network = ipaddress.ip_network(vpc_cidr)
    blocks = list(network.subnets(new_prefix=19))
    plan = {
        "private": blocks[:zones],
        "public": list(blocks[4].subnets(new_prefix=22))[:zones],
        "intra": list(blocks[5].subnets(new_prefix=24))[:zones],
        "firewall": list(blocks[6].subnets(new_prefix=28))[:zones],
    }
    return {kind: [str(block) for block in subnets] for kind, subnets in plan.items()}


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
        egress: EgressMode,
        endpoints: Sequence[str],
        opts: pulumi.ResourceOptions,
    ):
        """`endpoints`: VPC endpoint services (`endpoint_services`); interface endpoints are created where
        `spec.private_endpoints` is on or the VPC has no unfiltered way out (`egress` other than `nat`)."""
        super().__init__("blueprints:network:Network", name, None, opts)
        self._namer = namer
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        plan = subnet_plan(cidr, spec.availability_zones)

        vpc = aws.ec2.Vpc(
            namer("vpc"), cidr_block=cidr, enable_dns_hostnames=True, enable_dns_support=True,
            tags={"Name": namer("vpc")}, opts=child,
        )
        self._vpc = vpc
        # The default security group of a VPC allows all traffic between its members: close it.
        aws.ec2.DefaultSecurityGroup(namer("default-sg"), vpc_id=vpc.id, opts=child)

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

        private = subnets(
            "private", {"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": cluster_name}
        )
        intra = subnets("intra", {})
        # Without a way out there is nothing to put in public subnets: no internet gateway, no NAT, no public IPs.
        public = subnets("public", {"kubernetes.io/role/elb": "1"}) if egress != "none" else []
        private_tables = [
            aws.ec2.RouteTable(namer("private-rt", str(index)), vpc_id=vpc.id,
                               tags={"Name": namer("private-rt", str(index))}, opts=child)
            for index in range(len(private))
        ]
        for index, (subnet, table) in enumerate(zip(private, private_tables, strict=True)):
            aws.ec2.RouteTableAssociation(
                namer("private-rta", str(index)), subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
        if egress != "none":
            self._internet_routes(spec, egress, plan, private, private_tables, public, subnets, logs_key_arn)
        # Intra subnets (databases, caches, endpoints) have no route to the internet at all.
        intra_table = aws.ec2.RouteTable(namer("intra-rt"), vpc_id=vpc.id, tags={"Name": namer("intra-rt")},
                                         opts=child)
        for index, subnet in enumerate(intra):
            aws.ec2.RouteTableAssociation(
                namer("intra-rta", str(index)), subnet_id=subnet.id, route_table_id=intra_table.id, opts=child
            )

        self._flow_logs(vpc, spec, account_id, logs_key_arn)
        interface = spec.private_endpoints or egress != "nat"
        self._endpoints(vpc, cidr, [*private_tables, intra_table], private,
                        [service for service in endpoints if interface or service in GATEWAY_ENDPOINTS])

        self.vpc_id = vpc.id
        self.vpc_cidr = cidr
        self.egress = egress
        self.private_subnet_ids = [subnet.id for subnet in private]
        self.public_subnet_ids = [subnet.id for subnet in public]
        self.intra_subnet_ids = [subnet.id for subnet in intra]
        self.register_outputs({
            "vpc_id": vpc.id,
            "private_subnet_ids": self.private_subnet_ids,
            "public_subnet_ids": self.public_subnet_ids,
            "intra_subnet_ids": self.intra_subnet_ids,
        })

    @property
    def api_egress_cidrs(self) -> list[str]:
        """Where a security group must let HTTPS out to reach AWS APIs: the VPC (its interface endpoints) when the
        VPC has no unfiltered internet route, else anywhere (public endpoints through NAT)."""
        return ["0.0.0.0/0"] if self.egress == "nat" else [self.vpc_cidr]

    def _internet_routes(self, spec: NetworkSpec, egress: EgressMode, plan: dict[str, list[str]],
                         private: list[aws.ec2.Subnet], private_tables: list[aws.ec2.RouteTable],
                         public: list[aws.ec2.Subnet], subnets, logs_key_arn: pulumi.Input[str]) -> None:
        """Internet gateway and NAT; with `firewall`, private subnets leave through the firewall endpoint of their
        AZ, the firewall subnets through NAT, and the NAT subnets return traffic for private subnets through the
        firewall too (symmetric routing: AWS Network Firewall Developer Guide, arch-igw-ngw.html)."""
        namer, vpc = self._namer, self._vpc
        child = pulumi.ResourceOptions(parent=self)
        igw = aws.ec2.InternetGateway(namer("igw"), vpc_id=vpc.id, tags={"Name": namer("igw")}, opts=child)
        nat_count = 1 if spec.nat_gateways == "single" else spec.availability_zones
        nats = []
        for index in range(nat_count):
            eip = aws.ec2.Eip(namer("nat-eip", str(index)), domain="vpc", tags={"Name": namer("nat", str(index))},
                              opts=child)
            nats.append(aws.ec2.NatGateway(
                namer("nat", str(index)), allocation_id=eip.id, subnet_id=public[index].id,
                tags={"Name": namer("nat", str(index))}, opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            ))
        # Where each private subnet's traffic goes next: its AZ's firewall endpoint, or straight to NAT.
        firewall = None
        if egress == "firewall":
            firewall_subnets = subnets("firewall", {})
            firewall = EgressFirewall(
                namer("egress"), namer, vpc_id=vpc.id, subnet_ids=[subnet.id for subnet in firewall_subnets],
                domains=spec.egress_allowlist, logs_key_arn=logs_key_arn,
                log_retention_days=spec.flow_log_retention_days, opts=child,
            )
            for index, subnet in enumerate(firewall_subnets):
                table = aws.ec2.RouteTable(
                    namer("firewall-rt", str(index)), vpc_id=vpc.id,
                    routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nats[index % nat_count].id}],
                    tags={"Name": namer("firewall-rt", str(index))}, opts=child,
                )
                aws.ec2.RouteTableAssociation(namer("firewall-rta", str(index)), subnet_id=subnet.id,
                                              route_table_id=table.id, opts=child)
            exits = [firewall.endpoint(subnet.id) for subnet in firewall_subnets]
        for index, table in enumerate(private_tables):
            target = ({"vpc_endpoint_id": exits[index]} if firewall
                      else {"nat_gateway_id": nats[index % nat_count].id})
            aws.ec2.Route(namer("private-default", str(index)), route_table_id=table.id,
                          destination_cidr_block="0.0.0.0/0", **target, opts=child)
        for index, subnet in enumerate(public):
            returns = [{"cidr_block": plan["private"][zone], "vpc_endpoint_id": exits[zone]}
                       for zone in range(len(private)) if firewall and zone % nat_count == index]
            table = aws.ec2.RouteTable(
                namer("public-rt", str(index)), vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}, *returns],
                tags={"Name": namer("public-rt", str(index))}, opts=child,
            )
            aws.ec2.RouteTableAssociation(namer("public-rta", str(index)), subnet_id=subnet.id,
                                          route_table_id=table.id, opts=child)

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
        services: Sequence[str],
    ) -> None:
        namer, child = self._namer, pulumi.ResourceOptions(parent=self)
        for service in sorted(GATEWAY_ENDPOINTS & set(services)):
            aws.ec2.VpcEndpoint(
                namer("vpce", service), vpc_id=vpc.id, service_name=f"com.amazonaws.{namer.region}.{service}",
                vpc_endpoint_type="Gateway", route_table_ids=[table.id for table in route_tables], opts=child,
            )
        interface = [service for service in services if service not in GATEWAY_ENDPOINTS]
        if not interface:
            return
        security_group = aws.ec2.SecurityGroup(
            namer("vpce-sg"), vpc_id=vpc.id, description="HTTPS from the VPC to interface endpoints",
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [cidr],
                      "description": "HTTPS from the VPC"}],
            opts=child,
        )
        for service in interface:
            aws.ec2.VpcEndpoint(
                namer("vpce", service.replace(".", "-")), vpc_id=vpc.id,
                service_name=f"com.amazonaws.{namer.region}.{service}", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[security_group.id], opts=child,
            )
