"""Pulumi mocks that echo inputs, synthesise the ids/ARNs/endpoints real providers would return, and record
each registration with its parent, dependencies and provider."""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from google.protobuf import json_format
from pulumi.runtime import Mocks, rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

ACCOUNT_ID = "123456789012"
ELB_ACCOUNTS = {"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
                "us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928",
                "eu-west-2": "652711504416", "eu-west-3": "009996457667", "eu-north-1": "897822967062"}
"""Elastic Load Balancing's log-delivery account per region, as `aws.elb.get_service_account` answers (Elastic Load
Balancing User Guide, enable-access-logging.html, "Regions available before August 2022")."""
"""The account every offline plan pretends to run in (AWS documentation's example account)."""
ALB_ZONE_ID = "Z0MOCKALBZONE"
"""Canonical hosted zone of the mocked load balancers (real ones have one per region)."""


def restore_integers(value: Any) -> Any:
    """The wire protocol turns every number into a float (`replicas: 1.0`); give integral ones back their type."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: restore_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [restore_integers(item) for item in value]
    return value


SECRET_PLACEHOLDER = "[secret]"


def mask_secrets(value: Any) -> Any:
    """Replace every Pulumi secret (a value wrapped with the secret signature on the wire) by a placeholder, so
    the recorded graph, and everything made from it (plan, render, policies), never holds a secret in plain text."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_PLACEHOLDER
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def mask_properties(inputs: dict[str, Any], outputs: dict[str, Any], wire: Any) -> tuple[dict, dict]:
    """`mask_secrets` of a resource's inputs and echoed outputs. The SDK's mock deserializer marks a whole
    top-level property secret when anything inside it is (a listener rule's `actions` holding an OIDC client
    secret); the request on the wire keeps each secret where it is, so such a property is recorded from the wire
    with only its secrets masked (the real engine hands policies the property itself)."""
    lifted = [key for key, value in inputs.items() if _is_secret(value) and isinstance(value.get("value"), dict | list)]
    sent = json_format.MessageToDict(wire) if lifted else {}
    unlifted = {key: restore_integers(mask_secrets(sent[key])) for key in lifted}
    return ({key: unlifted.get(key, mask_secrets(value)) for key, value in inputs.items()},
            {key: unlifted[key] if key in unlifted and value == inputs[key] else mask_secrets(value)
             for key, value in outputs.items()})


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:8]


def _aws_service(token: str) -> str:
    """`aws:eks/cluster:Cluster` -> `eks`."""
    return token.split(":")[1].split("/")[0]


class EchoMocks(Mocks):
    """Resources echo their inputs plus what the provider would compute; invokes answer like an empty account."""

    def __init__(self) -> None:
        self.provider_regions: dict[str, str] = {}
        self.registered_inputs: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        inputs = restore_integers(dict(args.inputs))
        with self._lock:
            self.registered_inputs[(args.typ, args.name)] = inputs
        if args.typ.startswith("pulumi:providers:"):
            region = inputs.get("region")
            if region:
                self.provider_regions[args.name] = region
            return f"{args.name}-provider-id", inputs
        region = self._region(args.provider)
        physical = inputs.get("name") or f"{args.name}-{_short_hash(args.typ, args.name)}"
        outputs = {**inputs, "name": physical, **_computed(args.typ, physical, region, inputs)}
        return outputs.get("id") or f"{physical}-id", outputs

    def call(self, args: MockCallArgs) -> dict:
        region = self._region(args.provider)
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": [f"{region}{zone}" for zone in "abc"],
                "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{n}" for n in (1, 2, 3)],
                "id": region,
            },
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/deployer",
                "userId": "AROAEXAMPLE:deployer", "id": ACCOUNT_ID,
            },
            "aws:index/getRegion:getRegion": {"name": region, "region": region, "id": region},
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
            # A stand-in: the real value is generated in AWS at deploy time and written write-only.
            "aws:secretsmanager/getRandomPassword:getRandomPassword": {
                "randomPassword": "offline-plan-placeholder", "id": region},
            # The offering AWS would quote; the plan prices the block from the spec (reservation.usd_per_instance_hour).
            "aws:ec2/getCapacityBlockOffering:getCapacityBlockOffering": {
                **args.args, "capacityBlockOfferingId": "cb-0offlineplan00000", "availabilityZone": f"{region}a",
                "id": region},
            "aws:elb/getServiceAccount:getServiceAccount": {
                "arn": f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root", "id": ELB_ACCOUNTS[region]},
        }
        return answers.get(args.token, dict(args.args))

    def _region(self, provider_ref: str | None) -> str:
        """Provider references look like `urn:pulumi:stack::project::pulumi:providers:aws::name::id`."""
        if provider_ref:
            name = provider_ref.split("::")[-2] if "::" in provider_ref else provider_ref
            if name in self.provider_regions:
                return self.provider_regions[name]
        return "us-east-1"


