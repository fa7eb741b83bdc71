import gc
import sys

from blueprints.engine import sdk_annotations

sdk_annotations.install()  # before anything imports the provider SDKs

from blueprints.cli import main  # noqa: E402
from blueprints.engine import collector  # noqa: E402

collector.leave_garbage_to_exit()
code = main()
# The process ends here: spare the interpreter's final garbage collections over every module and object it holds
# (about 2 s of CPU after a plan); buffered output is flushed first.
sys.stdout.flush()
sys.stderr.flush()
gc.freeze()
sys.exit(code)
