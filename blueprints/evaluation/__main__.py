"""`python -m blueprints.evaluation run|compare|gate`: the eval-runner image's entry point."""

import sys

from blueprints.evaluation.cli import main

sys.exit(main())
