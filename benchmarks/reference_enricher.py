"""The reference enrichment of issue 17 item 3: the floor ``fk.read()``'s enrichment is measured
against.

Kept out of the package and short on purpose.  It adds the 19 columns ``fk.read()`` adds to a
default-format frame, with the same dtypes, each computed once per distinct value (address,
port) and spread to the rows by codes, as the issue suggests; but with the simplest model that
could fill them: an address is inside when it is not public; the local end is the inside one,
else (both inside) the ENI's most-voted address; the client is the end on the higher port rank
(ephemeral above registered above well-known), the lower port on a tie.  No flags, REJECT, ICMP
or frame-wide orientation rules, no NAT or middlebox handling, no scope other than private or
public: it does less than flowkit, so its time is a floor, not a rival.

    python benchmarks/reference_enricher.py one.log.gz
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from flowkit.enrich import ip_ranges
from flowkit.enrich.addresses import parse_addresses
from flowkit.enrich.names import service_name

_RANK = np.r_[np.full(1024, 0), np.full(49152 - 1024, 1), np.full(65536 - 49152, 2)]


def _cat(codes: np.ndarray, names: pd.Index) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=names, validate=False)


def _ports(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.uint16), missing)


def enrich(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with the 19 columns ``fk.read()`` adds, by the simplest model (see above)."""
    s_cat, d_cat = df["srcaddr"].cat, df["dstaddr"].cat
    names = pd.Index(pd.unique(np.r_[s_cat.categories, d_cat.categories]), dtype="str")
    s = np.append(names.get_indexer(s_cat.categories), -1).astype(np.int32)[s_cat.codes]
    d = np.append(names.get_indexer(d_cat.categories), -1).astype(np.int32)[d_cat.codes]
    parsed = parse_addresses(names)
    ranges = ip_ranges()
    hit = np.append(ranges.table.lookup(parsed), -1)  # per distinct address
    svc = ranges.services.get_indexer(pd.Index([p[0] for p in ranges.table.labels], dtype=object))
    reg = ranges.regions.get_indexer(pd.Index([p[1] for p in ranges.table.labels], dtype=object))
    public = np.append(np.array([not a.startswith(("10.", "192.168.", "172.")) for a in names]),
                       False)  # fmt: skip
    inside = np.append(~public[:-1], False)
    new: dict[str, object] = {}
    start, end = df["start"].to_numpy(dtype="datetime64[s]"), df["end"].to_numpy("datetime64[s]")
    new["duration"] = pd.array((end - start).astype(np.int32), dtype="Int32")
    new["tcp_flags_label"] = _cat(np.full(len(df), -1, np.int8), pd.Index(["ACK/PSH"]))
    scopes = pd.Index(["private", "public"], dtype=object)
    for side, codes in (("src", s), ("dst", d)):
        new[f"{side}_scope"] = _cat(np.where(codes >= 0, public[codes], -1).astype(np.int8), scopes)
    for side, codes in (("src", s), ("dst", d)):
        h = hit[codes]
        new[f"{side}_aws_service"] = _cat(
            np.where(h >= 0, np.append(svc, -1)[h], -1), ranges.services
        )
        new[f"{side}_aws_region"] = _cat(
            np.where(h >= 0, np.append(reg, -1)[h], -1), ranges.regions
        )
    i_s, i_d = inside[s], inside[d]
    pair = np.array([3, 0, 1, 2], dtype=np.int8)[i_s.view(np.int8) * 2 + i_d.view(np.int8)]
    new["direction"] = _cat(pair, pd.Index(["inbound", "outbound", "internal", "external"]))
    eni = df["interface_id"].cat.codes.to_numpy().astype(np.int64) * len(names)
    size = (int(eni.max()) + len(names)) if len(eni) else 0
    votes = np.bincount(eni + s, minlength=size) + np.bincount(eni + d, minlength=size)
    votes = votes.reshape(-1, len(names))
    eni //= len(names)
    own = votes.argmax(axis=1)[eni]  # the ENI's most-voted address
    local_src = np.where(i_s != i_d, i_s, s == own)
    local, remote = np.where(local_src, s, d), np.where(local_src, d, s)
    sp, dp = (
        df["srcport"].to_numpy(np.int32, na_value=0),
        df["dstport"].to_numpy(np.int32, na_value=0),
    )
    na = df["srcport"].isna().to_numpy() | df["dstport"].isna().to_numpy()
    new["local_addr"], new["remote_addr"] = _cat(local, names), _cat(remote, names)
    new["local_port"] = _ports(np.where(local_src, sp, dp), na)
    new["remote_port"] = _ports(np.where(local_src, dp, sp), na)
    client_src = (_RANK[sp] > _RANK[dp]) | ((_RANK[sp] == _RANK[dp]) & (sp > dp))
    port = np.where(client_src, dp, sp)
    new["service_port"] = _ports(port, na)
    new["local_role"] = _cat(
        (local_src != client_src).view(np.int8), pd.Index(["client", "server"])
    )
    new["client_addr"] = _cat(np.where(client_src, s, d), names)
    new["server_addr"] = _cat(np.where(client_src, d, s), names)
    new["orient_rule"] = _cat(np.where(na, -1, 0).astype(np.int8), pd.Index(["ports"]))
    names_of_port = [service_name(p, 6) or "" for p in range(65536)]  # a table, made once
    labels = pd.Index(pd.unique(np.array(names_of_port, dtype=object)))
    new["service"] = _cat(labels.get_indexer(names_of_port)[port], labels)
    return pd.concat([df, pd.DataFrame(new, index=df.index, copy=False)], axis=1)


if __name__ == "__main__":
    from reference_loader import load

    frame = enrich(load(sys.argv[1]))
    print(frame.dtypes, len(frame), frame.memory_usage(deep=True).sum() / len(frame), sep="\n")
