"""The detections' view of flow records: one row per directed flow, client and server known.

Every detection reads the same compact table, built once by :func:`build_view`:

* **Effective addresses**: ``pkt_srcaddr``/``pkt_dstaddr`` when present, else
  ``srcaddr``/``dstaddr``, so traffic through a NAT gateway is attributed to the instance
  behind it.  On an interface that translates addresses (:mod:`flowkit.enrich.middlebox`:
  any record with ``pkt_*`` different from ``srcaddr``/``dstaddr``, a NAT gateway), the
  untranslated legs (NAT address to the internet) are dropped: the translated legs on the same
  interface carry the same connection with the real instance address.
* **Orientation**: the client (initiator) and server of each record are the enrichment's
  (``client_addr``, ``orient_rule``) when the frame has them, else those of the same one
  orientation model (:mod:`flowkit.enrich.orientation`: tcp-flags, a REJECT, ICMP types,
  ports, then the frame's evidence: one-sided conversations, the first speaker, the network
  edge, fan-in).  A record no rule orients takes the lower address as client, so both
  directions of its conversation meet.  ``req`` is True on the client-to-server record.
* **De-duplication**: a connection seen on two ENIs (both ends of east-west traffic, or the
  instance and the NAT gateway) is one flow: records with the same client, server, ports,
  protocol, direction and capture minute collapse to one, keeping the largest counters and the
  REJECT if either ENI rejected it.  Counts of distinct ports, hosts and client ports are
  unaffected by duplicates in any case.

Addresses are integer codes into :attr:`View.addresses` (the records' addresses sorted as
text); per-address facts (``internal``: :func:`flowkit.enrich.scope.inside`, ``aws``) are
arrays over those codes.  Rows are sorted
by minute, then by a hash of the flow's values, so the view is the same whatever the engine
(pandas, or Dask with any partitioning) or the order of the input.

Examples
--------
>>> import flowkit as fk
>>> df = fk.parse_lines([
...     "2 1 eni-a 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK",
...     "2 1 eni-b 10.0.1.5 10.0.2.9 40000 22 6 5 400 1700000000 1700000030 ACCEPT OK",
...     "2 1 eni-b 10.0.2.9 10.0.1.5 22 40000 6 4 900 1700000000 1700000030 ACCEPT OK"])
>>> v = build_view(df)
>>> len(v.rec), v.name(v.rec["cli"]).tolist(), sorted(v.rec["req"].tolist())
(2, ['10.0.1.5', '10.0.1.5'], [False, True])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from flowkit.detect.view_parts import ViewPart, view_finish, view_part
from flowkit.detect.view_table import View
from flowkit.engine.protocol import is_dask_frame, run
from flowkit.enrich.facts import DirectionFacts
from flowkit.enrich.sides import SIDE_COLUMNS
from flowkit.errors import require_columns
from flowkit.perf.frames import settled_direction_facts

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["VIEW_NEEDS", "View", "build_view"]


#: Columns the detections' view needs (the others have defaults: see the module notes).
VIEW_NEEDS = ("srcaddr", "dstaddr", "start", "end")


def build_view(df: pd.DataFrame | dd.DataFrame) -> View:
    """Build the detections' view of flow records (see the module docstring for the rules).

    Dask-capable: a Dask DataFrame gives the same view, from one
    :func:`~flowkit.detect.view_parts.view_part` per partition (one pass over the files)
    finished by :func:`~flowkit.detect.view_parts.view_finish`, as the pandas frame's one part.

    Parameters
    ----------
    df : DataFrame or dask.dataframe.DataFrame
        Flow records as returned by :func:`flowkit.read` (raw or enriched); needs at least
        ``srcaddr``, ``dstaddr``, ``srcport``, ``dstport``, ``protocol``, ``packets``,
        ``bytes``, ``start``, ``end``; uses ``action``, ``tcp_flags``, ``pkt_*`` and
        ``interface_id`` when present.  NODATA/SKIPDATA records are ignored.

    Returns
    -------
    View
        The records as integer columns; the input is not changed.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines(["2 1 eni-a 203.0.113.9 10.0.1.5 51000 443 6 3 180 "
    ...                      "1700000000 1700000010 REJECT OK"])
    >>> v = build_view(df)
    >>> v.rec[["cport", "sport", "accept"]].to_dict("records")
    [{'cport': 51000, 'sport': 443, 'accept': False}]
    >>> v.addresses.tolist(), v.internal.tolist(), v.name(v.rec["cli"]).tolist()
    (['10.0.1.5', '203.0.113.9'], [True, False], ['203.0.113.9'])
    """
    require_columns(df, VIEW_NEEDS, "flowkit.detect.build_view (the detections)")
    if is_dask_frame(df):  # the parts of an enriched frame orient with its columns; a raw
        # frame's with the facts of the whole frame (one more pass, unless it carries them)
        has_sides = set(SIDE_COLUMNS) <= set(df.columns)
        facts = None if has_sides else settled_direction_facts(df)
        return run(df, _view_part, view_finish, facts)
    return view_finish([view_part(df, collapse=False)])


def _view_part(df: pd.DataFrame, facts: DirectionFacts | None) -> ViewPart:
    return view_part(df, facts=facts)
