"""`python -m blueprints rag ingest|query|activate|rollback|status|stop` (the command line lives with the runtime,
blueprints.retrieval.cli, so the retrieval images run the very same one)."""

from blueprints.retrieval.cli import HELP, configure, run

NAME = "rag"
__all__ = ["HELP", "NAME", "configure", "run"]
