"""Frame-wide facts: merged exactly, so Dask partitions get the pandas engine's enrichment and
top talkers are the pandas engine's on a Dask frame.

The facts of a frame (each ENI's own address by vote, the fan-in of equal-port exchanges, ...)
are small mergeable values (:mod:`flowkit.enrich.facts`); the Dask engine computes them per
partition, merges them and enriches (or de-duplicates) each partition with the merged facts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dask_split import write_split
from estate_files import normalized, read_quiet

import flowkit as fk
from flowkit.cost.vantage import flow_key, merge_vantage_facts, vantage_facts
from flowkit.engine.dask.read import _plan, read_dask
from flowkit.enrich import dedupe_facts, enrich, merge_dedupe_facts
from flowkit.enrich.direction import direction_facts
from flowkit.enrich.facts import frame_facts, merge_direction_facts, own_addresses
from flowkit.perf import frames

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CHANGED = ["service_port", "local_role", "client_addr", "server_addr", "service"]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_quiet(SAMPLE)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return read_quiet(SAMPLE, enrich=False)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """``assert_frame_equal`` of the normalized frames; categoricals compared by categories and
    codes (pandas boxes every value of an Arrow-string categorical, which takes minutes)."""
    a, b = normalized(got), normalized(expected)
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.to_dict() == b.dtypes.to_dict()
    cats = [c for c in a.columns if isinstance(a[c].dtype, pd.CategoricalDtype)]
    for c in cats:
        assert a[c].cat.categories.tolist() == b[c].cat.categories.tolist(), c
        assert np.array_equal(a[c].cat.codes.to_numpy(), b[c].cat.codes.to_numpy()), c
    pd.testing.assert_frame_equal(a.drop(columns=cats), b.drop(columns=cats))


def _halves(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    pick = np.random.default_rng(seed).random(len(df)) < 0.5
    return df[pick], df[~pick]


# ----- the facts merge exactly ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_direction_facts_merge_exactly(raw: pd.DataFrame, seed: int) -> None:
    a, b = _halves(raw, seed)
    whole = direction_facts(pd.concat([a, b]))
    merged = merge_direction_facts([direction_facts(a), direction_facts(b)])
    assert merged == whole
    assert len(whole.wanted) >= 3
    assert len(whole.votes) > 100
    assert len(whole.edges) > 10
    assert merged != direction_facts(a)  # a half alone does not know the same


def test_merge_of_three_and_of_none(raw: pd.DataFrame) -> None:
    parts = np.array_split(np.arange(len(raw)), 3)
    facts = [direction_facts(raw.iloc[p]) for p in parts]
    assert merge_direction_facts(facts) == direction_facts(raw)
    assert merge_direction_facts([merge_direction_facts(facts[:2]), facts[2]]) == direction_facts(
        raw
    )
    assert merge_direction_facts([]).votes.empty


@pytest.mark.parametrize(("seed", "settle"), [(4, False), (5, False), (4, True), (5, True)])
def test_part_enriched_with_merged_facts_equals_whole(
    raw: pd.DataFrame, sample: pd.DataFrame, seed: int, settle: bool
) -> None:
    a, b = _halves(raw, seed)
    facts = merge_direction_facts([direction_facts(a), direction_facts(b)])
    if settle:  # what the Dask engine sends with each partition
        facts = facts.settle()
        assert len(facts.votes) < 100
    whole = enrich(raw)
    for part in (a, b):
        got = enrich(part, facts=facts)
        want = whole.loc[part.index]
        for col in [*CHANGED, "local_addr", "remote_addr", "direction", "remote_port"]:
            assert got[col].astype(object).equals(want[col].astype(object)), col


@pytest.mark.parametrize("seed", [6, 7])
def test_dedupe_facts_merge_exactly(sample: pd.DataFrame, seed: int) -> None:
    a, b = _halves(sample, seed)
    direction = merge_direction_facts([direction_facts(a), direction_facts(b)])
    parts = [dedupe_facts(p, direction=direction) for p in (a, b)]
    merged = merge_dedupe_facts(parts)
    assert merged == dedupe_facts(sample)
    assert len(merged.ends) > 100
    kept = pd.concat([fk.dedupe(p, facts=merged) for p in (a, b)]).index.sort_values()
    assert kept.equals(fk.dedupe(sample).index.sort_values())
    settled = merged.settle()  # what the Dask analytics send with each partition
    assert len(settled.ends) < len(merged.ends) / 10
    assert settled.ends["remote"].notna().any()  # the ends a middlebox also logged
    again = pd.concat([fk.dedupe(p, facts=settled) for p in (a, b)]).index.sort_values()
    assert again.equals(kept)


def test_settled_facts_decide_alike_but_do_not_merge(raw: pd.DataFrame) -> None:
    facts = direction_facts(raw)
    settled = facts.settle()
    assert settled.wanted == facts.wanted
    assert settled.settled
    assert own_addresses(settled).equals(own_addresses(facts))
    assert settled != facts
    with pytest.raises(ValueError, match="settled facts cannot be merged"):
        merge_direction_facts([settled, facts])
    ends = dedupe_facts(raw, direction=facts)
    with pytest.raises(ValueError, match="settled facts cannot be merged"):
        merge_dedupe_facts([ends.settle()])


def test_compact_votes_are_the_counts() -> None:
    df = pd.DataFrame({"interface_id": ["eni-2", "eni-1", "eni-1", None],
                       "srcaddr": ["10.0.0.9", "10.0.0.5", "10.0.0.5", "10.0.0.1"],
                       "dstaddr": ["10.0.0.5", "10.0.0.7", "10.0.0.9", "10.0.0.2"]})  # fmt: skip
    votes = direction_facts(df).votes.astype({"eni": object, "addr": object})
    assert votes.values.tolist() == [
        ["eni-1", "10.0.0.5", 2], ["eni-1", "10.0.0.7", 1], ["eni-1", "10.0.0.9", 1],
        ["eni-2", "10.0.0.5", 1], ["eni-2", "10.0.0.9", 1],
    ]  # fmt: skip


def test_dedupe_facts_need_one_direction(sample: pd.DataFrame) -> None:
    a, b = _halves(sample, 10)
    with pytest.raises(ValueError, match="different direction facts"):
        merge_dedupe_facts([dedupe_facts(a), dedupe_facts(b)])


def test_own_address_tie_broken_by_elimination_then_text() -> None:
    df = pd.DataFrame({
        "interface_id": ["eni-1", "eni-1", "eni-2", "eni-2"],
        "srcaddr": ["10.0.0.5", "10.0.0.9", "10.0.0.9", "10.0.0.8"],
        "dstaddr": ["10.0.0.9", "10.0.0.5", "10.0.0.8", "10.0.0.9"],
    })  # fmt: skip
    # eni-1: .5 and .9 tie; eni-2: .8 and .9 tie; nothing eliminates: smallest text wins
    assert own_addresses(direction_facts(df)).to_dict() == {
        "eni-1": "10.0.0.5",
        "eni-2": "10.0.0.8",
    }
    one = df.iloc[:3]  # eni-2's only candidates .9 and .8; eni-1: .5 or .9
    assert direction_facts(one).wanted == ("eni-1", "eni-2")


# ----- the Dask engine's enrichment is the pandas engine's -----------------------------------


@pytest.mark.dask
@pytest.mark.slow
def test_dask_read_equals_pandas_on_every_column(sample: pd.DataFrame, dask_client: object) -> None:
    ddf = read_dask(SAMPLE, partition_bytes=4_000_000)
    assert ddf.npartitions >= 6
    got = ddf.compute()
    assert list(got.columns) == list(sample.columns)
    assert len(got) == len(sample) > 200_000
    assert_same(got, sample)
    # each group of files enriched alone (the engine before the facts) differs
    groups = _plan(SAMPLE, None, None, 4_000_000)
    naive = pd.concat([read_quiet(list(g)) for g in groups], ignore_index=True)
    assert len(naive) == len(sample)
    keys = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start"]
    keys += ["end", "bytes", "packets", "action", "log_status"]
    ours = sample.sort_values(keys, ignore_index=True)[CHANGED].astype(object)
    theirs = naive.sort_values(keys, ignore_index=True)[CHANGED].astype(object)
    assert int((ours != theirs).any(axis=1).sum()) > 100


@pytest.mark.dask
@pytest.mark.slow
def test_dask_read_split_estate_equals_pandas(tmp_path: Path, dask_client: object) -> None:
    root = write_split(tmp_path)
    ddf = fk.read(root, engine="dask")
    expected = read_quiet(root)
    assert_same(ddf.compute(), expected)
    ddf = read_dask(root, partition_bytes=1)
    assert ddf.npartitions == 3
    assert_same(ddf.compute(), expected)


# ----- top talkers and conversations on Dask --------------------------------------------------


@pytest.mark.dask
@pytest.mark.slow
def test_top_talkers_and_conversations_sample(sample: pd.DataFrame, sample_dask: object) -> None:
    expected = fk.top_talkers(sample, n=40)
    assert len(expected) == 40
    assert expected["name"].notna().any() or "eni_name" not in sample.columns
    pd.testing.assert_frame_equal(fk.top_talkers(sample_dask, n=40), expected)
    expected = fk.top_conversations(sample, n=40)
    assert len(expected) == 40
    pd.testing.assert_frame_equal(fk.top_conversations(sample_dask, n=40), expected)


@pytest.mark.dask
@pytest.mark.slow
def test_top_talkers_and_conversations_split(
    split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]],
) -> None:
    pdf, ddf, parts = split_frames
    expected = fk.top_talkers(pdf)
    got = fk.top_talkers(ddf)
    pd.testing.assert_frame_equal(got, expected)
    web = got.set_index("host").loc["10.0.0.5"]
    assert (web["bytes_sent"], web["bytes_received"], web["peers"]) == (984, 91404, 3)
    naive = pd.concat([fk.top_talkers(p) for p in parts]).groupby("host")["bytes"].sum()
    assert naive["10.0.0.5"] > web["bytes"]  # both ENIs' copies of the db connection
    expected = fk.top_conversations(pdf)
    pd.testing.assert_frame_equal(fk.top_conversations(ddf), expected)
    naive = pd.concat([fk.top_conversations(p) for p in parts])
    assert naive["bytes"].sum() > expected["bytes"].sum()


@pytest.mark.dask
def test_the_reads_settled_facts_travel_with_the_dask_frame(
    split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf, ddf, _ = split_frames
    facts = frame_facts(ddf)
    assert facts is not None
    assert facts.settled
    assert facts.nat_boxes == ("eni-nat",)

    def recompute(df: pd.DataFrame) -> None:
        raise AssertionError("the direction facts were computed again")

    monkeypatch.setattr(frames, "traffic_direction_facts", recompute)
    pd.testing.assert_frame_equal(fk.top_talkers(ddf), fk.top_talkers(pdf))
    pd.testing.assert_frame_equal(fk.estimate_cost(ddf), fk.estimate_cost(pdf))
    assert frame_facts(pdf) is not None  # the pandas read keeps them too


# ----- the cost estimate on Dask --------------------------------------------------------------


@pytest.mark.parametrize("seed", [8, 9])
def test_vantage_facts_merge_exactly(raw: pd.DataFrame, seed: int) -> None:
    a, b = _halves(raw, seed)
    direction = merge_direction_facts([direction_facts(a), direction_facts(b)]).settle()
    merged = merge_vantage_facts([vantage_facts(p, direction=direction) for p in (a, b)])
    assert merged == vantage_facts(pd.concat([a, b]))
    assert merged.direction is not None
    assert len(merged.direction.votes) > 0  # the v2 data ENIs vote for their own address
    assert len(merged.az) > 10
    # with the merged facts, each half's records of flows wholly in it are classified as whole
    whole = fk.classify_transfer(raw)
    key = flow_key(raw)
    inside_a = key.isin(set(key[a.index])) & ~key.isin(set(key[b.index]))
    got = fk.classify_transfer(a[inside_a[a.index].to_numpy()], facts=merged)
    assert got["transfer"].astype(object).equals(whole.loc[got.index, "transfer"].astype(object))


@pytest.mark.dask
@pytest.mark.slow
@pytest.mark.parametrize("by", [None, "interface_id", ["interface_id", "far_service"]])
def test_estimate_cost_sample(
    sample: pd.DataFrame, sample_dask: object, by: str | list[str] | None
) -> None:
    expected = fk.estimate_cost(sample, by=by)
    assert len(expected) >= 4
    got = fk.estimate_cost(sample_dask, by=by)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs


@pytest.mark.dask
@pytest.mark.slow
def test_estimate_cost_raw_sample(raw: pd.DataFrame, dask_client: object) -> None:
    """Without enrichment the ENIs' own addresses are learned by vote over all partitions."""
    ddf = read_dask(SAMPLE, partition_bytes=4_000_000, enrich=False)
    pd.testing.assert_frame_equal(fk.estimate_cost(ddf), fk.estimate_cost(raw))


@pytest.mark.dask
@pytest.mark.slow
def test_estimate_cost_split(
    split_frames: tuple[pd.DataFrame, object, list[pd.DataFrame]],
) -> None:
    pdf, ddf, parts = split_frames
    expected = fk.estimate_cost(pdf, by="interface_id")
    pd.testing.assert_frame_equal(fk.estimate_cost(ddf, by="interface_id"), expected)
    naive = pd.concat([fk.estimate_cost(p, by="interface_id") for p in parts])
    assert naive["gib"].sum() > expected["gib"].sum()  # both ENIs' copies of the db connection
    for func in (fk.classify_transfer, fk.recommend_savings):
        with pytest.raises(TypeError, match=r"does not take a Dask DataFrame.*compute"):
            func(ddf)
