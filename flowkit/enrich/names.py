"""Readable names: IANA service names of ports and decoded ``tcp-flags``.

The service table is the IANA Service Name and Transport Protocol Port Number Registry (tcp and
udp rows, 11,500 entries), bundled as ``flowkit/resources/iana_services.csv.gz``.
"""

from __future__ import annotations

import gzip
import io
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from flowkit.enrich.addresses import compact

__all__ = [
    "TCP_FLAG_BITS",
    "add_tcp_flag_columns",
    "add_tcp_flags_label",
    "service_categorical",
    "service_codes",
    "service_name",
    "service_table",
    "tcp_flags_label",
]

#: The flag bits VPC Flow Logs can report, in label order (ACK appears only inside SYN-ACK).
TCP_FLAG_BITS: tuple[tuple[str, int], ...] = (
    ("FIN", 1), ("SYN", 2), ("RST", 4), ("PSH", 8), ("ACK", 16), ("URG", 32), ("ECE", 64),
    ("CWR", 128),
)  # fmt: skip


@lru_cache(maxsize=1)
def service_table() -> pd.DataFrame:
    """Return the bundled IANA service-name table.

    Columns: ``port``, ``protocol`` (tcp or udp), ``service``, ``description``.

    Examples
    --------
    >>> t = service_table()
    >>> t[(t.port == 5432) & (t.protocol == "tcp")]["service"].item()
    'postgresql'
    """
    raw = resources.files("flowkit.resources").joinpath("iana_services.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pd.read_csv(  # every field as written: no NA, no number guessing but the port
        io.StringIO(body),
        dtype={"port": "int32", "protocol": "str", "service": "str", "description": "str"},
        keep_default_na=False,
        na_filter=False,
    )


@lru_cache(maxsize=1)
def service_codes() -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Per-port category codes for tcp and udp (-1 = unassigned) and the categories."""
    t = service_table()
    cats = pd.Index(sorted(set(t["service"])), dtype=object)
    codes = cats.get_indexer(t["service"])
    tcp = np.full(65536, -1, dtype=np.int32)
    udp = np.full(65536, -1, dtype=np.int32)
    is_tcp = (t["protocol"] == "tcp").to_numpy()
    ports = t["port"].to_numpy()
    tcp[ports[is_tcp]] = codes[is_tcp]
    udp[ports[~is_tcp]] = codes[~is_tcp]
    return tcp, udp, cats


@lru_cache(maxsize=1)
def _service_lookup() -> tuple[np.ndarray, pd.Index]:
    """One table of codes: tcp ports, then udp ports, then 65536 NAs (other protocols)."""
    tcp, udp, cats = service_codes()
    return np.concatenate([tcp, udp, np.full(65536, -1, np.int32)]), cats


def service_name(port: int, protocol: int = 6) -> str | None:
    """Return the IANA service name of a port (protocol 6 TCP or 17 UDP), or ``None``.

    >>> service_name(443), service_name(53, 17), service_name(49152)
    ('https', 'domain', None)
    """
    tcp, udp, cats = service_codes()
    table = tcp if protocol == 6 else udp if protocol == 17 else None
    if table is None or not 0 <= port < 65536 or table[port] < 0:
        return None
    return str(cats[table[port]])


_KIND = np.asarray([2] * 6 + [0] + [2] * 10 + [1] + [2] * 238, dtype=np.int32)  # 6 tcp, 17 udp


def service_categorical(df: pd.DataFrame, port: np.ndarray, missing: np.ndarray) -> pd.Categorical:
    """IANA names of ``port`` for the records' protocols (NA where ``missing``)."""
    table, cats = _service_lookup()
    if "protocol" in df.columns:
        kind = _KIND[df["protocol"].to_numpy(dtype=np.int32, na_value=0)]
    else:
        kind = np.full(len(port), 2, dtype=np.int32)
    kind[missing] = 2
    codes = table[(kind << 16) | port.astype(np.int32, copy=False)]
    return compact(np.asarray(cats, dtype=object), codes)  # only the names used: small codes


