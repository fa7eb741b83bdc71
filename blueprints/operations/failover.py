"""What Route 53 answers for the global names, given the records and health checks as Route 53 holds them.

Used by the DR runbook ("where does traffic go now?") and by the failover tests: moto stores zones, records and
health checks but evaluates neither health nor routing (its `test_dns_answer` is not implemented, and
`get_health_check_status` always reports success), so the routing rules are applied here, as Route 53
documents them:
- an endpoint check is healthy when more than 18 % of its checkers report success; a CLOUDWATCH_METRIC check
  follows its alarm (OK healthy, ALARM unhealthy, INSUFFICIENT_DATA as its `InsufficientDataHealthStatus` says);
  `Inverted` flips the result; a `Disabled` check is always healthy;
- failover: the PRIMARY record while its health check is healthy, else the SECONDARY while healthy; when
  both are unhealthy Route 53 answers with the PRIMARY;
- latency: the healthy record whose region is nearest the resolver; when every record is unhealthy Route 53
  treats them all as healthy. Network latency is approximated by geography: same region, then same
  continent, then any (alphabetical).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

HEALTHY_FRACTION = 0.18
CONTINENTS = {"us": "na", "ca": "na", "sa": "sa", "eu": "eu", "ap": "ap", "me": "me", "af": "af", "il": "me"}


def health_states(route53: Any, health_check_ids: list[str],
                  cloudwatch: Callable[[str], Any] = lambda region: boto3.client("cloudwatch", region_name=region),
                  ) -> dict[str, bool]:
    """Effective health of each check: its checkers' observations or its alarm's state, then `Inverted` and
    `Disabled`. `cloudwatch(region)` gives the CloudWatch client of an alarm's region."""
    states = {}
    for check_id in health_check_ids:
        config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
        if config["Type"] == "CLOUDWATCH_METRIC":
            observed = _alarm_health(config, cloudwatch(config["AlarmIdentifier"]["Region"]))
        else:
            observations = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
            succeeded = sum(1 for o in observations if o["StatusReport"]["Status"].startswith("Success"))
            observed = bool(observations) and succeeded / len(observations) > HEALTHY_FRACTION
        states[check_id] = True if config.get("Disabled") else observed != bool(config.get("Inverted"))
    return states


def _alarm_health(config: dict[str, Any], cloudwatch: Any) -> bool:
    """A missing alarm counts as no data (real Route 53 refuses to create a check on one); `LastKnownStatus` has no
    history here and counts as unhealthy."""
    alarms = cloudwatch.describe_alarms(AlarmNames=[config["AlarmIdentifier"]["Name"]])["MetricAlarms"]
    state = alarms[0]["StateValue"] if alarms else "INSUFFICIENT_DATA"
    if state == "INSUFFICIENT_DATA":
        return config.get("InsufficientDataHealthStatus", "LastKnownStatus") == "Healthy"
    return state == "OK"


def _distance(client_region: str, region: str) -> tuple[int, str]:
    if client_region == region:
        return 0, region
    same_continent = CONTINENTS.get(client_region.split("-")[0]) == CONTINENTS.get(region.split("-")[0])
    return (1 if same_continent else 2), region


def _healthy(record: dict[str, Any], states: dict[str, bool]) -> bool:
    return states.get(record["HealthCheckId"], False) if record.get("HealthCheckId") else True


def resolve(record_sets: list[dict[str, Any]], states: dict[str, bool], name: str, client_region: str) -> str:
    """The value Route 53 would answer for `name` to a resolver in `client_region`."""
    fqdn = name.rstrip(".") + "."
    candidates = [record for record in record_sets if record["Name"] == fqdn]
    if not candidates:
        raise LookupError(f"no records named {fqdn}")
    failover = {record.get("Failover"): record for record in candidates if record.get("Failover")}
    if failover:
        primary, secondary = failover.get("PRIMARY"), failover.get("SECONDARY")
        chosen = next((r for r in (primary, secondary) if r is not None and _healthy(r, states)), primary)
        if chosen is None:
            raise LookupError(f"{fqdn} has no PRIMARY record")
    else:
        healthy = [record for record in candidates if _healthy(record, states)] or candidates
        chosen = min(healthy, key=lambda record: _distance(client_region, record.get("Region", "")))
    return chosen["ResourceRecords"][0]["Value"]
