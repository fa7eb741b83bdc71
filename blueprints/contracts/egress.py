"""Egress contract: what the workloads of each VPC call, and where their traffic can leave the VPC (pure: the
planned graph in, facts and problems out).

Two questions, per region of the planned graph:
- **Which AWS APIs are called from inside the VPC?** Every IAM action a principal running in the VPC (a pod through
  EKS Pod Identity, a node, a Lambda function attached to the VPC) is allowed, every KMS grant it holds and every
  AWS-managed policy attached to it names a service; `ENDPOINT_OF_PREFIX` maps it to the VPC endpoint that serves it
  (AWS PrivateLink Guide, aws-services-privatelink-support.html). A private VPC needs an endpoint for each of them.
- **Which subnets reach the internet, and how?** Default routes (0.0.0.0/0, ::/0) are followed from every workload
  subnet through NAT gateways (into the subnet that holds them) to an internet gateway; a path that crosses an AWS
  Network Firewall endpoint is filtered, any other path is open. Security group egress to the whole internet is
  reported too, since it is only harmless where no open path exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blueprints.engine.graph import ResourceGraph, ResourceRecord

INTERNET = frozenset({"0.0.0.0/0", "::/0"})
NO_ENDPOINT = None
"""AWS offers no VPC endpoint for the service: a call to it needs a route to the internet."""
PERMISSION_ONLY = ""
"""An IAM action that authorizes something else and never leaves the VPC as an API call of its own."""

ENDPOINT_OF_PREFIX: dict[str, str | None] = {
    # IAM service prefix -> VPC endpoint service name (com.amazonaws.<region>.<name>), from the AWS PrivateLink
    # Guide's list of integrated services (aws-services-privatelink-support.html).
    "aps": "aps-workspaces",
    "autoscaling": "autoscaling",
    "bedrock": "bedrock-runtime",
    "cloudwatch": "monitoring",
    "dynamodb": "dynamodb",
    "ec2": "ec2",
    "ecr": "ecr.api",
    "eks": "eks",
    "eks-auth": "eks-auth",
    "elasticloadbalancing": "elasticloadbalancing",
    "kms": "kms",
    "logs": "logs",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
    "sqs": "sqs",
    "ssm": "ssm",
    "ssmmessages": "ssmmessages",
    "ec2messages": "ec2messages",
    "sts": "sts",
    "xray": "xray",
    # Global or unlisted services without a VPC endpoint: only Karpenter's controller calls them, and it runs
    # with `settings.isolatedVPC` (no pricing look-ups) where the VPC has no internet route.
    "iam": NO_ENDPOINT,
    "pricing": NO_ENDPOINT,
    "arc-zonal-shift": NO_ENDPOINT,
    # IAM database authentication signs a token locally; the connection goes to the database, not to an API.
    "rds-db": PERMISSION_ONLY,
}
ENDPOINT_OF_ACTION: dict[str, str | None] = {
    "iam:PassRole": PERMISSION_ONLY,  # checked by the service the role is passed to (EC2), no IAM call
    "ecr:GetAuthorizationToken": "ecr.api",
}
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
"""Served by gateway endpoints (route table entries, no charge); the rest are interface endpoints."""

MANAGED_POLICY_CALLS: dict[str, tuple[str, ...]] = {
    # AWS-managed policy -> endpoints its holder calls from the node (policy documents in the AWS Managed Policy
    # Reference Guide; ECR pulls layers from S3: Amazon ECR User Guide, vpc-endpoints.html).
    "AmazonEKSWorkerNodePolicy": ("ec2", "eks", "eks-auth"),
    "AmazonEC2ContainerRegistryReadOnly": ("ecr.api", "ecr.dkr", "s3"),
    "AmazonEC2ContainerRegistryPullOnly": ("ecr.api", "ecr.dkr", "s3"),
    "AmazonSSMManagedInstanceCore": ("ssm", "ssmmessages", "ec2messages"),
    "AmazonEKS_CNI_Policy": ("ec2",),
    "AmazonEBSCSIDriverPolicy": ("ec2",),
    # Used by the Lambda service itself (ENIs in the VPC, log delivery), not by code inside the VPC.
    "AWSLambdaVPCAccessExecutionRole": (),
}
IAM_ENDPOINT = "iam.amazonaws.com"
"""IAM's one (global) endpoint; AWS offers no VPC endpoint for it (aws-services-privatelink-support.html)."""
IN_VPC_TRUST = ("pods.eks.amazonaws.com", "ec2.amazonaws.com")
"""Service principals whose roles run inside the VPC (EKS Pod Identity, nodes); Lambda counts when attached."""


