"""ember's modules import each other without a cycle.

The graph is read from the source with ``ast`` (nothing is imported). Its nodes are the modules of
``src/ember`` (a package is its ``__init__``). An edge ``a -> b`` is an import statement in ``a``:

- ``import ember.x.y`` goes to ``ember.x.y``;
- ``from P import name`` (absolute or relative) goes to ``P.name`` when that is a module, else to
  ``P`` (the package ``__init__`` or module that defines or re-exports ``name``);
- and, as Python runs them first, to the packages above each target (``from ember.autograd import
  _versions`` in ``ember/optim/_flat.py`` also runs ``ember/autograd/__init__.py``), except the
  packages above ``a`` itself: those are already being imported when ``a`` runs (every module's
  import starts with ``ember/__init__``, which re-exports everything), so they close no new loop.

A cycle counts only through imports that run when the module is imported: statements at module
level, including those inside a module-level ``if``/``try``/``class`` (not under ``if TYPE_CHECKING:``).
Imports inside a function run when it is called, after ``import ember`` has finished, so they cannot
see a half-initialised module. ``test_function_level_imports_are_listed`` builds that second graph
too, so the lazy edges can be read; where the core needs one (a ``Tensor`` method that calls an op or
the engine, while the ops and the engine import ``tensor.py``) the import line says why.
"""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, pathlib.Path]:
    """Dotted module name -> file, for every ``.py`` under ``src/ember``."""
    mods = {}
    for path in sorted((ROOT / "ember").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """(module-level imports, imports inside functions) of one module."""
    top, lazy = [], []

    def walk(body, in_function):
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                (lazy if in_function else top).append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                walk(node.body, True)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                walk(node.orelse, in_function)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    walk(getattr(node, field, []), in_function)

    walk(tree.body, False)
    return top, lazy


def _targets(module: str, node: ast.stmt) -> set[str]:
    """The ember modules one import statement of ``module`` depends on."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    if node.level:
        base = package[: len(package) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    out = set()
    for alias in node.names:
        sub = f"{prefix}.{alias.name}"
        out.add(sub if sub in MODULES else prefix)
    return {m for m in out if m in MODULES and m != module}


def _with_parents(module: str, targets: set[str]) -> set[str]:
    """``targets`` plus the packages Python runs first, minus ``module``'s own (already importing)."""
    own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    out = set()
    for t in targets:
        parts = t.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return out - own - {module}


def import_graph(level: str = "module") -> dict[str, set[str]]:
    """Module -> the ember modules its imports run: at module level, or (``"function"``) inside functions."""
    graph = {}
    for module, path in MODULES.items():
        top, lazy = _imports(ast.parse(path.read_text(encoding="utf-8")))
        targets = set().union(*(_targets(module, n) for n in (top if level == "module" else lazy)))
        graph[module] = _with_parents(module, targets)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of ``graph``, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_graph_sees_every_module_and_the_packages_python_runs_first():
    graph = import_graph()
    assert len(graph) > 100 and {"ember.tensor", "ember._grad_mode", "ember.autograd.ops.elementwise"} <= set(graph)
    assert "ember._grad_mode" in graph["ember.tensor"]
    # from ..autograd import _versions: the module and the package that Python runs before it
    assert {"ember.autograd", "ember.autograd._versions"} <= graph["ember.optim._flat"]
    assert "ember" not in graph["ember.optim._flat"] and "ember.optim" not in graph["ember.optim._flat"]


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_through_module_level_imports():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _below(graph, module):
    """Every module that importing ``module`` runs (transitively)."""
    below, todo = set(), [module]
    while todo:
        for dep in graph[todo.pop()] - below:
            below.add(dep)
            todo.append(dep)
    return below


def test_tensor_sits_above_dependency_free_modules_only():
    """tensor.py's module-level imports reach no op, no engine, no layer: grad modes, dtypes, the backend."""
    graph = import_graph()
    below = _below(graph, "ember.tensor")
    assert {"ember._grad_mode", "ember._dtype", "ember._backend"} <= below
    assert not {m for m in below if m.startswith(("ember.autograd", "ember.nn"))}, sorted(below)
    for leaf in ("ember._grad_mode", "ember._errors"):
        assert not graph[leaf], f"{leaf} imports {sorted(graph[leaf])}"


def _unresolved(module: str, node: ast.stmt) -> list[str]:
    """The ember modules an import names that do not exist."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "ember" and a.name not in MODULES]
    if not node.level and not (node.module or "").startswith("ember"):
        return []
    package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level else []
    prefix = ".".join(base + ([node.module] if node.module else []))
    return [] if prefix in MODULES else [prefix]


def test_function_level_imports_are_listed():
    """The lazy edges are read too, and each names a module that exists (else it fails only when called)."""
    lazy = import_graph("function")
    assert set(lazy) == set(MODULES)
    missing = [(m, bad) for m, path in MODULES.items() for node in _imports(ast.parse(path.read_text("utf-8")))[1]
               for bad in _unresolved(m, node)]
    assert not missing, missing
    assert "ember.autograd" in lazy["ember.tensor"]  # Tensor.backward calls the engine, which imports tensor.py
    assert not lazy["ember._grad_mode"]
