"""One error base for everything a user can get wrong; the CLI maps it to exit code 2 in one place."""

from __future__ import annotations

import re

MAX_TOKEN = 120
MAX_LINE = 400
_LONG_TOKEN = re.compile(rf"[^\s'\"]{{{MAX_TOKEN + 1},}}")


def _cut(token: str) -> str:
    return f"{token[:60]}...({len(token)} characters)...{token[-30:]}"


def shorten(text: str) -> str:
    """A message line safe to print: every run of more than MAX_TOKEN non-blank characters (a pasted value, a
    10k-character tag) cut to its head and tail plus its length, and the line cut at MAX_LINE."""
    cut = _LONG_TOKEN.sub(lambda m: _cut(m.group()), text)
    return cut if len(cut) <= MAX_LINE else cut[:MAX_LINE - 3] + "..."


class BlueprintError(Exception):
    """A problem with the user's input or environment. Printed as one line, no traceback; exit code 2."""

    exit_code = 2


class SpecError(BlueprintError):
    """The merged stack config does not describe a valid platform.

    Each problem names the config path, the value given and what is allowed.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class GateFailed(Exception):
    """A check ran and its verdict is negative (policy violations, SLO gates, preflight blockers): exit code 1."""

    exit_code = 1
