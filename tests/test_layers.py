"""The layers of app/, read from its source with `ast` (nothing of the app is imported):

- the pure core (app.analytics, app.charts, app.exports) imports no database or web library
  (SQLAlchemy, FastAPI, Starlette, pydantic-settings), neither itself nor through another module of app/;
- the lower layers (the pure core, app.reporting, app.access, app.models, app.db) import no router,
  schemas or deps module (`*.router`, `*.schemas`, app.deps, app.params) and no domain service
  (`app.<domain>.service`, a domain being a package with a router), neither themselves nor through
  another module of app/ (a module's parent packages count: importing one runs their `__init__`);
- no two modules of app/ import each other, directly or through a longer cycle.

Every import counts: at the top of a module, inside a function, under `if TYPE_CHECKING:`. The last
test runs the checks over a small package that breaks each rule, so none of them can pass for want
of anything to find.
"""

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

PURE = ("analytics", "charts", "exports")
LOWER = (*PURE, "reporting", "access", "models", "db")
FOREIGN = frozenset({"sqlalchemy", "fastapi", "starlette", "pydantic_settings"})
# Domains are the packages with a router; these must be among them (so a change in how they are found
# cannot empty the rule)
KNOWN_DOMAINS = ("scorecards", "budget", "status", "imports", "kpis", "auth", "tokens", "audit", "org")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported: a module of the package where it names one, else as written
    line: int