@dataclass
class EgressReport:
    """One region's answer."""

    region: str
    private: bool
    calls: dict[str, set[str]] = field(default_factory=dict)
    """Endpoint service -> the roles that call it."""
    unreachable: dict[str, set[str]] = field(default_factory=dict)
    """Service prefix without a VPC endpoint -> the roles that call it."""
    unknown: dict[str, set[str]] = field(default_factory=dict)
    """Service prefix this contract has no entry for -> roles (the table above must learn it)."""
    endpoints: set[str] = field(default_factory=set)
    """VPC endpoint services of the region's VPC."""
    open_paths: list[str] = field(default_factory=list)
    """Workload subnet -> ... -> internet gateway paths that cross no firewall."""
    filtered_paths: list[str] = field(default_factory=list)
    """The same through an AWS Network Firewall endpoint."""
    open_security_groups: list[str] = field(default_factory=list)
    """Security group egress rules to 0.0.0.0/0 or ::/0."""
    firewall_domains: dict[str, list[str]] = field(default_factory=dict)
    """Rule group -> the domains its allowlist admits."""
    role_node_classes: list[str] = field(default_factory=list)
    """Karpenter EC2NodeClasses with `spec.role`: the controller then manages instance profiles through IAM."""

    @property
    def reaches_iam(self) -> bool:
        """IAM has no VPC endpoint: only an open path, or a firewall that admits its endpoint, reaches it."""
        return bool(self.open_paths) or any(_admits(domain, IAM_ENDPOINT)
                                            for domains in self.firewall_domains.values() for domain in domains)

    @property
    def missing_endpoints(self) -> set[str]:
        return set(self.calls) - self.endpoints

    @property
    def unused_endpoints(self) -> set[str]:
        return self.endpoints - set(self.calls)

    def problems(self) -> list[str]:
        """What breaks a private VPC: a call with no way out, or a way out that is not filtered."""
        problems = [f"{self.region}: no rule for AWS service {prefix!r} called by {', '.join(sorted(roles))}"
                    for prefix, roles in sorted(self.unknown.items())]
        if not self.private:
            return problems
        problems += [f"{self.region}: {', '.join(sorted(self.calls[service]))} call(s) {service} but the VPC has no "
                     f"endpoint com.amazonaws.{self.region}.{service} and no route to the internet; fix: add "
                     f"{service!r} to blueprints.components.network.endpoint_services"
                     for service in sorted(self.missing_endpoints)]
        if not self.reaches_iam:
            problems += [f"{self.region}: {name} sets spec.role, so Karpenter creates its instance profile through "
                         "IAM, which has no VPC endpoint, and no node launches; fix: pre-create the instance profile "
                         "and name it in spec.instanceProfile (blueprints/components/karpenter.py)"
                         for name in self.role_node_classes]
        problems += [f"{self.region}: open path to the internet {path}; fix: route private subnets to nothing, or "
                     "through AWS Network Firewall (network.egress_allowlist)" for path in self.open_paths]
        if not self.filtered_paths:
            problems += [f"{self.region}: security group egress {rule} to the whole internet on a VPC without "
                         "internet route; fix: egress to the VPC CIDR (interface endpoints)"
                         for rule in self.open_security_groups]
        return problems


