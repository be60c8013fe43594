"""The enrichment's parts run side by side in threads (large frames) or one after the other
(small ones): the same frame and facts either way, and a part's error reaches the caller."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import flowkit as fk
from flowkit.enrich import enrich, example_threat_list
from flowkit.enrich import side_by_side as sbs
from flowkit.synth import generate


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    generate(out, seed=11, days=1 / 12)
    return out


def _enriched(raw: pd.DataFrame, rows: int, monkeypatch: pytest.MonkeyPatch, **kw: object):
    monkeypatch.setattr(sbs, "SIDE_BY_SIDE_ROWS", rows)
    monkeypatch.setattr(sbs, "workers", lambda: 2)  # threads even on a one-core runner
    return enrich(raw, **kw)


@pytest.mark.parametrize("with_inputs", [False, True], ids=["default", "inventory-threats"])
def test_threads_give_the_frame_and_facts_one_thread_gives(
    estate: Path, monkeypatch: pytest.MonkeyPatch, with_inputs: bool
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = fk.read(estate, enrich=False)
    kw: dict[str, object] = {}
    if with_inputs:
        kw = {"inventory": estate / "inventory.json", "vpc_cidrs": ["10.0.0.0/16"],
              "threat_list": example_threat_list()}  # fmt: skip
    one = _enriched(raw, 10**12, monkeypatch, **kw)
    calls: list[str] = []
    real_later = sbs.later

    def counted(pool, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(f"{fn.__name__}:{'thread' if pool is not None else 'here'}")
        return real_later(pool, fn, *args, **kwargs)

    monkeypatch.setattr("flowkit.enrich.pipeline.later", counted)
    monkeypatch.setattr("flowkit.enrich.sides.later", counted)
    two = _enriched(raw, 0, monkeypatch, **kw)
    assert "_own_votes:thread" in calls
    assert "_record_columns:thread" in calls
    assert "direction_columns:thread" in calls
    pd.testing.assert_frame_equal(one, two)
    a, b = one.attrs["flowkit"]["facts"], two.attrs["flowkit"]["facts"]
    pd.testing.assert_frame_equal(a.votes, b.votes)
    pd.testing.assert_frame_equal(a.talks, b.talks)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    assert (a.wanted, a.boxes, a.nat_boxes) == (b.wanted, b.boxes, b.nat_boxes)


def test_an_error_in_a_thread_reaches_the_caller() -> None:
    def broken() -> None:
        raise KeyError("srcaddr")

    with sbs.side_by_side(10**9) as pool:
        done = sbs.later(pool, broken)
        with pytest.raises(KeyError, match="srcaddr"):
            done.result()
    with pytest.raises(KeyError, match="srcaddr"):
        sbs.later(None, broken).result()


def test_small_frames_stay_in_the_calling_thread() -> None:
    with sbs.side_by_side(sbs.SIDE_BY_SIDE_ROWS - 1) as pool:
        assert pool is None
