"""`make bench`: the project's measured figures, one module per figure.

Each module in this package defines ``TITLE`` (one line) and ``run() -> list[Figure]``; ``python -m bench``
discovers them, runs them in name order (or only those named on the command line) and prints one table, headed by
the machine it ran on. Figures are measurements, never asserted by tests: the README quotes them with the machine.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured number: what it is, its value and unit, and what it was measured on or against."""

    name: str
    value: float
    unit: str
    detail: str = ""
