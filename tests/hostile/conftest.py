"""Fixtures of the hostile-input suite (helpers are in ``hostile.py``).

``engine`` runs a test once per way of loading (``pandas``, ``dask``, ``convert``); ``loaded``
is ``load_with`` bound to that engine and the test's temporary folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile import ENGINES, Loaded, load_with


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine in turn: ``pandas``, ``dask``, ``convert``."""
    return str(request.param)


@pytest.fixture
def loaded(engine: str, tmp_path: Path) -> Callable[..., Loaded]:
    """``loaded(source, **options)``: the source read by the current engine."""

    def run(source: Any, **options: Any) -> Loaded:
        if engine == "convert":
            options.pop("enrich", None)
        return load_with(engine, source, tmp_path, **options)

    return run
