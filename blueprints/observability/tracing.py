"""OpenTelemetry collector configuration for traces with the GenAI semantic conventions, exported to AWS X-Ray."""

from __future__ import annotations

from typing import Any

from blueprints.spec import PlatformSpec

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318

# GenAI semantic conventions (opentelemetry.io/docs/specs/semconv/gen-ai/): searchable in X-Ray as annotations.
GENAI_INDEXED = ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model")
# Attributes that can carry prompt or completion text (current and deprecated names).
GENAI_CONTENT = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                 "gen_ai.prompt", "gen_ai.completion")


def collector_config(spec: PlatformSpec, region: str) -> dict[str, Any]:
    """Receive OTLP, drop prompt/completion text unless `audit.log_prompts`, sample, batch, export to X-Ray."""
    processors: dict[str, Any] = {
        "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
        "probabilistic_sampler": {"sampling_percentage": spec.observability.trace_sampling_percent},
        "resource": {"attributes": [
            {"key": "deployment.environment.name", "value": spec.environment, "action": "upsert"},
            {"key": "cloud.region", "value": region, "action": "upsert"},
        ]},
        "batch": {},
    }
    pipeline = ["memory_limiter", "probabilistic_sampler", "resource"]
    if not spec.audit.log_prompts:
        processors["attributes/genai-content"] = {"actions": [{"key": key, "action": "delete"}
                                                              for key in GENAI_CONTENT]}
        pipeline.append("attributes/genai-content")
    pipeline.append("batch")
    return {
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"}, "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"},
        }}},
        "processors": processors,
        "exporters": {"awsxray": {"region": region, "indexed_attributes": list(GENAI_INDEXED)}},
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": pipeline, "exporters": ["awsxray"]}},
        },
    }
