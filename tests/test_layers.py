"""The import graph of toolgym's packages: lower layers never import upper ones, and no cycles.

Every ``import`` is read with ``ast`` (module level and inside functions alike, since a lazy
import is still a dependency), so the test needs no package to be importable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs", "tools", "agents", "learners", "scenarios", "tui")
UPPER = ("agents", "learners", "scenarios", "tui")
# What each lower layer must not import.
FORBIDDEN = {"envs": UPPER, "tools": (*UPPER, "envs")}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str], root: Path = ROOT) -> set[str]:
    """The toolgym modules ``path`` imports (``from a.b import c`` counts ``a.b.c`` when it is a module)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            # The deepest toolgym module the name refers to (``envs.core.TextEnv`` -> ``envs.core``).
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    modules = {module_name(p) for p in files}
    graph = nx.DiGraph()
    for path in files:
        graph.add_node(module_name(path))
        for target in imported_modules(path, modules):
            graph.add_edge(module_name(path), target)
    return graph


def test_lower_layers_do_not_import_upper_ones():
    graph = import_graph()
    arrows = [
        f"{source} -> {target}"
        for source, target in graph.edges
        for layer, forbidden in FORBIDDEN.items()
        if source.split(".")[0] == layer and target.split(".")[0] in forbidden
    ]
    assert not arrows, "imports against the layering:\n" + "\n".join(sorted(arrows))


def test_no_import_cycles():
    graph = import_graph()
    cycles = [" -> ".join([*cycle, cycle[0]]) for cycle in nx.simple_cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def test_the_graph_sees_lazy_and_relative_imports(tmp_path):
    # The checks above are only as good as the parser: a lazy import inside a function counts.
    source = tmp_path / "envs" / "probe.py"
    source.parent.mkdir()
    source.write_text("def f():\n    from agents.rollout import rollout\n    from . import core\n")
    modules = {"agents.rollout", "envs.core", "envs.probe"}
    assert imported_modules(source, modules, tmp_path) == {"agents.rollout", "envs.core"}
