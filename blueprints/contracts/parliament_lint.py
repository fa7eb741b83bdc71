"""Parliament (PyPI `parliament`, the IAM policy linter) over every policy document of a planned graph: no finding
of severity MEDIUM or above but the false positives blueprints/contracts/iam.py waives, and, from its community
privilege-escalation auditor, only the paths iam.py accepts (each with iam:PassRole held by passrole_problems)."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import parliament

from blueprints.contracts.iam import (
    PRIVILEGE_ESCALATION_ACCEPTED,
    PolicyDocument,
    parliament_findings,
    parliament_text,
    policy_documents,
)
from blueprints.engine.graph import ResourceGraph

COMMUNITY_CONFIG = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"


def matches(required_format: str, resource: str) -> bool:
    """Parliament's own ARN matcher; S3 bucket formats (`arn:*:s3:::*`) are its `bucket` special case."""
    bucket = required_format.startswith("arn:*:s3:::") and "/" not in required_format
    return parliament.is_arn_strictly_valid("bucket" if bucket else "", required_format, resource)


@cache
def _community_config() -> None:
    """The community auditors' finding types and severities, loaded as parliament's CLI loads them (once)."""
    parliament.override_config(str(COMMUNITY_CONFIG))


@lru_cache(maxsize=4096)
def _findings(text: str, community: bool) -> tuple[Any, ...]:
    """Parliament's findings of one policy text, once per process: the same documents are linted again by each
    kind of check and, in the tests, by several test files (parliament is deterministic for a text)."""
    if community:
        _community_config()
    policy = parliament.analyze_policy_string(text, include_community_auditors=community)
    return tuple(parliament.enhance_finding(finding) for finding in policy.findings)


def lint(document: PolicyDocument, community: bool = False) -> list[Any]:
    """Parliament's findings with their severity, which `enhance_finding` reads from parliament's config."""
    return list(_findings(parliament_text(document), community))


def escalations(document: PolicyDocument) -> list[str]:
    """The privilege-escalation paths (`type`) parliament's community auditor reports for one document."""
    return [finding.location["type"] for finding in lint(document, community=True)
            if finding.issue == "PRIVILEGE_ESCALATION"]


def parliament_problems(graph: ResourceGraph) -> list[str]:
    """One line per blocking parliament finding and per escalation path not accepted, over distinct documents."""
    problems: list[str] = []
    seen: set[str] = set()
    for document in policy_documents(graph):
        text = parliament_text(document)
        if text in seen:
            continue
        seen.add(text)
        problems += parliament_findings(document, lint(document), matches)
        if document.kind == "identity":
            problems += [f"{document.where}: parliament HIGH PRIVILEGE_ESCALATION path {path}"
                         for path in escalations(document) if path not in PRIVILEGE_ESCALATION_ACCEPTED]
    return problems
