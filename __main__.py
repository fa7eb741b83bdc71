"""Entry point of `pulumi up`: everything lives in the blueprints package."""

from blueprints.program import main

main()