class Graph:
    """The modules of the package in folder `root` and the imports each one makes."""

    def __init__(self, root: Path) -> None:
        self.package = root.name
        self.paths: dict[str, Path] = {}
        for path in sorted(root.rglob("*.py")):
            parts = [root.name, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            self.paths[".".join(parts)] = path
        self.imports = list(dict.fromkeys(found for name in self.paths for found in self._read(name)))
        self.edges: dict[str, dict[str, int]] = {name: {} for name in self.paths}  # module -> {module: line}
        for imp in self.imports:
            if imp.target in self.paths and imp.target != imp.source:
                self.edges[imp.source].setdefault(imp.target, imp.line)

    def _module_of(self, name: str) -> str:
        """The longest prefix of `name` that is a module of the package; `name` itself for another package's."""
        if name != self.package and not name.startswith(self.package + "."):
            return name
        while name not in self.paths and "." in name:
            name = name.rpartition(".")[0]
        return name

    def _read(self, name: str) -> Iterator[Import]:
        path = self.paths[name]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(name, self._module_of(alias.name), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    yield Import(name, submodule if submodule in self.paths else self._module_of(base), node.lineno)

    def within(self, *layers: str) -> list[str]:
        """The modules of the package's sub-packages or modules `layers`."""
        prefixes = tuple(f"{self.package}.{layer}" for layer in layers)
        return [name for name in self.paths if name in prefixes or name.startswith(tuple(p + "." for p in prefixes))]


def foreign_imports(graph: Graph) -> list[tuple[str, list[str]]]:
    """(pure module, how it gets to a database or web library): the chain of modules with the line of
    each import, ending in the library, for each library import the module reaches."""
    found = []
    for start in graph.within(*PURE):
        came_from: dict[str, tuple[str, int] | None] = {start: None}
        queue = deque([start])
        while queue:
            module = queue.popleft()
            for imp in graph.imports:
                if imp.source == module and imp.target.split(".")[0] in FOREIGN:
                    chain = [f"{imp.target} (line {imp.line})"]
                    step: str | None = module
                    while step is not None:
                        before = came_from[step]
                        chain.insert(0, step if before is None else f"{step} (line {before[1]})")
                        step = None if before is None else before[0]
                    found.append((start, chain))
            for target, line in graph.edges[module].items():
                if target not in came_from:
                    came_from[target] = (module, line)
                    queue.append(target)
    return found


def domains(graph: Graph) -> list[str]:
    """The domain packages: those with a `router` module."""
    return sorted(name.rpartition(".")[0] for name in graph.paths if name.endswith(".router"))


def _banned(graph: Graph) -> set[str]:
    """The modules no lower layer may reach: routers, schemas, deps, params and domain services."""
    pkg = graph.package
    return {
        name
        for name in graph.paths
        if name in (f"{pkg}.deps", f"{pkg}.params")
        or name.rpartition(".")[2] in ("router", "schemas")
        or (name.endswith(".service") and name.rpartition(".")[0] in domains(graph))
    }


def upward_imports(graph: Graph) -> list[Import]:
    """Imports of a router, schemas or deps module, or of a domain service, by a lower layer."""
    banned = _banned(graph)
    lower = set(graph.within(*LOWER))
    return [imp for imp in graph.imports if imp.source in lower and imp.target in banned]


def _parents(graph: Graph, module: str) -> list[str]:
    """The packages above `module` (importing it runs their `__init__` first)."""
    parts = module.split(".")
    return [name for name in (".".join(parts[:i]) for i in range(1, len(parts))) if name in graph.paths]


def upward_chains(graph: Graph) -> list[tuple[str, str]]:
    """(lower module, how it gets there) for each banned module a lower module reaches only through
    other modules (its direct imports are `upward_imports`); each step with the line of its import."""
    banned, found = _banned(graph), []
    for start in graph.within(*LOWER):
        came_from: dict[str, tuple[str, int] | None] = {start: None}
        queue = deque([start])
        while queue:
            module = queue.popleft()
            steps = [*graph.edges[module].items(), *((parent, 0) for parent in _parents(graph, module))]
            for target, line in steps:
                if target in came_from:
                    continue
                came_from[target] = (module, line)
                if target in banned:
                    if module != start:
                        chain, step = [], target
                        while (before := came_from[step]) is not None:
                            how = f"line {before[1]}" if before[1] else "its package"
                            chain.insert(0, f"{step} ({how})")
                            step = before[0]
                        found.append((start, " -> ".join([start, *chain])))
                    continue  # a banned module is reported; what it imports is its own business
                queue.append(target)
    return sorted(found)


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in graph.edges:
        if root in index:
            continue
        work = [(root, iter(graph.edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.edges[target])))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def a_cycle(graph: Graph, component: list[str]) -> str:
    """One shortest cycle through the first module of `component`, each import with its line."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for target in graph.edges[module]:
            if target == start:
                path = [module]
                while path[0] != start:
                    path.insert(0, came_from[path[0]])
                hops = zip(path, [*path[1:], start], strict=True)
                steps = [start] + [f"{b} (line {graph.edges[a][b]} of {a})" for a, b in hops]
                return " -> ".join(steps)
            if target in members and target not in came_from:
                came_from[target] = module
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")  # a component of more than one module has one


def _app() -> Graph:
    graph = Graph(APP)
    missing = [layer for layer in LOWER if not graph.within(layer)]
    missing += [domain for domain in KNOWN_DOMAINS if f"{graph.package}.{domain}" not in domains(graph)]
    assert not missing, f"the layers name packages app/ does not have (rename them here): {missing}"
    return graph


def test_the_pure_core_imports_no_database_or_web_library():
    found = foreign_imports(_app())
    assert not found, "the pure core reaches a database or web library:\n" + "\n".join(
        f"  {start}: {' -> '.join(chain)}" for start, chain in found
    )


def test_the_lower_layers_import_no_router_schemas_deps_or_domain_service():
    graph = _app()
    found = upward_imports(graph)
    assert not found, "lower layers import upward:\n" + "\n".join(
        f"  {imp.source} imports {imp.target} (line {imp.line})" for imp in found
    )
    reached = upward_chains(graph)
    assert not reached, "lower layers reach upward through other modules:\n" + "\n".join(
        f"  {chain}" for _, chain in reached
    )


def test_no_two_modules_import_each_other():
    graph = _app()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(f"  {a_cycle(graph, c)}   [{', '.join(c)}]" for c in found)


FAKE = {
    "__init__.py": "",
    # a cycle of two, one side inside a function and relative
    "cli.py": "from fake.demo import command\n",
    "demo/__init__.py": "",
    "demo/command.py": "def run():\n    from .. import cli\n    return cli\n",
    # a cycle of three, through a name imported from a module
    "a.py": "import fake.b\n",
    "b.py": "from . import c\n",
    "c.py": "from fake.a import thing\n",
    # upward imports from a lower layer
    "reporting/__init__.py": "",
    "reporting/cards.py": (
        "from fake.scorecards.schemas import Card\nfrom fake import deps\n\n\ndef f():\n"
        "    from fake.budget import service\n"
    ),
    "reporting/fine.py": "from fake.models import Sale\nfrom fake.budget import answers\n",
    # ... and through another module, or through a package's __init__
    "reporting/indirect.py": "from fake.helpers import shape\n",
    "helpers.py": "import json\n\nfrom fake.scorecards.schemas import Card\n",
    "reporting/viainit.py": "from fake.org.tree import walk\n",
    "org/__init__.py": "from fake.org import router\n",
    "org/tree.py": "",
    "org/router.py": "",
    "scorecards/__init__.py": "",
    "scorecards/schemas.py": "import pydantic\n",
    "scorecards/router.py": "from fake.scorecards import schemas\nfrom fake import deps\n",
    "budget/__init__.py": "",
    "budget/service.py": "",
    "budget/router.py": "from fake.budget import service\n",
    "budget/answers.py": "",
    "deps.py": "import fastapi\n",
    "models.py": "import sqlalchemy\n",
    # the pure core: a library imported in a function, one reached through another module, and a clean one
    "analytics/__init__.py": "",
    "analytics/pure.py": "def f():\n    import sqlalchemy.orm\n",
    "charts/__init__.py": "from . import draw\n",
    "charts/draw.py": "from fake.analytics import maths\n",
    "analytics/maths.py": "from fake.db import engine\n",
    "db.py": "from sqlalchemy import create_engine\n",
    "exports/__init__.py": "import csv\nfrom fake.charts_api import shown\n",
    "charts_api/__init__.py": "",
    "charts_api/shown.py": "import json\n",
}


def test_the_checks_find_what_breaks_the_rules(tmp_path):
    for name, text in FAKE.items():
        (tmp_path / "fake" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fake" / name).write_text(text)
    graph = Graph(tmp_path / "fake")

    assert cycles(graph) == [["fake.a", "fake.b", "fake.c"], ["fake.cli", "fake.demo.command"]]
    assert a_cycle(graph, ["fake.a", "fake.b", "fake.c"]) == (
        "fake.a -> fake.b (line 1 of fake.a) -> fake.c (line 1 of fake.b) -> fake.a (line 1 of fake.c)"
    )
    assert a_cycle(graph, ["fake.cli", "fake.demo.command"]) == (
        "fake.cli -> fake.demo.command (line 1 of fake.cli) -> fake.cli (line 2 of fake.demo.command)"
    )

    assert {(i.source, i.target, i.line) for i in upward_imports(graph)} == {
        ("fake.reporting.cards", "fake.scorecards.schemas", 1),
        ("fake.reporting.cards", "fake.deps", 2),
        ("fake.reporting.cards", "fake.budget.service", 6),
    }
    assert upward_chains(graph) == [
        (
            "fake.reporting.indirect",
            "fake.reporting.indirect -> fake.helpers (line 1) -> fake.scorecards.schemas (line 3)",
        ),
        (
            "fake.reporting.viainit",
            "fake.reporting.viainit -> fake.org.tree (line 1) -> fake.org (its package) -> fake.org.router (line 1)",
        ),
    ]

    assert sorted((start, " -> ".join(chain)) for start, chain in foreign_imports(graph)) == [
        ("fake.analytics.maths", "fake.analytics.maths -> fake.db (line 1) -> sqlalchemy (line 1)"),
        ("fake.analytics.pure", "fake.analytics.pure -> sqlalchemy.orm (line 2)"),
        (
            "fake.charts",
            "fake.charts -> fake.charts.draw (line 1) -> fake.analytics.maths (line 1) -> "
            "fake.db (line 1) -> sqlalchemy (line 1)",
        ),
        (
            "fake.charts.draw",
            "fake.charts.draw -> fake.analytics.maths (line 1) -> fake.db (line 1) -> sqlalchemy (line 1)",
        ),
    ]
