"""One error base for everything a user can get wrong; the CLI maps it to exit code 2 in one place."""


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
