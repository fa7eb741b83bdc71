"""Load the provider SDKs' generated modules with postponed evaluation of annotations (PEP 563).

pulumi_aws and pulumi_kubernetes are thousands of generated classes whose every signature is annotated with
`typing` constructs (`Optional[pulumi.Input['...Args']]`); evaluating those annotations when the modules execute was
most of the two to three seconds of CPU a plan spent importing the SDK modules its components use (typing's small
caches miss, and each string forward reference is compiled). Compiled as if the modules began with
`from __future__ import annotations`, the annotations stay strings. The Pulumi SDK reads them only through
`typing.get_type_hints` with the module's globals (pulumi/_types.py: `_raw_return_hints`, `_types_from_annotations`),
which evaluates strings the same way, and only for the classes whose outputs it translates.

The code is cached beside the SDK's own bytecode under its own optimisation tag
(`<module>.cpython-311.opt-deferredannotations.pyc`), checked against the source's mtime and size as CPython checks
its own caches; the default `.pyc` files are untouched. Where that cache cannot be written yet
(PYTHONDONTWRITEBYTECODE), a module loads from the SDK's own bytecode, annotations evaluated as before.
"""

from __future__ import annotations
import __future__

import marshal
import sys
from collections.abc import Sequence
from contextlib import suppress
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from importlib.util import MAGIC_NUMBER, cache_from_source
from types import CodeType, ModuleType

PACKAGES = ("pulumi_aws", "pulumi_kubernetes")
"""Generated SDKs whose modules are loaded this way (the ones the components import)."""
CACHE_TAG = "deferredannotations"
_FLAGS = __future__.annotations.compiler_flag


class _DeferredAnnotationsLoader(SourceFileLoader):
    def source_to_code(self, data, path, *, _optimize=-1):  # type: ignore[no-untyped-def,override]
        return compile(data, path, "exec", flags=_FLAGS, dont_inherit=True, optimize=_optimize)

    def get_code(self, fullname: str) -> CodeType:
        source_path = self.get_filename(fullname)
        stats = self.path_stats(source_path)
        header = MAGIC_NUMBER + (0).to_bytes(4, "little") + (int(stats["mtime"]) & 0xFFFFFFFF).to_bytes(4, "little") \
            + (int(stats["size"]) & 0xFFFFFFFF).to_bytes(4, "little")
        cache = cache_from_source(source_path, optimization=CACHE_TAG)
        try:
            data = self.get_data(cache)
        except OSError:
            data = b""
        if data[:16] == header:
            return marshal.loads(memoryview(data)[16:])
        if sys.dont_write_bytecode:
            # Compiling a module this size costs more than its annotations: the SDK's own bytecode, as usual.
            return super().get_code(fullname)
        code = self.source_to_code(self.get_data(source_path), source_path)
        with suppress(OSError):  # a read-only installation: compiled again next time, as CPython does then
            self.set_data(cache, header + marshal.dumps(code))
        return code


class _Finder(MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if fullname.partition(".")[0] not in PACKAGES:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader:
            return spec
        spec.loader = _DeferredAnnotationsLoader(fullname, spec.origin or "")
        return spec


_FINDER = _Finder()


def install() -> None:
    """From now on (idempotent), SDK modules not yet imported load with deferred annotations."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