def _computed(token: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs a real provider computes, for the types whose outputs other resources read."""
    service = _aws_service(token) if token.startswith("aws:") else ""
    arn = f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{token.split(':')[-1].lower()}/{physical}"
    out: dict[str, Any] = {"arn": arn} if token.startswith("aws:") else {}
    if token == "aws:eks/cluster:Cluster":
        out |= {
            "endpoint": f"https://{_short_hash(physical).upper()}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tLS1CRUdJTi1NT0NLLUNB"},
            "vpcConfig": {**inputs.get("vpcConfig", {}), "clusterSecurityGroupId": f"sg-{_short_hash(physical)}"},
            "arn": f"arn:aws:eks:{region}:{ACCOUNT_ID}:cluster/{physical}",
        }
    elif token == "aws:kms/key:Key":
        key_id = f"{_short_hash(physical)}-0000-4000-8000-{_short_hash(physical, 'k')}0000"
        out |= {"keyId": key_id, "arn": f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}"}
    elif token == "aws:sqs/queue:Queue":
        out |= {"url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{physical}",
                "arn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{physical}"}
    elif token == "aws:iam/role:Role":
        out |= {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{physical}"}
    elif token == "aws:ec2/launchTemplate:LaunchTemplate":
        out |= {"latestVersion": 1, "id": f"lt-{_short_hash(physical)}"}
    elif token.startswith("aws:s3/bucket"):
        out |= {"arn": f"arn:aws:s3:::{physical}", "bucket": inputs.get("bucket") or physical,
                "id": inputs.get("bucket") or physical}
    elif token == "aws:rds/cluster:Cluster":
        host = f"{physical}.cluster-{_short_hash(physical)}.{region}.rds.amazonaws.com"
        out |= {
            "endpoint": host, "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"), "port": 5432,
            "clusterResourceId": f"cluster-{_short_hash(physical).upper()}",
            "arn": f"arn:aws:rds:{region}:{ACCOUNT_ID}:cluster:{physical}",
            "masterUserSecrets": [{"secretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:"
                                                f"rds!cluster-{_short_hash(physical)}-AbCdEf",
                                   "secretStatus": "active", "kmsKeyId": inputs.get("masterUserSecretKmsKeyId")}],
        }
    elif token == "aws:opensearch/serverlessCollection:ServerlessCollection":
        collection_id = _short_hash(physical, "aoss")
        out |= {"id": collection_id, "arn": f"arn:aws:aoss:{region}:{ACCOUNT_ID}:collection/{collection_id}",
                "collectionEndpoint": f"https://{collection_id}.{region}.aoss.amazonaws.com"}
    elif token == "aws:bedrock/guardrail:Guardrail":
        guardrail_id = _short_hash(physical, "guardrail")
        out |= {"guardrailId": guardrail_id, "version": "DRAFT", "status": "READY",
                "guardrailArn": f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:guardrail/{guardrail_id}"}
    elif token == "aws:bedrock/guardrailVersion:GuardrailVersion":
        out |= {"version": "1"}
    elif token == "aws:secretsmanager/secret:Secret":
        out |= {"arn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{physical}-AbCdEf"}
    elif token == "aws:lambda/function:Function":
        out |= {"arn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{physical}"}
    elif token == "aws:lb/loadBalancer:LoadBalancer":
        suffix = f"app/{physical}/{_short_hash(physical)}{_short_hash(physical, 'lb')}"
        scheme = "internal-" if inputs.get("internal") else ""
        out |= {"arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
                "arnSuffix": suffix, "zoneId": ALB_ZONE_ID,
                "dnsName": f"{scheme}{physical}-{int(_short_hash(physical), 16) % 10**10}.{region}.elb.amazonaws.com"}
    elif token == "aws:lb/targetGroup:TargetGroup":
        suffix = f"targetgroup/{physical}/{_short_hash(physical)}{_short_hash(physical, 'tg')}"
        out |= {"arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}", "arnSuffix": suffix}
    elif token == "aws:cloudwatch/logGroup:LogGroup":
        out |= {"arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{physical}"}
    elif token == "aws:amp/workspace:Workspace":
        workspace_id = f"ws-{_short_hash(physical)}-0000-4000-8000-{_short_hash(physical, 'ws')}0000"
        out |= {"id": workspace_id, "arn": f"arn:aws:aps:{region}:{ACCOUNT_ID}:workspace/{workspace_id}"}
    elif token == "aws:cloudwatch/eventRule:EventRule":
        out |= {"arn": f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{physical}"}
    elif token == "aws:networkfirewall/firewall:Firewall":
        # One endpoint per mapped subnet, reported in the firewall's sync states (Network Firewall DescribeFirewall).
        out |= {"firewallStatuses": [{"status": "READY", "syncStates": [
            {"attachments": [{"endpointId": f"vpce-{_short_hash(physical, mapping['subnetId'])}",
                              "subnetId": mapping["subnetId"], "status": "READY"}]}
            for mapping in inputs.get("subnetMappings") or []]}]}
    elif token == "aws:sns/topic:Topic":
        out |= {"arn": f"arn:aws:sns:{region}:{ACCOUNT_ID}:{physical}"}
    return out


class RecordingMonitor(MockMonitor):
    """Keeps every registration in order, with what the thin mock arguments lack: parent, dependencies, protect."""

    def __init__(self, mocks: EchoMocks):
        super().__init__(mocks)
        self.echo = mocks
        self.registrations: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registered = self.resources.get(response.urn)
        inputs, outputs = mask_properties(self.echo.registered_inputs.pop((request.type, request.name), {}),
                                          {**registered.state, "id": registered.id} if registered else {},
                                          request.object)
        with self._lock:
            self.registrations.append({
                "type": request.type,
                "name": request.name,
                "urn": response.urn,
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "provider": request.provider or None,
                "dependencies": list(request.dependencies),
                "protect": bool(request.protect),
                "inputs": inputs,
                "outputs": outputs,
                "source": source_lines(request.stackTrace),
            })
        return response


PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCE_FRAMES = 4


def source_lines(stack_trace: Any) -> list[str]:
    """Where the program registered a resource: `blueprints/components/gateway.py:120` for the innermost frames in
    the project (not its virtualenv), innermost first, from the stack trace the Pulumi SDK sends with
    RegisterResource (pulumi/runtime/resource.py `_get_stack_trace`)."""
    found: list[str] = []
    for frame in stack_trace.frames:
        project_path = _project_path(frame.pc.uri)
        if project_path is None:
            continue
        found.append(f"{project_path}:{frame.pc.line}")
        if len(found) == SOURCE_FRAMES:
            break
    return found


@cache
def _project_path(uri: str) -> str | None:
    """A frame's file relative to the project, None outside it; once per file (a plan sends ~25 000 frames of a
    few hundred files)."""
    if not uri.startswith("file://"):
        return None
    path = Path(unquote(urlparse(uri).path))
    if not path.is_relative_to(PROJECT_ROOT) or "site-packages" in path.parts:
        return None
    return path.relative_to(PROJECT_ROOT).as_posix()