def egress_contract_problems(graph: ResourceGraph, private: bool) -> list[str]:
    """Everything this contract finds in a planned graph, one line each (for `check --contracts`)."""
    return [*endpoint_exposure_problems(graph, private),
            *(problem for report in egress_reports(graph, private) for problem in report.problems())]


def endpoint_exposure_problems(graph: ResourceGraph, private: bool) -> list[str]:
    """EKS API endpoints open to the internet: any public endpoint of a private platform, and a public endpoint
    without `publicAccessCidrs` (EKS then defaults to 0.0.0.0/0: Amazon EKS API, VpcConfigRequest) or with a
    CIDR that is the whole internet (Amazon EKS User Guide, cluster-endpoint.html)."""
    problems = []
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        vpc = cluster.inputs.get("vpcConfig") or {}
        if vpc.get("endpointPublicAccess") is False:
            continue
        cidrs = set(vpc.get("publicAccessCidrs") or ["0.0.0.0/0"])
        if private:
            problems.append(f"{cluster.name}: the Kubernetes API of a private platform is public; fix: "
                            "cluster.endpoint_public_access false (reach it from the VPC)")
        elif INTERNET & cidrs:
            problems.append(f"{cluster.name}: the Kubernetes API is public to {', '.join(sorted(INTERNET & cidrs))};"
                            " fix: name your operators' CIDRs in cluster.public_access_cidrs")
    return problems


def egress_reports(graph: ResourceGraph, private: bool) -> list[EgressReport]:
    """One report per region of the graph (`private`: the platform's VPCs must not reach the internet)."""
    regions = sorted({record.region for record in graph.resources if record.region})
    return [_report(graph, region, private) for region in regions]


