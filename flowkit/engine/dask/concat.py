"""Dask's concatenation of flowkit partitions keeps the pandas engine's sorted categories.

Each partition of :func:`flowkit.engine.dask.read.read_dask` is a pandas-engine frame whose
categories are sorted, but partitions hold different categories, and Dask unites them in the
order it meets them when ``compute()`` concatenates the partitions.  Partitions carry
:data:`SORTED` in ``attrs`` (pandas keeps ``attrs`` through filters, selections and
``assign``); :func:`install` wraps Dask's pandas concatenation so that when frames and series
that all carry it are concatenated, the categorical columns whose categories differ between
them get the united categories sorted.  Columns with the same categories everywhere (fixed
sets in a meaningful order) keep their order.  Everything else is concatenated by Dask's own
function, unchanged.

:func:`install` is called by :mod:`flowkit.engine.dask` (the package's import), the one place.
The marker pickles by reference to this module, so a Dask worker that unpickles a partition
imports this module, and so the package first, which installs the wrapper there too.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["ATTR", "SORTED", "install", "sort_categories"]

ATTR = "flowkit_dask"


class _Sorted:
    """The marker: one instance, kept by ``deepcopy`` and pickled by name."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Sorted:
        return self

    def __reduce__(self) -> str:
        return "SORTED"

    def __repr__(self) -> str:
        return "<flowkit: categories sorted on concatenation>"


SORTED = _Sorted()


def sort_categories(obj: Any, columns: set[str] | None = None) -> Any:
    """Sort the categories of unordered categorical columns (all, or ``columns``) or a series.

    >>> s = pd.Series(pd.Categorical(["b", "a"], categories=["b", "a"]))
    >>> sort_categories(s).cat.categories.tolist()
    ['a', 'b']
    """
    if isinstance(obj, pd.Series):
        dtype = obj.dtype
        if isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered:
            cats = dtype.categories
            if not cats.is_monotonic_increasing:
                return obj.cat.reorder_categories(cats.sort_values())
        return obj
    if isinstance(obj, pd.DataFrame):
        names = [
            c for c in obj.select_dtypes("category").columns if columns is None or c in columns
        ]
        fixed = {c: sort_categories(obj[c]) for c in names}
        fixed = {c: s for c, s in fixed.items() if s is not obj[c]}
        if fixed:
            attrs = obj.attrs
            obj = obj.assign(**fixed)
            obj.attrs = attrs
        return obj
    return obj


def _marked(parts: list[Any]) -> bool:
    return bool(parts) and all(getattr(p, "attrs", {}).get(ATTR) is SORTED for p in parts)


def _differing(parts: list[Any]) -> set[str]:
    """Categorical columns whose categories differ between parts (their union is unsorted).

    Columns with fixed categories in a meaningful order (``direction``, scopes, flag labels)
    are the same in every part and keep that order, as in the pandas engine.
    """
    frames = [p.to_frame(name="_") for p in parts] if isinstance(parts[0], pd.Series) else parts
    out = set()
    for col in frames[0].select_dtypes("category").columns:
        cats = frames[0][col].cat.categories
        if any(col in f and not f[col].cat.categories.equals(cats) for f in frames[1:]):
            out.add(col)
    return out


def install() -> None:
    """Wrap Dask's pandas concatenation once (see the module notes)."""
    from dask.dataframe.dispatch import concat_dispatch

    original = concat_dispatch.dispatch(pd.DataFrame)
    if getattr(original, "flowkit", False):
        return

    def concat(dfs: Any, *args: Any, **kwargs: Any) -> Any:
        parts = list(dfs)
        rows = kwargs.get("axis", args[0] if args else 0) in (0, "index")
        differing = _differing(parts) if rows and _marked(parts) else set()
        out = original(parts, *args, **kwargs)
        if differing:
            out = sort_categories(out, None if isinstance(out, pd.Series) else differing)
        return out

    concat.flowkit = True  # type: ignore[attr-defined]
    concat_dispatch.register((pd.DataFrame, pd.Series), concat)
