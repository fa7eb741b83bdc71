"""CLI commands, one module each (see blueprints.cli)."""
