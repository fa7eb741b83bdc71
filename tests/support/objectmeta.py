"""The API server's checks of an object's metadata beyond its schema: name, label and annotation syntax
(k8s.io/apimachinery/pkg/api/validation/objectmeta.go and pkg/util/validation/validation.go, Kubernetes 1.33).
Custom resource names must be DNS-1123 subdomains (apiextensions-apiserver customresource validator:
ValidateObjectMetaAccessor with NameIsDNSSubdomain)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_ANNOTATIONS_LIMIT = 256 * 1024


def _subdomain_problem(value: str) -> str | None:
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not DNS_SUBDOMAIN.fullmatch(value):
        return "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; alphanumeric at both ends)"
    return None


def _qualified_name_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or _subdomain_problem(prefix)):
        return f"prefix {prefix!r} must be a DNS subdomain"
    if len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return "name part must be at most 63 characters of [-A-Za-z0-9_.], alphanumeric at both ends"
    return None


def metadata_problems(metadata: dict[str, Any], *, custom_resource: bool) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path under metadata, problem) for each metadata value the API server rejects on create."""
    name = metadata.get("name")
    if custom_resource and isinstance(name, str) and (problem := _subdomain_problem(name)):
        yield ("name",), f"{name!r}: {problem}"
    for key, value in (metadata.get("labels") or {}).items():
        if problem := _qualified_name_problem(key):
            yield ("labels", key), f"label key {key!r}: {problem}"
        if isinstance(value, str) and (len(value) > 63 or not _LABEL_VALUE.fullmatch(value)):
            yield ("labels", key), (f"label value {value!r}: must be at most 63 characters of [-A-Za-z0-9_.], "
                                    "alphanumeric at both ends")
    annotations = metadata.get("annotations") or {}
    for key in annotations:
        if problem := _qualified_name_problem(key):
            yield ("annotations", key), f"annotation key {key!r}: {problem}"
    if sum(len(k.encode()) + len((v or "").encode()) for k, v in annotations.items()) > _ANNOTATIONS_LIMIT:
        yield ("annotations",), f"annotations total more than {_ANNOTATIONS_LIMIT} bytes"
