"""The one error type of the retrieval runtime: a message a user can act on (bad input, unknown index, store down)."""

from __future__ import annotations


class RetrievalError(Exception):
    """One line naming what was wrong and what is allowed: the CLI prints it (exit 2), the service answers `status`."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status
