"""Scheduled capacity: KEDA `cron` triggers that hold a self-hosted model at a replica count during known busy
windows (pure: spec in, trigger dicts out).

The serving component appends `cron_triggers(spec, model.name)` to the metric triggers of each model version's
ScaledObject. KEDA scales to the largest of all triggers' wishes, so inside a window the model runs at least
`desired_replicas` (pre-warmed before the traffic arrives) and metrics can still add more; outside it the
metric triggers alone decide, down to `minReplicaCount` (0 in dev: scale to zero outside working hours). The
pending pods make Karpenter provision GPU nodes ahead of the window, and consolidate them after it.
"""

from __future__ import annotations

import math
from typing import Any

from blueprints.capacity import size_model
from blueprints.spec import ModelSpec, PlatformSpec, ScheduleSpec


def schedules_for(spec: PlatformSpec, model_name: str) -> list[ScheduleSpec]:
    return [schedule for schedule in spec.schedules if schedule.model == model_name]


def window_replicas(spec: PlatformSpec, model: ModelSpec, schedule: ScheduleSpec) -> int:
    """Replicas a window holds: the schedule's number, else the planner's peak replicas; never fewer than the
    model's minimum (or 1), never more than its maximum."""
    wanted = schedule.desired_replicas or size_model(spec, model).replicas
    ceiling = model.max_replicas or wanted
    return max(spec.min_replicas(model), 1, min(wanted, ceiling))


def cron_triggers(spec: PlatformSpec, model_name: str, weight_percent: int = 100) -> list[dict[str, Any]]:
    """KEDA cron triggers of one model (empty when it has no schedule).

    `weight_percent`: the share of the model's traffic the ScaledObject's version receives (a canary candidate
    pre-warms its share, rounded up; a version with no traffic gets no cron trigger)."""
    if not 0 <= weight_percent <= 100:
        raise ValueError(f"weight_percent: {weight_percent} is out of range (allowed: 0-100)")
    model = next((m for m in spec.self_hosted_models if m.name == model_name), None)
    if model is None or weight_percent == 0:
        return []
    triggers = []
    for index, schedule in enumerate(schedules_for(spec, model_name)):
        replicas = math.ceil(window_replicas(spec, model, schedule) * weight_percent / 100)
        triggers.append({
            "type": "cron",
            "name": f"schedule-{index}",
            "metadata": {
                "timezone": schedule.timezone,
                "start": schedule.start,
                "end": schedule.end,
                "desiredReplicas": str(replicas),
            },
        })
    return triggers
