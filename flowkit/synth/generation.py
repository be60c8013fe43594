"""The estate generator behind :func:`flowkit.synth.generate` (see :mod:`flowkit.synth`).

:class:`SynthConfig` holds every rate and incident parameter, :func:`generate` writes the
files and returns a :class:`Summary`.
"""

from __future__ import annotations

import json
import shutil
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from flowkit.synth.compromise import Exfiltration, LateralMovement, ThreatIntel
from flowkit.synth.estate import Estate, default_estate
from flowkit.synth.flows import REC_COLUMNS, Table, concat, expand, status_records
from flowkit.synth.hygiene import (
    CrossAzChatter,
    ExposedDatabase,
    InsecureProtocol,
    LoggingGap,
    S3ThroughNat,
)
from flowkit.synth.incidents import Beaconing, PortScan, PortSweep, SshBruteForce
from flowkit.synth.planting import Context, Planted
from flowkit.synth.traffic import Rates, background
from flowkit.synth.writer import write_flow_logs

__all__ = ["DEFAULT_INCIDENTS", "SCALES", "Incident", "Summary", "SynthConfig", "generate"]

#: Multipliers of the background rates (incidents are not scaled).
SCALES: dict[str, float] = {"small": 1.0, "medium": 7.0, "large": 38.0}
Scale = Literal["small", "medium", "large"]


class Incident(Protocol):
    """What every planted incident provides: an ``id`` and a :meth:`plant` method."""

    @property
    def id(self) -> str:
        """The incident id written to the ground truth (``INC-01``...)."""
        ...

    def plant(self, ctx: Context, tag: int) -> Planted:
        """Return the incident's conversations and ground truth."""
        ...


DEFAULT_INCIDENTS: tuple[Incident, ...] = (
    PortScan(),
    PortSweep(),
    SshBruteForce(),
    Beaconing(),
    Exfiltration(),
    LateralMovement(),
    ThreatIntel(),
    InsecureProtocol(),
    ExposedDatabase(),
    LoggingGap(),
    S3ThroughNat(),
    CrossAzChatter(),
)


@dataclass(frozen=True)
class SynthConfig:
    """Everything the generator uses besides seed, length and scale."""

    estate: Estate = field(default_factory=default_estate)
    rates: Rates = field(default_factory=Rates)
    incidents: tuple[Incident, ...] = DEFAULT_INCIDENTS
    skipdata_per_day: float = 3.0
    skipdata_roles: tuple[str, ...] = ("alb", "web", "app")


@dataclass
class Summary:
    """What :func:`generate` wrote."""

    out_dir: str
    files: int
    records: int
    records_by_flow_log: dict[str, int]
    size: int
    incidents: list[str]


def _start(start: str | datetime) -> datetime:
    t = datetime.fromisoformat(start) if isinstance(start, str) else start
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if t.second or t.microsecond:
        raise ValueError(f"start must fall on a whole minute: {t.isoformat()}")
    return t


def _cut(rec: Table, keep: np.ndarray) -> Table:
    return {k: v[keep] for k, v in rec.items()}


