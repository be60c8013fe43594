"""Print exact pins for flowkit[dev] and everything it needs, from the running environment.

``make lock`` runs this with the venv's Python and writes ``requirements.lock``.  Unlike a bare
``pip freeze`` it leaves out packages that nothing in ``flowkit[dev]`` requires (tools someone
installed by hand), and pip/setuptools/wheel.
"""

from __future__ import annotations

import importlib.metadata as md

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = ("flowkit", frozenset({"dev"}))


def closure() -> dict[str, str]:
    """Return ``{name: version}`` of every distribution flowkit[dev] needs (flowkit excluded)."""
    dists = {canonicalize_name(d.metadata["Name"]): d for d in md.distributions()}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [ROOT]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen or name not in dists:
            continue
        seen.add((name, extras))
        for text in dists[name].requires or []:
            req = Requirement(text)
            envs = [{**default_environment(), "extra": e} for e in sorted(extras) or [""]]
            if req.marker is None or any(req.marker.evaluate(env) for env in envs):
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    names = {name for name, _ in seen} - {"flowkit"}
    missing = sorted({name for name, _ in seen} - set(dists))
    if missing:
        raise SystemExit(f"not installed: {', '.join(missing)}")
    return {dists[n].metadata["Name"]: dists[n].version for n in names}


if __name__ == "__main__":
    pins = closure()
    print("# Exact pins for the dev venv: flowkit[dev] and everything it needs (Python 3.11).")
    print(
        "# Install: python -m pip install -U pip && pip install -r requirements.lock"
        " && pip install -e . --no-deps"
    )
    print("# Regenerate: make lock (after changing pyproject.toml's dependencies).")
    for name in sorted(pins, key=str.lower):
        print(f"{name}=={pins[name]}")
