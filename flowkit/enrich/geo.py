"""Country and network (ASN, organisation) of public addresses, from MaxMind-format databases.

Optional: needs the ``maxminddb`` package (``pip install flowkit[geo]``).  Works with GeoLite2
or DB-IP country, city and ASN ``.mmdb`` files.  :func:`default_geo_db` finds the old (2018) but
real GeoLite2-City database shipped by the ``maxminddb-geolite2`` package, when installed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich.aws import effective_space
from flowkit.enrich.scope import SCOPES, scope_codes

__all__ = ["add_geo", "default_geo_db"]

PathLike = str | os.PathLike[str]


def default_geo_db() -> str | None:
    """Path of the GeoLite2-City database of ``maxminddb-geolite2``, or ``None`` if absent.

    >>> path = default_geo_db()
    >>> path is None or path.endswith(".mmdb")
    True
    """
    try:
        from _maxminddb_geolite2 import geolite2_database  # type: ignore[import-not-found]
    except ImportError:
        return None
    return str(geolite2_database())


def _lookup(paths: Iterable[PathLike], addresses: np.ndarray) -> dict[str, np.ndarray]:
    import maxminddb

    n = len(addresses)
    country = np.full(n, None, dtype=object)
    asn = np.zeros(n, dtype=np.int64)
    asn_na = np.ones(n, dtype=bool)
    org = np.full(n, None, dtype=object)
    for path in paths:
        with maxminddb.open_database(os.fspath(path)) as reader:
            for i, addr in enumerate(addresses):
                rec: Any = reader.get(str(addr))
                if not isinstance(rec, dict):
                    continue
                iso = (rec.get("country") or rec.get("registered_country") or {}).get("iso_code")
                if iso is None and isinstance(rec.get("country_code"), str):
                    iso = rec["country_code"]
                if iso and country[i] is None:
                    country[i] = iso
                number = rec.get("autonomous_system_number")
                if number is not None and asn_na[i]:
                    asn[i], asn_na[i] = int(number), False
                    org[i] = rec.get("autonomous_system_organization")
    return {"country": country, "asn": asn, "asn_na": asn_na, "org": org}


def add_geo(df: pd.DataFrame, geo_db: PathLike | Iterable[PathLike]) -> pd.DataFrame:
    """Add ``src_country``, ``dst_country`` (ISO code), ``src_asn``, ``dst_asn`` (UInt32) and
    ``src_as_org``, ``dst_as_org`` for public packet-level addresses.

    Parameters
    ----------
    df : DataFrame
        Flow records.
    geo_db : path or list of paths
        MaxMind-format databases: a country or city one and/or an ASN one; for each address
        the first database that knows a field gives it.

    Notes
    -----
    Each distinct public address is looked up once; private and special addresses get NA.
    Returns a new frame; the input is not changed.

    Raises
    ------
    ImportError
        If ``maxminddb`` is not installed.

    Examples
    --------
    >>> import pandas as pd
    >>> path = default_geo_db()
    >>> df = pd.DataFrame({"srcaddr": ["10.0.0.5"], "dstaddr": ["8.8.8.8"]})
    >>> out = add_geo(df, path) if path else df.assign(dst_country=["US"])
    >>> out["dst_country"].tolist()
    ['US']
    """
    paths = [geo_db] if isinstance(geo_db, str | os.PathLike) else list(geo_db)
    space, src, dst = effective_space(df)
    public = np.flatnonzero(scope_codes(space) == SCOPES.index("public"))
    found = _lookup(paths, np.asarray(space.uniques, dtype=object)[public])
    nu = len(space.uniques)
    out = df.copy(deep=False)
    country = np.full(nu, None, dtype=object)
    country[public] = found["country"]
    cats = pd.Index(sorted({c for c in found["country"] if c}), dtype=object)
    ccode = np.append(cats.get_indexer(country), -1).astype(np.int32)
    asn = np.zeros(nu, dtype=np.int64)
    asn[public] = found["asn"]
    asn_na = np.ones(nu, dtype=bool)
    asn_na[public] = found["asn_na"]
    org = np.full(nu, None, dtype=object)
    org[public] = found["org"]
    orgs = pd.Index(sorted({o for o in found["org"] if o}), dtype=object)
    ocode = np.append(orgs.get_indexer(org), -1).astype(np.int32)
    for side, idx in (("src", src), ("dst", dst)):
        codes = space.codes[idx]
        out[f"{side}_country"] = pd.Categorical.from_codes(
            ccode[codes], categories=cats, validate=False
        )
        out[f"{side}_asn"] = pd.arrays.IntegerArray(
            np.append(asn, 0)[codes].astype(np.uint32), np.append(asn_na, True)[codes]
        )
        out[f"{side}_as_org"] = pd.Categorical.from_codes(
            ocode[codes], categories=orgs, validate=False
        )
    return out
