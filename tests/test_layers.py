"""No import cycles among the package's modules. import-linter's layers contracts (pyproject.toml, `make lint`)
check imports between layers, not inside one, so this walks grimp's import graph (the graph import-linter builds,
TYPE_CHECKING imports included) for cycles."""

from __future__ import annotations

import grimp

PACKAGE = "blueprints"


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One shortest cycle through each module that is on one (importer, its import, ..., importer)."""
    cycles: dict[frozenset[str], list[str]] = {}
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.setdefault(frozenset(chain), [module, *chain])
    return list(cycles.values())


def test_the_package_has_no_import_cycles():
    cycles = import_cycles(grimp.build_graph(PACKAGE, cache_dir=None))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_a_cycle_is_found_with_its_path():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.report", "p.chart"), ("p.chart", "p.gates"), ("p.gates", "p.report"),
                               ("p.report", "p.config")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["p.chart", "p.gates", "p.report", "p.chart"]]
