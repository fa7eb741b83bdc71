"""What each guardrail decision leaves behind: the request's guardrail information (the audit record: the
decision and counts, never the matched values) and LiteLLM's own guardrail metrics (catalog names
`litellm_guardrail_requests_total` and `litellm_guardrail_latency_seconds`, label `status` = the decision,
`hook_type` = post_call). LiteLLM 1.81.16 records those metrics only around pre_call guardrails
(proxy/utils.py, ProxyLogging._execute_guardrail_hook -> PrometheusLogger._record_guardrail_metrics), so post_call
guardrails record theirs here. Runs inside the LiteLLM image."""

from __future__ import annotations

import time
from typing import Any

import litellm
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.integrations.prometheus import PrometheusLogger


def record_decision(guardrail: CustomGuardrail, data: dict, decision: str, started: float, details: dict[str, Any],
                    masked_entity_count: dict[str, int] | None = None) -> None:
    """`decision` (e.g. masked, passed, valid, retried, invalid) of `guardrail` on the request `data`, which took
    since `started` (time.time())."""
    ended = time.time()
    guardrail.add_standard_logging_guardrail_information_to_request_data(
        guardrail_json_response={"action": decision, **details}, request_data=data,
        guardrail_status="guardrail_intervened" if decision == "invalid" else "success",
        start_time=started, end_time=ended, duration=ended - started, masked_entity_count=masked_entity_count,
        guardrail_provider="blueprints", event_type=guardrail.event_hook)
    for callback in litellm.callbacks:
        if isinstance(callback, PrometheusLogger):
            callback._record_guardrail_metrics(guardrail_name=guardrail.guardrail_name or type(guardrail).__name__,
                                               latency_seconds=ended - started, status=decision, error_type=None,
                                               hook_type="post_call")
            break