def tcp_flags_label(value: int) -> str:
    """Return the readable label of one ``tcp-flags`` value.

    0 is ``ACK/PSH`` (only unsupported flags, or none); SYN together with ACK is ``SYN-ACK``.

    >>> [tcp_flags_label(v) for v in (0, 1, 2, 3, 4, 18, 19, 22)]
    ['ACK/PSH', 'FIN', 'SYN', 'SYN|FIN', 'RST', 'SYN-ACK', 'SYN-ACK|FIN', 'SYN-ACK|RST']
    """
    if value == 0:
        return "ACK/PSH"
    names: list[str] = []
    if value & 18 == 18:
        names.append("SYN-ACK")
    elif value & 2:
        names.append("SYN")
    for name, bit in TCP_FLAG_BITS:
        if name == "SYN" or (name == "ACK" and value & 18 == 18):
            continue
        if value & bit:
            names.append(name)
    return "|".join(names)


@lru_cache(maxsize=1)
def _flag_labels() -> tuple[np.ndarray, pd.Index]:
    labels = [tcp_flags_label(v) for v in range(256)]
    cats = pd.Index(list(dict.fromkeys(labels)), dtype=object)
    return cats.get_indexer(pd.Index(labels, dtype=object)).astype(np.int32), cats


def add_tcp_flags_label(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``tcp_flags_label``: the flags of ``tcp_flags`` as text (``SYN``, ``SYN-ACK|FIN``...).

    NA where ``tcp_flags`` is missing ('-' in the log, or not in the format).  Returns a new
    frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"tcp_flags": pd.array([2, 18, 0, None, 3], dtype="UInt8")})
    >>> add_tcp_flags_label(df)["tcp_flags_label"].tolist()
    ['SYN', 'SYN-ACK', 'ACK/PSH', nan, 'SYN|FIN']
    """
    out = df.copy(deep=False)
    out["tcp_flags_label"] = tcp_flags_label_column(df)
    return out


def tcp_flags_label_column(df: pd.DataFrame) -> pd.Categorical:
    """The ``tcp_flags_label`` column of :func:`add_tcp_flags_label`."""
    codes, cats = _flag_labels()
    if "tcp_flags" in df.columns:
        col = df["tcp_flags"].astype("UInt8")
        row_codes = codes[col.to_numpy(dtype=np.int32, na_value=0)]
        row_codes = np.where(col.isna().to_numpy(), -1, row_codes).astype(np.int32)
    else:
        row_codes = np.full(len(df), -1, dtype=np.int32)
    return compact(np.asarray(cats, dtype=object), row_codes)


def add_tcp_flag_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Add boolean ``tcp_syn``, ``tcp_syn_ack``, ``tcp_fin``, ``tcp_rst`` (NA where not computed).

    ``tcp_syn`` is a SYN without ACK (a client opening); ``tcp_syn_ack`` is the server's answer.
    Returns a new frame; the input is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"tcp_flags": pd.array([2, 19, None], dtype="UInt8")})
    >>> out = add_tcp_flag_columns(df)
    >>> out["tcp_syn"].tolist(), out["tcp_syn_ack"].tolist(), out["tcp_fin"].tolist()
    ([True, False, <NA>], [False, True, <NA>], [False, True, <NA>])
    """
    out = df.copy(deep=False)
    col = (
        df["tcp_flags"].astype("UInt8")
        if "tcp_flags" in df
        else pd.array([None] * len(df), "UInt8")
    )
    flags = np.asarray(pd.Series(col).to_numpy(dtype=np.int64, na_value=0))
    mask = np.asarray(pd.Series(col).isna().to_numpy())
    synack = flags & 18 == 18
    values = {
        "tcp_syn": (flags & 2 == 2) & ~synack,
        "tcp_syn_ack": synack,
        "tcp_fin": flags & 1 == 1,
        "tcp_rst": flags & 4 == 4,
    }
    for name, arr in values.items():
        out[name] = pd.arrays.BooleanArray(arr, mask.copy())
    return out
