"""The package's import structure, read from the source with ``ast`` (nothing is imported).

Two rules (issue 15, "a house without knots"):

* no circle between modules: following the imports of ``flowkit`` (at module level, inside
  functions, and under ``TYPE_CHECKING``) never leads back to where it started;
* no private name across modules: ``from flowkit.x import _name`` is refused (a name with a
  leading underscore belongs to its module; make it public where it is shared).

An import ``from a.b import c`` points at the module ``a.b.c`` when it exists, else at ``a.b``
(a package's ``__init__``); the parents' ``__init__`` that Python runs on the way are not
counted, as every module of a package would otherwise form a circle with its ``__init__``.
The checks are run on small synthetic packages too, so they are known to fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flowkit"


def modules_of(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``package``."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, str, int]]:
    """``(target module, imported name or "", line)`` of every import of a package module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in known:
                    yield sub, "", node.lineno
                elif source in known:
                    yield source, alias.name, node.lineno


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (itself excluded)."""
    found = modules_of(package)
    known = set(found)
    return {m: {t for t, _, _ in imports_of(m, p, known) if t != m} for m, p in found.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each a circle or several)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def private_imports(package: Path) -> list[str]:
    """``module:line imports _name from other`` for every private name taken across modules."""
    found = modules_of(package)
    known = set(found)
    out = []
    for module, path in found.items():
        for target, name, line in imports_of(module, path, known):
            if target == module:
                continue
            if name and _private(name):
                out.append(f"{module}:{line} imports {name} from {target}")
            elif not name and _private(target.rsplit(".", 1)[-1]):
                out.append(f"{module}:{line} imports the private module {target}")
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_package_has_no_import_circle() -> None:
    found = circles(import_graph(PACKAGE))
    assert found == [], "modules that import each other (directly or round a circle):\n" + (
        "\n".join(" <-> ".join(group) for group in found)
    )


def test_no_private_name_is_imported_across_modules() -> None:
    assert private_imports(PACKAGE) == []


def test_the_checks_see_the_whole_package() -> None:
    graph = import_graph(PACKAGE)
    assert "flowkit.schema" in graph["flowkit.parse.frame"]
    assert len(graph) > 100


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from pkg.b import x\n",
                "pkg/b.py": "import pkg.a\n",
            },
            [["pkg.a", "pkg.b"]],
            id="two modules",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "def f():\n    from pkg import b\n",
                "pkg/b.py": "from .sub import c\n",
                "pkg/sub/__init__.py": "",
                "pkg/sub/c.py": "from ..a import f\n",
            },
            [["pkg.a", "pkg.b", "pkg.sub.c"]],
            id="three modules, relative and inside a function",
        ),
        pytest.param(
            {"pkg/__init__.py": "from pkg.a import f\n", "pkg/a.py": "import os\nf = 1\n"},
            [],
            id="no circle",
        ),
    ],
)
def test_circles_are_found(
    tmp_path: Path, files: dict[str, str], expected: list[list[str]]
) -> None:
    assert circles(import_graph(_write(tmp_path, files))) == expected


def test_private_imports_are_found(tmp_path: Path) -> None:
    package = _write(tmp_path, {
        "pkg/__init__.py": "from pkg.a import __version__\n",
        "pkg/a.py": "_x = 1\n__version__ = '1'\ndef _f(): ...\n",
        "pkg/b.py": "from pkg.a import _f as f\nfrom .a import _x\n",
        "pkg/_hidden.py": "",
        "pkg/c.py": "from pkg import _hidden\n",
    })  # fmt: skip
    assert private_imports(package) == [
        "pkg.b:1 imports _f from pkg.a",
        "pkg.b:2 imports _x from pkg.a",
        "pkg.c:1 imports the private module pkg._hidden",
    ]
