"""Validation of batch input files and the OpenAI object shapes (pure)."""

from __future__ import annotations

import json

from blueprints.batch.protocol import batch_object, output_file_ids, scan_input
from tests.batch.support import ENDPOINT, jsonl, request_line


def test_lines_are_located_by_byte_offset_and_blank_lines_skipped() -> None:
    data = jsonl([request_line("a")]) + b"\n" + jsonl([request_line("b", content="h\u00e9llo")])
    lines, errors = scan_input(data, ENDPOINT, max_lines=10)
    assert errors == []
    assert [(line.index, line.custom_id) for line in lines] == [(0, "a"), (1, "b")]
    for line in lines:
        assert json.loads(data[line.offset:line.offset + line.length])["custom_id"] == line.custom_id


def test_every_bad_line_is_reported_with_its_number() -> None:
    no_id = request_line("x")
    del no_id["custom_id"]
    get = {**request_line("g"), "method": "GET"}
    no_model = request_line("m")
    del no_model["body"]["model"]
    data = jsonl([request_line("a"), no_id, get, no_model, request_line("a")]) + b"[1]\n"
    _, errors = scan_input(data, ENDPOINT, max_lines=10)
    assert [(e["line"], e["code"], e["param"]) for e in errors] == [
        (2, "missing_required_parameter", "custom_id"), (3, "invalid_method", "method"),
        (4, "missing_required_parameter", "body"), (5, "duplicate_custom_id", "custom_id"),
        (6, "invalid_json_line", None)]


def test_file_level_limits() -> None:
    assert scan_input(b"\n\n", ENDPOINT, 10)[1][0]["code"] == "empty_file"
    lines, errors = scan_input(jsonl([request_line(str(i)) for i in range(3)]), ENDPOINT, max_lines=2)
    assert len(lines) == 3 and [e["code"] for e in errors] == ["too_many_tasks"]


def test_batch_object_has_the_openai_fields() -> None:
    item = {"id": "batch_1", "endpoint": ENDPOINT, "input_file_id": "file-1", "completion_window": "24h",
            "status": "completed", "created_at": 10, "completed_at": 20, "total": 3, "completed": 2, "failed": 1,
            "output_file_id": "file-1-output", "errors": json.dumps([{"code": "x", "line": 1}])}
    body = batch_object(item)
    assert body["object"] == "batch" and body["request_counts"] == {"total": 3, "completed": 2, "failed": 1}
    assert body["errors"] == {"object": "list", "data": [{"code": "x", "line": 1}]}
    assert body["cancelled_at"] is None and body["metadata"] is None
    assert output_file_ids("batch_abc") == ("file-abc-output", "file-abc-errors")
