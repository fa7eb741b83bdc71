"""Findings of the operations commands (one row per check) and their plain-text tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["pass", "warn", "fail", "skip"]
"""`warn`: works, with a caveat. `fail`: a blocker (exit 1). `skip`: nothing to check."""


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    check: str
    region: str
    status: Status
    detail: str


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded."""
    lines = [list(header), *[list(row) for row in rows]]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def checks_table(rows: Sequence[Check]) -> str:
    return format_table(("CHECK", "REGION", "STATUS", "DETAIL"),
                        [(row.check, row.region, row.status.upper(), row.detail) for row in rows])