def _report(graph: ResourceGraph, region: str, private: bool) -> EgressReport:
    records = [record for record in graph.resources if record.region == region and record.custom]
    report = EgressReport(region=region, private=private)
    _collect_calls(records, report)
    report.endpoints = {_endpoint_name(record) for record in _of(records, "aws:ec2/vpcEndpoint:VpcEndpoint")}
    _trace_routes(records, report)
    report.open_security_groups = list(_open_security_groups(records))
    report.role_node_classes = [record.name for record in _of(records, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
                                if (record.inputs.get("spec") or {}).get("role")]
    for group in _of(records, "aws:networkfirewall/ruleGroup:RuleGroup"):
        source = (group.inputs.get("ruleGroup") or {}).get("rulesSource") or {}
        domains = (source.get("rulesSourceList") or {}).get("targets")
        if domains is not None:
            report.firewall_domains[group.name] = list(domains)
    return report


# --- calls --------------------------------------------------------------------------------------------------------

def _collect_calls(records: list[ResourceRecord], report: EgressReport) -> None:
    roles = {role.name: role for role in _of(records, "aws:iam/role:Role")}
    arn_to_role = {role.outputs.get("arn"): role.name for role in roles.values()}
    vpc_lambda_roles = {arn_to_role.get(function.inputs.get("role"))
                        for function in _of(records, "aws:lambda/function:Function")
                        if (function.inputs.get("vpcConfig") or {}).get("subnetIds")}
    in_vpc = {name for name, role in roles.items()
              if _trust_services(role) & set(IN_VPC_TRUST) or name in vpc_lambda_roles}
    by_id = {role.outputs.get("id"): name for name, role in roles.items()}
    by_id.update({role.outputs.get("name"): name for name, role in roles.items()})

    def add(table: dict[str, set[str]], key: str, role: str) -> None:
        table.setdefault(key, set()).add(role)

    for policy in _of(records, "aws:iam/rolePolicy:RolePolicy"):
        role = by_id.get(policy.inputs.get("role"))
        if role in in_vpc:
            for action in _actions(policy.inputs.get("policy")):
                _classify(action, role, report, add)
    managed = {policy.outputs.get("arn"): policy for policy in _of(records, "aws:iam/policy:Policy")}
    for attachment in _of(records, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        role = by_id.get(attachment.inputs.get("role"))
        if role not in in_vpc:
            continue
        arn = attachment.inputs.get("policyArn") or ""
        if arn in managed:
            for action in _actions(managed[arn].inputs.get("policy")):
                _classify(action, role, report, add)
            continue
        name = arn.rsplit("/", 1)[-1]
        if name not in MANAGED_POLICY_CALLS:
            add(report.unknown, f"managed policy {name}", role)
        for service in MANAGED_POLICY_CALLS.get(name, ()):
            add(report.calls, service, role)
    for grant in _of(records, "aws:kms/grant:Grant"):
        role = arn_to_role.get(grant.inputs.get("granteePrincipal"))
        if role in in_vpc:
            add(report.calls, "kms", role)


def _classify(action: str, role: str, report: EgressReport, add: Any) -> None:
    prefix = action.split(":", 1)[0]
    if action in ENDPOINT_OF_ACTION:
        service = ENDPOINT_OF_ACTION[action]
    elif prefix in ENDPOINT_OF_PREFIX:
        service = ENDPOINT_OF_PREFIX[prefix]
    else:
        add(report.unknown, prefix, role)
        return
    if service is NO_ENDPOINT:
        add(report.unreachable, prefix, role)
    elif service != PERMISSION_ONLY:
        add(report.calls, service, role)


def _trust_services(role: ResourceRecord) -> set[str]:
    services: set[str] = set()
    for statement in _statements(role.inputs.get("assumeRolePolicy")):
        principal = (statement.get("Principal") or {}).get("Service") or []
        services.update([principal] if isinstance(principal, str) else principal)
    return services


def _actions(document: Any) -> Iterable[str]:
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action") or []
        yield from [actions] if isinstance(actions, str) else actions


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = (document or {}).get("Statement") or []
    return [statements] if isinstance(statements, dict) else statements


def _endpoint_name(record: ResourceRecord) -> str:
    """`com.amazonaws.us-east-1.ecr.dkr` -> `ecr.dkr`."""
    return str(record.inputs.get("serviceName", "")).split(".", 3)[-1]


# --- routes -------------------------------------------------------------------------------------------------------

STANDALONE_ROUTE_KEYS = {"destinationCidrBlock": "cidrBlock", "destinationIpv6CidrBlock": "ipv6CidrBlock"}


@dataclass(frozen=True)
class _Hop:
    kind: str
    """`igw`, `nat`, `firewall`, or `unknown`."""
    name: str
    subnet: str | None
    """Subnet id the hop's own traffic leaves from (NAT gateway, firewall endpoint)."""


def _trace_routes(records: list[ResourceRecord], report: EgressReport) -> None:
    subnets = {record.outputs.get("id"): record for record in _of(records, "aws:ec2/subnet:Subnet")}
    tables = {record.outputs.get("id"): record for record in _of(records, "aws:ec2/routeTable:RouteTable")}
    routes: dict[str, list[dict[str, Any]]] = {table_id: list(table.inputs.get("routes") or [])
                                               for table_id, table in tables.items()}
    for route in _of(records, "aws:ec2/route:Route"):  # standalone routes name their destination differently
        routes.setdefault(route.inputs.get("routeTableId"), []).append(
            {STANDALONE_ROUTE_KEYS.get(key, key): value for key, value in route.inputs.items()})
    table_of = {association.inputs.get("subnetId"): association.inputs.get("routeTableId")
                for association in _of(records, "aws:ec2/routeTableAssociation:RouteTableAssociation")}
    hops = _hops(records)
    for subnet_id, subnet in sorted(subnets.items(), key=lambda item: item[1].name):
        if _tier(subnet) in ("public", "firewall"):
            continue  # where NAT gateways and firewall endpoints live, not workloads
        for path, filtered in _paths(subnet_id, subnets, routes, table_of, hops, ()):
            (report.filtered_paths if filtered else report.open_paths).append(" -> ".join(path))


def _paths(subnet_id: str, subnets: Mapping[str, ResourceRecord], routes: Mapping[str, list[dict[str, Any]]],
           table_of: Mapping[str, str], hops: Mapping[str, _Hop], seen: tuple[str, ...]
           ) -> Iterable[tuple[list[str], bool]]:
    """Every way out of `subnet_id` by its default routes: (hops by name, crossed a firewall)."""
    subnet = subnets.get(subnet_id)
    name = subnet.name if subnet else str(subnet_id)
    table = table_of.get(subnet_id)
    if table is None or subnet_id in seen:
        return
    for route in routes.get(table, []):
        if not INTERNET & {route.get("cidrBlock"), route.get("ipv6CidrBlock")}:
            continue
        target = next((value for key, value in route.items() if key.endswith(("GatewayId", "gatewayId",
                                                                               "EndpointId", "InterfaceId"))
                       and value), None)
        hop = hops.get(target or "", _Hop("unknown", str(target), None))
        if hop.kind in ("igw", "unknown"):
            yield [name, hop.name], False
            continue
        for rest, filtered in _paths(hop.subnet or "", subnets, routes, table_of, hops, (*seen, subnet_id)):
            yield [name, hop.name, *rest[1:]], filtered or hop.kind == "firewall"


def _hops(records: list[ResourceRecord]) -> dict[str, _Hop]:
    hops: dict[str, _Hop] = {}
    for kind, token in (("igw", "aws:ec2/internetGateway:InternetGateway"),
                        ("igw", "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway")):
        hops.update({record.outputs.get("id"): _Hop(kind, record.name, None) for record in _of(records, token)})
    for record in _of(records, "aws:ec2/natGateway:NatGateway"):
        hops[record.outputs.get("id")] = _Hop("nat", record.name, record.inputs.get("subnetId"))
    for firewall in _of(records, "aws:networkfirewall/firewall:Firewall"):
        for status in firewall.outputs.get("firewallStatuses") or []:
            for state in status.get("syncStates") or []:
                for attachment in state.get("attachments") or []:
                    endpoint = attachment.get("endpointId")
                    hops[endpoint] = _Hop("firewall", f"{firewall.name}[{endpoint}]", attachment.get("subnetId"))
    return hops


def _open_security_groups(records: list[ResourceRecord]) -> Iterable[str]:
    for group in _of(records, "aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("egress") or []:
            if INTERNET & {*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])}:
                yield f"{group.name} (port {rule.get('fromPort')}-{rule.get('toPort')})"
    for rule in _of(records, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        if INTERNET & {rule.inputs.get("cidrIpv4"), rule.inputs.get("cidrIpv6")}:
            yield f"{rule.name} (port {rule.inputs.get('fromPort')}-{rule.inputs.get('toPort')})"
    for rule in _of(records, "aws:ec2/securityGroupRule:SecurityGroupRule"):
        cidrs = {*(rule.inputs.get("cidrBlocks") or []), *(rule.inputs.get("ipv6CidrBlocks") or [])}
        if rule.inputs.get("type") == "egress" and INTERNET & cidrs:
            yield f"{rule.name} (port {rule.inputs.get('fromPort')}-{rule.inputs.get('toPort')})"


def _tier(subnet: ResourceRecord) -> str:
    return str((subnet.inputs.get("tags") or {}).get("blueprints.io/tier", ""))


def _of(records: list[ResourceRecord], token: str) -> list[ResourceRecord]:
    return [record for record in records if record.type == token]


def _admits(domain: str, host: str) -> bool:
    """Network Firewall domain list matching: `.example.com` admits its subdomains, a plain name only itself
    (AWS Network Firewall Developer Guide, stateful-rule-groups-domain-names.html)."""
    return host == domain or (domain.startswith(".") and host.endswith(domain))
