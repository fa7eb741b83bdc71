"""Guardrails that run inside the gateway: PII masking of answers."""
