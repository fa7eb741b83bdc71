"""PII patterns the gateway can mask: prebuilt regex patterns of LiteLLM's built-in content filter guardrail
(`litellm_content_filter`, no external service), as named in the pinned LiteLLM release's `patterns.json`."""

from __future__ import annotations

PREBUILT_PATTERNS: tuple[str, ...] = (
    "email", "us_phone", "us_ssn", "us_ssn_no_dash", "street_address",
    "credit_card", "visa", "mastercard", "amex", "discover", "iban", "eu_iban_enhanced",
    "aws_access_key", "aws_secret_key", "github_token", "slack_token", "generic_api_key",
    "ipv4", "ipv6",
    "passport_us", "passport_uk", "passport_germany", "passport_france", "passport_netherlands",
    "passport_canada", "passport_india", "passport_australia", "passport_japan", "eu_passport_generic",
    "fr_nir", "fr_phone", "eu_vat", "nl_bsn_contextual", "au_tfn", "au_medicare",
)
"""PII, payment-card, credential and network patterns of LiteLLM 1.81.16 (`tests/gateway` checks each name
against the installed release)."""

DEFAULT_PATTERNS: tuple[str, ...] = (
    "email", "us_phone", "us_ssn", "credit_card", "iban", "eu_iban_enhanced", "eu_passport_generic",
    "ipv4", "aws_access_key", "aws_secret_key", "generic_api_key",
)
