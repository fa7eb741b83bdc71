"""Preflight: can this account build this spec in these regions? Checked with read-only AWS calls before
`pulumi up`, one row per finding: (check, region, status, detail).

Per region: the region is inside the residency boundary and enabled for the account; enough availability
zones; each GPU pool's instance types are offered in the zones the network will use (the first
`network.availability_zones` available zones, as the Network component picks them); the vCPU quotas for
On-Demand and Spot G and P instances cover the pools' GPU limits; the Bedrock models the spec routes to are
offered, granted to the account and reachable through their inference profiles; the pinned serving image
exists in the region's ECR repository; every model version the spec serves is
published in the region's artifacts bucket and matches its manifest.

Statuses: `pass`; `warn` (will work, with a caveat); `fail` (a blocker: `pulumi up` or the models would
fail); `skip` (nothing to check). A check that cannot run (access denied, API error) fails closed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from blueprints.artifacts.manifest import verify_version
from blueprints.capacity import pack, pool_instance_types, pool_replicas
from blueprints.catalog.hosted import HostedModel
from blueprints.catalog.instances import InstanceType
from blueprints.components.artifacts import repository_name
from blueprints.gateway.bedrock import bedrock_models
from blueprints.naming import Namer
from blueprints.operations.report import Check, Status
from blueprints.serving.engines import ENGINES
from blueprints.spec import GpuPoolSpec, PlatformSpec
from blueprints.versions import SERVING_IMAGE_TAGS

ClientFactory = Callable[[str, str], Any]
"""(service, region) -> boto3 client."""

QUOTA_CODES: dict[tuple[str, str], tuple[str, str]] = {
    # Service Quotas, service code ec2; vCPU-based (checked against AWS docs and published tooling, 2026-11).
    ("G", "on-demand"): ("L-DB2E81BA", "Running On-Demand G and VT instances"),
    ("P", "on-demand"): ("L-417A185B", "Running On-Demand P instances"),
    ("G", "spot"): ("L-3819A6DF", "All G and VT Spot Instance Requests"),
    ("P", "spot"): ("L-7212CCBC", "All P Spot Instance Requests"),
}


def quota_class(instance: InstanceType) -> str:
    """`G` (G and VT families) or `P`: the EC2 quota an instance type counts against."""
    return "P" if instance.family.startswith("p") else "G"


def pool_vcpus(spec: PlatformSpec, pool: GpuPoolSpec) -> tuple[str, int]:
    """The pool's quota class and the vCPUs it launches: the whole nodes of its peak plus rollout surge, as
    `capacity.pack` places them (the same packing that sets the NodePool's limit), and, for a limit set above
    that, the rest of the limit on the pool's most vCPU-hungry instance type."""
    instances = pool_instance_types(spec, pool)
    worst = max(instances, key=lambda instance: instance.vcpus / instance.gpus)
    placed = pack(spec, pool, pool_replicas(spec, pool, "surge"))
    rest = math.ceil(max((pool.max_gpus or 0) - placed.gpus, 0) / worst.gpus)
    return quota_class(worst), sum(node.instance.vcpus for node in placed.nodes) + rest * worst.vcpus


def artifacts_bucket(spec: PlatformSpec, region: str, account_id: str) -> str:
    """The region's checkpoint bucket, named as `components/artifacts.py` names it."""
    return f"{Namer(spec.name, spec.environment, region)('models')}-{account_id}"


def _error(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
    return str(error)


class Preflight:
    def __init__(self, spec: PlatformSpec, clients: ClientFactory):
        self.spec = spec
        self._clients = clients

    def run(self) -> list[Check]:
        rows: list[Check] = []
        for region in self.spec.regions:
            checks = {"region": self.region, "gpu-offerings": self.zones_and_offerings, "quota": self.quotas,
                      "bedrock": self.bedrock, "image": self.images, "artifacts": self.artifacts}
            for name, check in checks.items():
                try:
                    rows += list(check(region))
                except (ClientError, BotoCoreError) as error:
                    detail = f"cannot check: {_error(error)}"
                    rows.append(Check(check=name, region=region, status="fail", detail=detail))
        return rows

    def region(self, region: str) -> Iterator[Check]:
        allowed = self.spec.residency.allowed_regions
        boundary = self.spec.residency.boundary or "residency"
        yield Check(check="residency", region=region, status="pass",
                    detail=f"inside the {boundary} boundary" if allowed else "no residency constraint")
        ec2 = self._clients("ec2", region)
        found = ec2.describe_regions(AllRegions=True, RegionNames=[region])["Regions"]
        status = found[0].get("OptInStatus", "opt-in-not-required") if found else "unknown"
        enabled = status in ("opt-in-not-required", "opted-in")
        yield Check(check="region-enabled", region=region, status="pass" if enabled else "fail",
                    detail=f"opt-in status {status}" + ("" if enabled else ": enable the region for the account"))

    def zones(self, region: str) -> list[str]:
        ec2 = self._clients("ec2", region)
        zones = ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]
        )["AvailabilityZones"]
        return sorted(zone["ZoneName"] for zone in zones)[: self.spec.network.availability_zones]

    def zones_and_offerings(self, region: str) -> Iterator[Check]:
        zones = self.zones(region)
        wanted = self.spec.network.availability_zones
        yield Check(check="availability-zones", region=region, status="pass" if len(zones) == wanted else "fail",
                    detail=f"{len(zones)} of {wanted} needed: {', '.join(zones) or 'none'}")
        if not self.spec.cluster.gpu_pools:
            yield Check(check="gpu-offerings", region=region, status="skip", detail="no GPU pools")
            return
        ec2 = self._clients("ec2", region)
        for pool in self.spec.cluster.gpu_pools:
            types = [instance.name for instance in pool_instance_types(self.spec, pool)]
            offered: dict[str, set[str]] = {}
            pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
                LocationType="availability-zone",
                Filters=[{"Name": "instance-type", "Values": types}, {"Name": "location", "Values": zones}],
            )
            for page in pages:
                for offer in page["InstanceTypeOfferings"]:
                    offered.setdefault(offer["InstanceType"], set()).add(offer["Location"])
            covered = set().union(*offered.values()) if offered else set()
            by_zones: dict[tuple[str, ...], list[str]] = {}
            for name in types:
                if name in offered:
                    by_zones.setdefault(tuple(sorted(offered[name])), []).append(name)
            listing = "; ".join(f"{', '.join(names)} in {', '.join(where)}" for where, names in by_zones.items())
            if not offered:
                status, detail = "fail", f"none of {', '.join(types)} is offered in {', '.join(zones)}"
            elif covered != set(zones):
                missing = ", ".join(sorted(set(zones) - covered))
                status, detail = "warn", f"no {pool.gpu} capacity type offered in {missing}; {listing}"
            else:
                status, detail = "pass", listing
            yield Check(check=f"gpu-offerings:{pool.name}", region=region, status=status, detail=detail)

    def quotas(self, region: str) -> Iterator[Check]:
        needs: dict[tuple[str, str], list[tuple[GpuPoolSpec, int]]] = {}
        for pool in self.spec.cluster.gpu_pools:
            family, vcpus = pool_vcpus(self.spec, pool)
            for capacity in self.spec.capacity_types(pool):
                if (family, capacity) in QUOTA_CODES:
                    needs.setdefault((family, capacity), []).append((pool, vcpus))
        if not needs:
            yield Check(check="quota", region=region, status="skip", detail="no on-demand or spot GPU pools")
            return
        quotas = self._clients("service-quotas", region)
        values: dict[tuple[str, str], float] = {}
        for key in needs:
            code, _ = QUOTA_CODES[key]
            values[key] = quotas.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"]
        for (family, capacity), pools in needs.items():
            code, title = QUOTA_CODES[(family, capacity)]
            needed = sum(vcpus for _, vcpus in pools)
            have = values[(family, capacity)]
            detail = f"{title} ({code}): {have:g} vCPUs, pools {', '.join(p.name for p, _ in pools)} need {needed}"
            if have >= needed:
                status: Status = "pass"
            else:
                # A pool allowed both capacity types falls back to the other one when this quota runs out.
                fallback = all(
                    any(other != capacity and values.get((family, other), 0) >= needed
                        for other in self.spec.capacity_types(pool))
                    for pool, _ in pools
                )
                status = "warn" if fallback else "fail"
                detail += f"; request an increase of {needed - have:g}" + (
                    " (the pools can fall back to their other capacity type)" if fallback else ""
                )
            yield Check(check=f"quota:{family}-{capacity}", region=region, status=status, detail=detail)

    def bedrock(self, region: str) -> Iterator[Check]:
        """Per Bedrock model: offered in the region and ACTIVE (ListFoundationModels), invocable the way the
        catalog calls it (inferenceTypesSupported), access granted (GetFoundationModelAvailability); per inference
        profile: present (GetInferenceProfile), and routing only where the gateway's IAM allows and the residency
        permits. One row per model, its first blocker as the detail."""
        wanted = bedrock_models(self.spec)
        if not wanted:
            yield Check(check="bedrock", region=region, status="skip", detail="no Bedrock models")
            return
        bedrock = self._clients("bedrock", region)
        offered = {summary["modelId"]: summary for summary in bedrock.list_foundation_models()["modelSummaries"]}
        for name, model in wanted.items():
            try:
                status, detail = self._bedrock_model(bedrock, region, model, offered.get(model.bedrock_model_id))
            except ClientError as error:
                status, detail = "fail", f"cannot check {model.bedrock_model_id}: {_error(error)}"
            yield Check(check=f"bedrock:{name}", region=region, status=status, detail=detail)

    def _bedrock_model(self, bedrock: Any, region: str, model: HostedModel,
                       summary: dict[str, Any] | None) -> tuple[Status, str]:
        model_id = model.bedrock_model_id
        if summary is None:
            return "fail", f"{model_id} is not offered in {region}"
        if model.invocation == "ON_DEMAND" and "ON_DEMAND" not in summary.get("inferenceTypesSupported", ["ON_DEMAND"]):
            return "fail", (f"{model_id} is invocable in {region} only through an inference profile; the catalog "
                            "(blueprints/catalog/hosted.py) calls it on demand")
        access = bedrock.get_foundation_model_availability(modelId=model_id)
        refused = {"authorizationStatus": access.get("authorizationStatus"),
                   "entitlementAvailability": access.get("entitlementAvailability"),
                   "agreementAvailability": access.get("agreementAvailability", {}).get("status"),
                   "regionAvailability": access.get("regionAvailability")}
        refused = {key: value for key, value in refused.items() if value not in ("AUTHORIZED", "AVAILABLE")}
        if refused:
            found = ", ".join(f"{key} {value}" for key, value in refused.items())
            return "fail", f"{model_id}: model access not granted in {region} ({found}): request it in the console"
        profile = model.profile_in(region) if model.invocation == "INFERENCE_PROFILE" else None
        if profile is not None:
            try:
                routes = bedrock.get_inference_profile(inferenceProfileIdentifier=profile.id)["models"]
            except ClientError as error:
                if error.response["Error"].get("Code") != "ResourceNotFoundException":
                    raise
                return "fail", f"inference profile {profile.id} is not available in {region}"
            routed = sorted({route["modelArn"].split(":")[3] for route in routes})
            ungranted = [where for where in routed if where not in profile.destination_regions]
            if ungranted:
                return "fail", (f"inference profile {profile.id} routes to {', '.join(ungranted)}, which the "
                                "gateway's IAM does not grant: add them to its destination_regions in "
                                "blueprints/catalog/hosted.py")
            allowed = self.spec.residency.allowed_regions
            outside = [where for where in routed if allowed is not None and where not in allowed]
            if outside:
                return "fail", f"inference profile {profile.id} routes to {', '.join(outside)}, outside the residency"
        lifecycle = summary.get("modelLifecycle", {}).get("status", "ACTIVE")
        via = f" through {profile.id}" if profile is not None else ""
        if lifecycle != "ACTIVE":
            return "warn", f"{model_id} is {lifecycle}: plan a replacement"
        return "pass", f"{model_id} offered, access granted{via}"

    def images(self, region: str) -> Iterator[Check]:
        if not self.spec.self_hosted_models:
            yield Check(check="image", region=region, status="skip", detail="no self-hosted models")
            return
        engine = ENGINES[self.spec.serving.engine]
        repository, tag = repository_name(self.spec, engine.image), SERVING_IMAGE_TAGS[engine.image]
        ecr = self._clients("ecr", region)
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
            status, detail = "pass", f"{repository}:{tag} present"
        except ClientError as error:
            code = error.response["Error"].get("Code")
            if code == "RepositoryNotFoundException":
                status, detail = "warn", f"repository {repository} does not exist yet (created by `pulumi up`); " \
                                         f"push {repository}:{tag} before models start"
            elif code == "ImageNotFoundException":
                status, detail = "fail", f"{repository}:{tag} is missing: build and push images/{engine.image}"
            else:
                raise
        yield Check(check=f"image:{engine.image}", region=region, status=status, detail=detail)

    def artifacts(self, region: str) -> Iterator[Check]:
        models = self.spec.self_hosted_models
        if not models:
            yield Check(check="artifacts", region=region, status="skip", detail="no self-hosted models")
            return
        account = self._clients("sts", region).get_caller_identity()["Account"]
        bucket = artifacts_bucket(self.spec, region, account)
        s3 = self._clients("s3", region)
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError as error:
            if error.response["Error"].get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            yield Check(check="artifacts", region=region, status="warn",
                        detail=f"bucket {bucket} does not exist yet (created by `pulumi up`); publish the "
                               "model versions with `model publish` before models start")
            return
        for model in models:
            assert model.versions is not None  # self-hosted models always have versions (spec rule)
            for version in filter(None, (model.versions.stable, model.versions.candidate)):
                problems = verify_version(s3, bucket, model.name, version, source=model.checkpoint)
                found = "; ".join(problems) if problems else "published, matches manifest"
                yield Check(check=f"artifacts:{model.name}", region=region, status="fail" if problems else "pass",
                            detail=f"{version}: {found}")
