"""Run the benchmarks: ``python -m bench [NAME ...] [--json FILE]`` (NAME: a module of this package)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

import bench
from bench import Figure


def machine() -> str:
    """The CPU model and core count this ran on, for the README's "measured on" line."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("only", nargs="*", metavar="NAME", help=f"benchmarks to run (default all): {', '.join(names)}")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(names))
    if unknown:
        print(f"bench: unknown benchmark {', '.join(unknown)}; allowed: {', '.join(names)}", file=sys.stderr)
        return 2
    print(f"# make bench, {time.strftime('%Y-%m-%d')}, on {machine()}", flush=True)
    results: dict[str, list[dict[str, object]]] = {}
    for name in args.only or names:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n## {name}: {module.TITLE}", flush=True)
        started = time.perf_counter()
        figures: list[Figure] = module.run()
        for figure in figures:
            detail = f"  ({figure.detail})" if figure.detail else ""
            print(f"  {figure.name:<52} {figure.value:>10.4g} {figure.unit}{detail}", flush=True)
        print(f"  [{name} took {time.perf_counter() - started:.0f} s]", flush=True)
        results[name] = [vars(figure) for figure in figures]
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "figures": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
