"""`python -m blueprints eval run|compare|gate` (the command line lives with the runtime, blueprints.evaluation.cli,
so the eval-runner image runs the very same one)."""

from blueprints.evaluation.cli import HELP, configure, run

NAME = "eval"
__all__ = ["HELP", "NAME", "configure", "run"]
