"""What Route 53 answers for the global names, given the records and health checks as Route 53 holds them.

Used by the DR runbook ("where does traffic go now?") and by the failover tests: moto stores zones, records and
health checks but evaluates neither health nor routing (its `test_dns_answer` is not implemented, and
`get_health_check_status` always reports success), so the routing rules are applied here, as Route 53
documents them:
- a health check is healthy when more than 18 % of its checkers report success; `Inverted` flips the result;
  a `Disabled` check is always healthy;
- failover: the PRIMARY record while its health check is healthy, else the SECONDARY while healthy; when
  both are unhealthy Route 53 answers with the PRIMARY;
- latency: the healthy record whose region is nearest the resolver; when every record is unhealthy Route 53
  treats them all as healthy. Network latency is approximated by geography: same region, then same
  continent, then any (alphabetical).
"""

from __future__ import annotations

from typing import Any

HEALTHY_FRACTION = 0.18
CONTINENTS = {"us": "na", "ca": "na", "sa": "sa", "eu": "eu", "ap": "ap", "me": "me", "af": "af", "il": "me"}


def health_states(route53: Any, health_check_ids: list[str]) -> dict[str, bool]:
    """Effective health of each check: its checkers' observations, then `Inverted` and `Disabled`."""
    states = {}
    for check_id in health_check_ids:
        config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
        observations = route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"]
        succeeded = sum(1 for o in observations if o["StatusReport"]["Status"].startswith("Success"))
        observed = bool(observations) and succeeded / len(observations) > HEALTHY_FRACTION
        states[check_id] = True if config.get("Disabled") else observed != bool(config.get("Inverted"))
    return states


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
