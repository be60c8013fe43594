"""No module of flowkit is hidden by a public attribute of the same name in its package.

``from flowkit.enrich.dedupe import dedupe`` in ``flowkit/enrich/__init__.py`` made
``flowkit.enrich.dedupe`` the function or the module depending on what was imported first;
modules are named apart from the functions their package exports (issue 15).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import flowkit


def packages(root: ModuleType) -> list[ModuleType]:
    """``root`` and every package below it, imported."""
    found = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{root.__name__}."):
        if info.ispkg:
            found.append(importlib.import_module(info.name))
    return found


def hidden_modules(package: ModuleType) -> list[str]:
    """Submodules of ``package`` whose name its public attribute of that name does not mean."""
    out = []
    for info in pkgutil.iter_modules(package.__path__):
        name = f"{package.__name__}.{info.name}"
        public = [a for a in dir(package) if not a.startswith("_")]
        if info.name in public:
            attr = getattr(package, info.name)
            if not (isinstance(attr, ModuleType) and attr.__name__ == name):
                out.append(f"{name} is hidden by {type(attr).__name__} {info.name!r}")
    return out


@pytest.mark.parametrize("package", packages(flowkit), ids=lambda p: p.__name__)
def test_no_module_is_hidden_by_a_name_of_its_package(package: ModuleType) -> None:
    assert hidden_modules(package) == []


def test_a_hidden_module_is_found(tmp_path, monkeypatch) -> None:
    (tmp_path / "shadowpkg").mkdir()
    (tmp_path / "shadowpkg" / "__init__.py").write_text(
        "from shadowpkg.dedupe import dedupe\nfrom shadowpkg import other\n"
    )
    (tmp_path / "shadowpkg" / "dedupe.py").write_text("def dedupe(): ...\n")
    (tmp_path / "shadowpkg" / "other.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    package = importlib.import_module("shadowpkg")
    assert hidden_modules(package) == ["shadowpkg.dedupe is hidden by function 'dedupe'"]
