"""The gateway's request audit records: LiteLLM settings that write them to the region's audit bucket
(components/audit.py creates the bucket and grants the gateway `s3:PutObject` under GATEWAY_PREFIX)."""

from __future__ import annotations

from typing import Any

from blueprints.spec import PlatformSpec

GATEWAY_PREFIX = "gateway-requests"
BUCKET_ENV = "AUDIT_BUCKET_NAME"
"""Environment variable the gateway's LiteLLM config reads the audit bucket from (set it from `bucket_name`)."""


def audit_logging_settings(spec: PlatformSpec) -> dict[str, Any]:
    """LiteLLM `litellm_settings` for request audit records in the region's audit bucket.

    Each record is LiteLLM's standard logging payload: who (hashed key, key alias, team, user, end user, IP),
    which model (model group and deployment), tokens, cost, latency and status. Prompts and responses are kept
    only where `audit.log_prompts` is set and the gateway masks PII before the call (`gateway.pii_masking`);
    otherwise LiteLLM replaces them with a redaction marker. Merge `callbacks` with the gateway's own.
    """
    return {
        "callbacks": ["s3_v2"],
        "s3_callback_params": {
            "s3_bucket_name": f"os.environ/{BUCKET_ENV}",
            "s3_region_name": "os.environ/AWS_REGION",
            "s3_path": GATEWAY_PREFIX,
        },
        "turn_off_message_logging": not (spec.audit.log_prompts and spec.gateway.pii_masking),
    }
