import gc
import sys

from blueprints.cli import main
from blueprints.engine import collector

collector.leave_garbage_to_exit()
code = main()
# The process ends here: spare the interpreter's final garbage collections over every module and object it holds
# (about 2 s of CPU after a plan); buffered output is flushed first.
sys.stdout.flush()
sys.stderr.flush()
gc.freeze()
sys.exit(code)
