"""The OpenAI Batch API's shapes: input lines, output and error lines, and the `file` and `batch` objects
(pure: no I/O). Field names follow platform.openai.com/docs/api-reference/batch."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

ENDPOINTS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")
COMPLETION_WINDOWS = {"24h": 24 * 3600}
MAX_METADATA_PAIRS = 16
MAX_CUSTOM_ID = 512
TERMINAL_STATUSES = frozenset({"failed", "completed", "expired", "cancelled"})
OPEN_STATUSES = ("validating", "in_progress", "finalizing", "cancelling")

CANCELLED_CODE = "batch_cancelled"
EXPIRED_CODE = "batch_expired"
DELIVERIES_CODE = "max_deliveries_exceeded"
"""A line whose message went to the dead-letter queue."""


@dataclass(frozen=True)
class InputLine:
    """Where one request sits in the input file (the worker reads exactly these bytes)."""

    index: int
    custom_id: str
    offset: int
    length: int


def new_id(prefix: str) -> str:
    """`batch_<hex>` or `file-<hex>`, like OpenAI's ids."""
    return f"{prefix}{uuid.uuid4().hex}"


def output_file_ids(batch_id: str) -> tuple[str, str]:
    """Deterministic ids of a batch's output and error files: finalizing twice writes the same files."""
    suffix = batch_id.removeprefix("batch_")
    return f"file-{suffix}-output", f"file-{suffix}-errors"


def scan_input(data: bytes, endpoint: str, max_lines: int) -> tuple[list[InputLine], list[dict[str, Any]]]:
    """Validate a batch input file: one JSON request per line with a unique `custom_id`, `method` POST, `url`
    equal to the batch's endpoint and an object `body`. Blank lines are skipped. Returns the lines and the
    validation errors (OpenAI's `errors.data` entries; line numbers start at 1)."""
    lines: list[InputLine] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    offset = 0
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        start, offset = offset, offset + len(raw)
        if not raw.strip():
            continue
        problem = _line_problem(raw, endpoint, seen)
        if problem is not None:
            code, message, param = problem
            errors.append({"code": code, "message": message, "param": param, "line": number})
            continue
        custom_id = json.loads(raw)["custom_id"]
        seen.add(custom_id)
        lines.append(InputLine(len(lines), custom_id, start, len(raw)))
    if not lines and not errors:
        errors.append({"code": "empty_file", "message": "the input file has no requests", "param": None,
                       "line": None})
    if len(lines) > max_lines:
        errors.append({"code": "too_many_tasks", "message": f"the input file has {len(lines)} requests "
                       f"(allowed: at most {max_lines})", "param": None, "line": None})
    return lines, errors


def _line_problem(raw: bytes, endpoint: str, seen: set[str]) -> tuple[str, str, str | None] | None:
    try:
        request = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return "invalid_json_line", f"not valid JSON: {error}", None
    if not isinstance(request, dict):
        return "invalid_json_line", "a line must be a JSON object", None
    custom_id = request.get("custom_id")
    if not isinstance(custom_id, str) or not 0 < len(custom_id) <= MAX_CUSTOM_ID:
        return "missing_required_parameter", f"custom_id must be a string of 1-{MAX_CUSTOM_ID} characters", \
            "custom_id"
    if custom_id in seen:
        return "duplicate_custom_id", f"custom_id {custom_id!r} is used by an earlier line", "custom_id"
    if request.get("method") != "POST":
        return "invalid_method", f"method must be POST (got {request.get('method')!r})", "method"
    if request.get("url") != endpoint:
        return "invalid_url", f"url must be the batch's endpoint {endpoint} (got {request.get('url')!r})", "url"
    if not isinstance(request.get("body"), dict) or "model" not in request["body"]:
        return "missing_required_parameter", "body must be an object with a model", "body"
    return None


def result_line(custom_id: str, status_code: int, body: Any, request_id: str) -> dict[str, Any]:
    """A line of the output file (2xx) or, with an error, of the error file."""
    return {"id": new_id("batch_req_"), "custom_id": custom_id,
            "response": {"status_code": status_code, "request_id": request_id, "body": body}, "error": None}


def error_line(custom_id: str, code: str, message: str, response: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": new_id("batch_req_"), "custom_id": custom_id, "response": response,
            "error": {"code": code, "message": message}}


def file_object(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "object": "file", "bytes": int(item["bytes"]), "created_at": int(item["created_at"]),
            "filename": item["filename"], "purpose": item["purpose"],
            "expires_at": _optional_int(item.get("expires_at"))}


def batch_object(item: dict[str, Any]) -> dict[str, Any]:
    errors = json.loads(item["errors"]) if item.get("errors") else None
    stamps = ("created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at",
              "expired_at", "cancelling_at", "cancelled_at")
    return {
        "id": item["id"], "object": "batch", "endpoint": item["endpoint"],
        "errors": {"object": "list", "data": errors} if errors else None,
        "input_file_id": item["input_file_id"], "completion_window": item["completion_window"],
        "status": item["status"],
        "output_file_id": item.get("output_file_id"), "error_file_id": item.get("error_file_id"),
        **{stamp: _optional_int(item.get(stamp)) for stamp in stamps},
        "request_counts": {"total": int(item.get("total", 0)), "completed": int(item.get("completed", 0)),
                           "failed": int(item.get("failed", 0))},
        "metadata": item.get("metadata") or None,
    }


def completion_event(batch: dict[str, Any], now: int) -> dict[str, Any]:
    """The webhook body sent when a batch reaches a terminal status (OpenAI's webhook event shape)."""
    return {"object": "event", "id": new_id("evt_"), "type": f"batch.{batch['status']}", "created_at": now,
            "data": {"id": batch["id"]}}


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
