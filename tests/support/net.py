"""Loopback helpers for tests that start real servers: every server listens on 127.0.0.1 only."""

from __future__ import annotations

import socket
from urllib.error import HTTPError
from urllib.request import Request, urlopen


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_of(request: Request, timeout_s: float = 60.0) -> int:
    """The HTTP status `request` gets, error statuses included."""
    try:
        with urlopen(request, timeout=timeout_s) as response:
            return response.status
    except HTTPError as error:
        return error.code
