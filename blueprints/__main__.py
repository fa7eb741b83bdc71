import sys

from blueprints.cli import main

sys.exit(main())
