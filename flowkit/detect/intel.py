"""Threat intelligence: any traffic with an address on a threat list, in either direction."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from flowkit.detect.common import Records, as_view, epoch_text, finding_rows, human_bytes, rows
from flowkit.detect.frame import empty_findings, evidence
from flowkit.enrich.addresses import parse_addresses
from flowkit.enrich.threat import ThreatList, example_threat_list, load_threat_list

__all__ = ["ThreatSource", "find_threat_intel", "threat_lists"]

#: A threat list: a file path, or addresses/CIDRs.
ThreatSource = str | os.PathLike[str] | Iterable[str]


def threat_lists(threat_list: ThreatSource | None = None) -> list[ThreatList]:
    """The bundled example list plus ``threat_list`` (a list file, or addresses and CIDRs).

    Examples
    --------
    >>> lists = threat_lists(["45.9.148.0/24"])
    >>> [t.table.labels_of(["45.9.148.108"]).tolist() for t in lists]
    [[None], ['threat_list']]
    """
    out = [example_threat_list()]
    if threat_list is not None:  # one meaning with fk.read: addresses, CIDRs or list files
        out.append(load_threat_list(threat_list, label="threat_list"))
    return out


def find_threat_intel(
    df: Records,
    *,
    threat_list: ThreatSource | None = None,
) -> pd.DataFrame:
    """Find traffic with a listed address: your host calling it, or it reaching your host.

    Model: every flow whose client or server is on the bundled example list
    (:func:`flowkit.enrich.threat.example_threat_list`) or on ``threat_list``; one finding per
    (client, server).  ``actor`` is the client (who opened the connection), ``target`` the
    server.  Severity: ``high`` when one of your hosts opened an accepted connection to a
    listed address (command and control, a download from a malware host: GuardDuty's
    C&CActivity and MaliciousIPCaller); ``medium`` when a listed address got an answer from
    your host; ``low`` when everything it sent was rejected (a known bad scanner at a closed
    door).  There is no threshold: one connection is enough; the list is the judgement.

    Parameters
    ----------
    df : DataFrame or View
        Flow records.
    threat_list : path or iterable of str, optional
        A list file (one address or CIDR a line, ``#`` comments; or CSV with a ``network``
        column) or the addresses/CIDRs themselves, added to the bundled example list.

    Returns
    -------
    DataFrame
        Findings, ``finding == "threat_intel"``; ``evidence["label"]`` is the list's label.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 10.0.1.5 45.9.148.108 40000 443 6 9 900 "
    ...                      "1700000000 1700000030 ACCEPT OK"])
    >>> out = find_threat_intel(df, threat_list=["45.9.148.0/24"])
    >>> out[["severity", "actor", "target", "dstport"]].to_dict("records")
    [{'severity': 'high', 'actor': '10.0.1.5', 'target': '45.9.148.108', 'dstport': 443}]
    """
    view = as_view(df)
    parsed = parse_addresses(view.addresses)
    label = np.full(len(view.addresses), None, dtype=object)
    for tl in threat_lists(threat_list):
        hit = tl.table.lookup(parsed)
        names = np.asarray([*tl.table.labels, None], dtype=object)[hit]
        label = np.where(pd.isna(label), names, label)
    listed = pd.notna(label)
    if not listed.any():
        return empty_findings()
    conn = view.conn()
    cli, srv = conn["cli"].to_numpy(), conn["srv"].to_numpy()
    c = conn[listed[cli] | listed[srv]]
    if c.empty:
        return empty_findings()
    c = c.assign(pk=c["rq_p"] + c["rs_p"], by=c["rq_b"] + c["rs_b"],
                 ok=~c["rejected"] & (c["rs_p"] > 0))  # fmt: skip
    g = c.groupby(["cli", "srv"], sort=True).agg(
        first=("t", "min"), last=("t_end", "max"), flows=("t", "size"), packets=("pk", "sum"),
        nbytes=("by", "sum"), rejected=("rejected", "sum"), answered=("ok", "sum"),
        nports=("sport", "nunique"), port=("sport", "max"),
    ).reset_index()  # fmt: skip
    gc, gs = g["cli"].to_numpy(), g["srv"].to_numpy()
    we_called = view.internal[gc] & listed[gs] & (g["rejected"] < g["flows"]).to_numpy()
    sev = np.where(we_called, "high", np.where(g["answered"] > 0, "medium", "low"))
    actors, targets = view.addresses[gc], view.addresses[gs]
    summaries, evs = [], []
    for row, a, t in zip(rows(g), actors, targets, strict=True):
        bad = t if listed[row.srv] else a
        lab = label[row.srv] if listed[row.srv] else label[row.cli]
        summaries.append(
            f"{a} opened {row.flows} connections to {t} from {epoch_text(row.first)} "
            f"({human_bytes(row.nbytes)}, {row.rejected} rejected); {bad} is listed as "
            f"'{lab}'."
        )
        evs.append(evidence(listed_address=bad, label=str(lab), connections=row.flows,
                            rejected=row.rejected, answered=row.answered))  # fmt: skip
    return finding_rows(
        "threat_intel", severity=sev, actor=actors, target=targets,
        dstport=np.where(g["nports"] == 1, g["port"], np.nan), first_seen=g["first"],
        last_seen=g["last"], flows=g["flows"], packets=g["packets"], nbytes=g["nbytes"],
        summary=summaries, evidence=evs,
    )  # fmt: skip
