"""`python -m blueprints <command>`: one parser, commands discovered from `blueprints.commands`.

Each module in `blueprints/commands/` defines `NAME`, `HELP`, `configure(parser)` and `run(args) -> int`.
Exit codes: 0 clean, 1 a check failed (policy, SLO gate, preflight), 2 bad input or environment (usage, config,
files, AWS credentials and permissions). Every failure is mapped here, in `failure_line`: one line on stderr,
long values shortened, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from blueprints import commands
from blueprints.engine import collector
from blueprints.errors import BlueprintError, shorten


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a BlueprintError (one line, exit 2) instead of usage text and SystemExit."""

    def error(self, message: str) -> NoReturn:
        raise BlueprintError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or only the one named `only` when it is a command (each command module is named
    after its command): a run then imports that command's modules alone, not every other command's."""
    parser = _Parser(prog="python -m blueprints", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    for name in [only] if only in names else names:
        module = importlib.import_module(f"{commands.__name__}.{name}")
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.configure(command)
        command.set_defaults(handler=module.run)
    return parser


def failure_line(error: Exception) -> str | None:
    """The one-line message of a failure the user can act on; None for a bug (which keeps its traceback)."""
    if isinstance(error, BlueprintError):
        return str(error)
    # Here, not at the top: boto3 is a fifth of a second to import and most commands (plan, render) never call AWS.
    from botocore.exceptions import BotoCoreError, ClientError

    from blueprints.operations.aws import describe_aws_error

    if isinstance(error, (ClientError, BotoCoreError)):
        return describe_aws_error(error)
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        # The command's imports make tens of thousands of long-lived classes and functions and almost no garbage:
        # the collector's passes over them were a quarter of a second of a plan's startup.
        with collector.paused():
            parser = build_parser(argv[0] if argv else None)
        args = parser.parse_args(argv)
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception as error:
        message = failure_line(error)
        if message is None:
            raise
        for line in message.splitlines():  # SpecError: one line per problem
            print(shorten(f"error: {line}"), file=sys.stderr)
        return getattr(error, "exit_code", 2)
