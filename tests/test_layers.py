"""The packages import downward only, and no modules import each other in a circle.

Layers, lowest first; a module may import its own layer or a lower one:

    domain < config < store < service < activities < workflows < api, web, worker, exitcases,
    bench

- ``domain``: pure rules and the records workflows hand to activities; no I/O.
- ``config``: settings, logging, the Temporal connection, codec and search attributes.
- ``store``: SQL.
- ``service``: opening cases and acting on them, the kind registry, the namespace check.
- ``activities``: call the service and the store for the workflows.
- ``workflows``: run the lifecycle and call activities.
- the entry points on top: the API and its web pages, the worker, the command line and the
  benchmarks.

Every import counts, including those inside functions; only those under ``if TYPE_CHECKING:``
are exempt, since they never run. Tests are not checked: they may import anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from temporalio.workflow import _Definition

from service.kinds import KINDS
from worker import WORKFLOW_CLASSES

ROOT = Path(__file__).resolve().parent.parent
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"domain"}),
    frozenset({"config"}),
    frozenset({"store"}),
    frozenset({"service"}),
    frozenset({"activities"}),
    frozenset({"workflows"}),
    frozenset({"api", "web", "worker", "exitcases", "bench"}),
)


@dataclass(frozen=True)
class Import:
    target: str
    line: int


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(nodes: Iterable[ast.AST], module: str, is_package: bool) -> Iterator[Import]:
    """Every import that runs, named as written (``from a import b`` gives ``a.b`` and ``a``)."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports(node.orelse, module, is_package)
            continue
        if isinstance(node, ast.Import):
            yield from (Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if not is_package:
                    package = package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            yield Import(base, node.lineno)
            yield from (Import(f"{base}.{alias.name}", node.lineno) for alias in node.names)
        yield from _imports(ast.iter_child_nodes(node), module, is_package)


def _modules(root: Path) -> dict[str, Path]:
    """First-party modules by dotted name: top-level .py files and packages, all the way down
    (folders without ``__init__.py``, such as scripts/ and docs/, hold no importable module)."""
    found: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[0].startswith(".") or parts[0] == "tests":
            continue
        if len(parts) > 1 and not (root / parts[0] / "__init__.py").exists():
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """Module -> first-party modules it imports -> the line of the first such import."""
    modules = _modules(root)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for found in _imports([tree], name, path.name == "__init__.py"):
            if found.target in modules and found.target != name:
                edges.setdefault(found.target, found.line)
        graph[name] = edges
    return graph


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for rank, layer in enumerate(LAYERS):
        if top in layer:
            return rank
    raise AssertionError(f"{module} is in no layer; add its package to LAYERS in {__name__}")


def upward_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    return [
        f"{module}:{line} imports {target}, a higher layer"
        for module, edges in sorted(graph.items())
        for target, line in sorted(edges.items())
        if layer_of(target) > layer_of(module)
    ]


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each as one closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, {}):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(_closed_path(graph, sorted(group)))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def _closed_path(graph: dict[str, dict[str, int]], group: list[str]) -> list[str]:
    """One path from the group's first module back to itself, to name in the failure."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph[module]):
            if target == start:
                return [*paths[module], start]
            if target in members and target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports(import_graph(ROOT)) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert [" -> ".join(cycle) for cycle in cycles(import_graph(ROOT))] == []


def test_every_package_is_in_a_layer() -> None:
    assert sorted({layer_of(module) for module in import_graph(ROOT)}) == list(range(len(LAYERS)))


def test_the_analysis_sees_local_imports_and_exempts_type_only_ones(tmp_path: Path) -> None:
    for package in ("domain", "store", "service"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "store" / "cases.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from service.kinds import KINDS\n"
        "else:\n"
        "    import domain\n"
        "def f():\n"
        "    from service import kinds\n"
        "    from . import rows\n"
    )
    (tmp_path / "store" / "rows.py").write_text("from .cases import f\n")
    (tmp_path / "service" / "kinds.py").write_text("import domain\n")
    graph = import_graph(tmp_path)
    assert graph["store.cases"] == {
        "domain": 5,
        "service": 7,
        "service.kinds": 7,
        "store": 8,
        "store.rows": 8,
    }
    assert upward_imports(graph) == [
        "store.cases:7 imports service, a higher layer",
        "store.cases:7 imports service.kinds, a higher layer",
    ]
    assert cycles(graph) == [["store.cases", "store.rows", "store.cases"]]


def test_the_kind_registry_names_workflows_the_worker_runs() -> None:
    # The registry is below workflows/, so it names them as Temporal knows them.
    registered = {
        name: _Definition.must_from_class(cls).name for name, cls in WORKFLOW_CLASSES.items()
    }
    assert registered == {name: name for name in WORKFLOW_CLASSES}
    assert {registration.workflow for registration in KINDS.values()} <= set(WORKFLOW_CLASSES)
