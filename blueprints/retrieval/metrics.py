"""The retrieval service's Prometheus series, written in the text exposition format (no client library):
per-stage latency histograms, query outcomes and the freshness gauge. Names and buckets are listed once here and
in the metric catalog (blueprints.catalog.metrics.RETRIEVAL_SERVICE) that rules and dashboards are checked
against."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable

STAGE_SECONDS = "blueprints_rag_stage_seconds"
"""Histogram, label `stage` (embedding, search, rerank, assembly)."""
QUERIES = "blueprints_rag_queries_total"
"""Counter, label `outcome` (ok, client_error, unavailable)."""
FRESHNESS = "blueprints_rag_index_freshness_seconds"
"""Gauge, label `index`: age of the newest source object not yet indexed (0: everything indexed)."""
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _le(bound: float) -> str:
    return repr(float(bound))


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}
        self._queries: dict[str, int] = {}
        self._freshness: dict[str, float] = {}

    def observe_stage(self, stage: str, seconds: float) -> None:
        with self._lock:
            counts = self._buckets.setdefault(stage, [0] * (len(STAGE_BUCKETS) + 1))
            counts[bisect.bisect_left(STAGE_BUCKETS, seconds)] += 1
            self._sums[stage] = self._sums.get(stage, 0.0) + seconds

    def count_query(self, outcome: str) -> None:
        with self._lock:
            self._queries[outcome] = self._queries.get(outcome, 0) + 1

    def set_freshness(self, index: str, seconds: float) -> None:
        with self._lock:
            self._freshness[index] = seconds

    def exposition(self) -> str:
        with self._lock:
            lines = [f"# HELP {STAGE_SECONDS} Seconds spent in each retrieval stage per query.",
                     f"# TYPE {STAGE_SECONDS} histogram"]
            for stage, counts in sorted(self._buckets.items()):
                running = 0
                for bound, count in zip((*STAGE_BUCKETS, float("inf")), counts, strict=True):
                    running += count
                    le = "+Inf" if bound == float("inf") else _le(bound)
                    lines.append(f'{STAGE_SECONDS}_bucket{{stage="{stage}",le="{le}"}} {running}')
                lines.append(f'{STAGE_SECONDS}_count{{stage="{stage}"}} {running}')
                lines.append(f'{STAGE_SECONDS}_sum{{stage="{stage}"}} {self._sums[stage]!r}')
            lines += [f"# HELP {QUERIES} Retrieval queries by outcome.", f"# TYPE {QUERIES} counter"]
            lines += [f'{QUERIES}{{outcome="{outcome}"}} {count}' for outcome, count in sorted(self._queries.items())]
            lines += [f"# HELP {FRESHNESS} Age of the newest source object not yet indexed.",
                      f"# TYPE {FRESHNESS} gauge"]
            lines += _gauge(FRESHNESS, "index", self._freshness.items())
            return "\n".join(lines) + "\n"


def _gauge(name: str, label: str, values: Iterable[tuple[str, float]]) -> list[str]:
    return [f'{name}{{{label}="{key}"}} {value!r}' for key, value in sorted(values)]
