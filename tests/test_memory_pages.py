"""fk.read and enrich allocate without numpy's huge-page advice, and give numpy its setting back."""

from __future__ import annotations

from pathlib import Path

import pytest
from numpy._core import multiarray

import flowkit as fk
from flowkit import memory_pages
from flowkit.memory_pages import small_pages

LINE = "2 1 eni-1 10.0.1.5 52.216.8.1 50000 443 6 10 840 1700000000 1700000060 ACCEPT OK"


def _advice() -> bool:
    """numpy's current setting (read by setting it to itself)."""
    now = multiarray._set_madvise_hugepage(True)
    multiarray._set_madvise_hugepage(now)
    return bool(now)


@pytest.fixture(autouse=True)
def numpy_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)


@pytest.mark.parametrize("before", [True, False])
def test_off_within_and_numpy_s_setting_back_after(before: bool) -> None:
    old = multiarray._set_madvise_hugepage(before)
    try:
        with small_pages():
            assert _advice() is False
            with small_pages():  # nested: the inner one out does not restore
                pass
            assert _advice() is False
        assert _advice() is before
    finally:
        multiarray._set_madvise_hugepage(old)


def test_restored_when_the_load_raises() -> None:
    old = multiarray._set_madvise_hugepage(True)
    try:
        with pytest.raises(ValueError, match="boom"), small_pages():
            raise ValueError("boom")
        assert _advice() is True
    finally:
        multiarray._set_madvise_hugepage(old)


def test_the_user_s_numpy_switch_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    old = multiarray._set_madvise_hugepage(True)
    try:
        with small_pages():
            assert _advice() is True
    finally:
        multiarray._set_madvise_hugepage(old)


def test_read_and_enrich_run_within(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[bool] = []
    real = memory_pages._advice_setter()
    assert real is not None

    def recording(enabled: bool) -> bool:
        calls.append(enabled)
        return real(enabled)

    monkeypatch.setattr(memory_pages, "_advice_setter", lambda: recording)
    before = _advice()
    df = fk.parse_lines([LINE], enrich=False)
    assert calls == []
    fk.enrich.enrich(df)
    assert calls == [False, before]
    calls.clear()
    path = tmp_path / "a.log"
    path.write_text(LINE + "\n")
    fk.read(path, progress=False, enrich=False)  # the parse too
    assert calls == [False, before]
    calls.clear()
    fk.read(path, progress=False)
    assert calls == [False, before]  # once for the whole read: the enrichment inside it nests