def _finish(
    rec: Table,
    cfg: SynthConfig,
    gaps: list[tuple[int, int, int]],
    t0: int,
    horizon: int,
    rng: np.random.Generator,
) -> tuple[Table, list[dict[str, Any]]]:
    """Cut logging gaps, replace a few busy windows by SKIPDATA, and add NODATA windows."""
    estate = cfg.estate
    n_eni = len(estate.enis)
    minute = (rec["start"] - t0) // 60
    blocked = np.zeros((n_eni, horizon), dtype=bool)
    for eni, lo, hi in gaps:
        blocked[eni, lo:hi] = True
    rec = _cut(rec, ~blocked[rec["eni"], minute])
    minute = (rec["start"] - t0) // 60
    busy = np.zeros((n_eni, horizon), dtype=bool)
    busy[rec["eni"], minute] = True
    tagged = np.zeros((n_eni, horizon), dtype=bool)
    tagged[rec["eni"][rec["tag"] >= 0], minute[rec["tag"] >= 0]] = True
    roles = [i for i, e in enumerate(estate.enis) if e.role in cfg.skipdata_roles]
    cand = np.argwhere(busy & ~tagged & ~blocked)
    cand = cand[np.isin(cand[:, 0], roles)]
    k = min(len(cand), round(cfg.skipdata_per_day * horizon / 1440))
    pick = cand[np.sort(rng.choice(len(cand), k, replace=False))] if k else cand[:0]
    skipped = np.zeros((n_eni, horizon), dtype=bool)
    skipped[pick[:, 0], pick[:, 1]] = True
    rec = _cut(rec, ~skipped[rec["eni"], minute])
    has_log = estate.table()["flow_log"] >= 0
    idle = np.argwhere(~busy & ~blocked & has_log[:, None])
    parts = [
        rec,
        status_records(idle[:, 0], t0 + idle[:, 1] * 60, 1),
        status_records(pick[:, 0], t0 + pick[:, 1] * 60, 2),
    ]
    skipdata = [
        {
            "eni": estate.enis[e].eni_id,
            "eni_name": estate.enis[e].name,
            "start": datetime.fromtimestamp(t0 + m * 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for e, m in pick.tolist()
    ]
    return concat(parts, REC_COLUMNS), skipdata


def generate(
    out_dir: str | Path,
    *,
    seed: int = 7,
    days: float = 2.0,
    scale: Scale | float = "small",
    start: str | datetime = "2026-11-02T00:00:00+00:00",
    parquet: bool = False,
    hive: bool = False,
    config: SynthConfig | None = None,
    overwrite: bool = False,
) -> Summary:
    """Generate a synthetic estate's flow logs, ground truth and inventory into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder to write into: ``AWSLogs/...`` objects, ``ground_truth.json``, ``inventory.json``.
    seed : int
        Random seed; the same seed and parameters give byte-identical files.
    days : float
        Length of the period, from ``start`` (fractions allowed, rounded to whole minutes).
    scale : {"small", "medium", "large"} or float
        Background volume: about 0.2 M, 1 M and 5 M records for two days.
    start : str or datetime
        First minute of the period (UTC if naive; must be a whole minute).
    parquet, hive : bool
        Write ``.log.parquet`` objects instead of gzip text; use the Hive key layout.
    config : SynthConfig, optional
        Estate, background rates and planted incidents; defaults to the committed sample's.
    overwrite : bool
        Remove an existing ``AWSLogs`` folder and JSON files in ``out_dir`` first.

    Returns
    -------
    Summary
        Files, records (total and per flow log), bytes written, and the planted incident ids.

    Raises
    ------
    FileExistsError
        If ``out_dir`` already holds an ``AWSLogs`` folder and ``overwrite`` is false.
    ValueError
        On an unknown scale, a non-positive length, or a start that is not a whole minute.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from datetime import timedelta
    >>> import flowkit as fk
    >>> from flowkit.synth import SynthConfig, generate
    >>> from flowkit.synth.incidents import PortScan
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = pathlib.Path(tmp.name)
    >>> scan = PortScan(at=timedelta(minutes=20), ports=tuple(range(1, 60)))
    >>> cfg = SynthConfig(incidents=(scan,))
    >>> summary = generate(out, seed=1, days=1 / 24, config=cfg)
    >>> summary.incidents
    ['INC-01']
    >>> df = fk.read(out)
    >>> int(df[df["srcaddr"] == "185.142.236.35"]["dstport"].nunique())
    59
    >>> tmp.cleanup()
    """
    cfg = config or SynthConfig()
    if isinstance(scale, str) and scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {sorted(SCALES)}")
    mult = SCALES[scale] if isinstance(scale, str) else float(scale)
    horizon = round(days * 1440)
    if horizon <= 0:
        raise ValueError(f"days must be positive: {days}")
    t = _start(start)
    t0 = int(t.timestamp())
    out = Path(out_dir)
    if (out / "AWSLogs").exists():
        if not overwrite:
            exists = FileExistsError(f"{out / 'AWSLogs'} exists; pass overwrite=True to replace it")
            exists.filename = str(out / "AWSLogs")  # the command line names its own flag
            raise exists
        shutil.rmtree(out / "AWSLogs")
        (out / "threat_list.csv").unlink(missing_ok=True)  # a trainer's drawn estate wrote it
    seq = np.random.SeedSequence(seed)
    bg = background(
        np.random.default_rng(seq.spawn(1)[0]),
        cfg.estate,
        horizon,
        mult,
        cfg.rates,
        offset=(t0 // 60) % 1440,
    )
    planted: list[Planted] = []
    for tag, inc in enumerate(cfg.incidents):
        rng = np.random.default_rng([seed, zlib.crc32(inc.id.encode())])
        p = inc.plant(Context(rng, cfg.estate, t0, horizon), tag)
        if p.truth["records"] or p.gap is not None:
            planted.append(p)
    conv = concat([bg, *(p.conv for p in planted)])
    rec = expand(cfg.estate, conv, t0)
    del conv, bg  # the records replace them (matters at large scales)
    rec, skipdata = _finish(
        rec, cfg, [p.gap for p in planted if p.gap], t0, horizon, np.random.default_rng([seed, 1])
    )
    written = write_flow_logs(cfg.estate, rec, out, seed=seed, parquet=parquet, hive=hive)
    truth = {
        "generator": {
            "seed": seed,
            "days": days,
            "scale": scale,
            "start": t.isoformat(),
            "parquet": parquet,
            "hive": hive,
        },
        "estate": {
            "account": cfg.estate.account,
            "region": cfg.estate.region,
            "vpc_id": cfg.estate.vpc_id,
            "flow_logs": [
                {"id": f.flow_log_id, "format": " ".join(f.fields), "subnets": list(f.subnets)}
                for f in cfg.estate.flow_logs
            ],
        },
        "incidents": [p.truth for p in planted],
        "skipdata": skipdata,
    }
    for name, doc in (("ground_truth.json", truth), ("inventory.json", cfg.estate.inventory())):
        (out / name).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return Summary(
        str(out),
        len(written.files),
        int(sum(written.records.values())),
        written.records,
        written.size,
        [p.truth["id"] for p in planted],
    )
