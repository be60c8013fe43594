"""``classify_transfer``: the data-transfer dimension of every byte, counted once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from flowkit.cost.vantage import (
    NA,
    Sides,
    VantageFacts,
    bare,
    column_int64,
    flow_sides,
    present,
    text,
)
from flowkit.engine.protocol import is_dask_frame, not_on_dask
from flowkit.enrich.aws import add_aws_service
from flowkit.errors import require_columns

__all__ = ["COST_NEEDS", "COST_WHY", "DIMENSIONS", "FREE_SERVICES", "LABELS", "classify_transfer"]

#: Why the cost functions do not take Dask frames.
COST_WHY = (
    "which ENI's record counts the bytes of a packet flow (the NAT gateway's or the instance's "
    "copy, the sender's or the receiver's) is decided over the whole frame, and the records of "
    "one flow can sit in different partitions"
)

#: The priced dimensions, in display order (see ``flowkit/resources/prices.yaml``).
DIMENSIONS: tuple[str, ...] = (
    "internet_egress", "internet_ingress", "inter_az", "inter_region", "nat_gateway",
    "gateway_endpoint", "interface_endpoint", "transit_gateway", "transit_gateway_in",
    "aws_same_region", "intra_az", "unknown",
)  # fmt: skip
#: Every ``transfer`` label: the dimensions, then ``copy`` (bytes counted on another ENI's
#: record) and ``no_bytes`` (NODATA/SKIPDATA, egress REJECTed before leaving).
LABELS: tuple[str, ...] = (*DIMENSIONS, "copy", "no_bytes")
#: AWS services reached for free in the same Region (gateway endpoints exist for both).
FREE_SERVICES: tuple[str, ...] = ("S3", "DYNAMODB")


#: Columns the classification (and so the cost) of records needs.
COST_NEEDS = ("srcaddr", "dstaddr", "bytes")


def _hop(s: Sides) -> np.ndarray:
    """intra_az / inter_az / unknown for a hop between two of our ENIs."""
    known = present(s.local_az) & present(s.peer_az)
    same = known & (s.local_az == s.peer_az)
    return np.where(same, "intra_az", np.where(known, "inter_az", "unknown"))


def _public(far_service: np.ndarray, far_region: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Dimension of bytes sent to a public address (not through a NAT or endpoint)."""
    other_region = present(far_region) & present(region) & (far_region != region)
    same_free = np.isin(far_service, FREE_SERVICES) & ~other_region
    aws_elsewhere = other_region & present(far_service)
    return np.where(same_free, "aws_same_region",
                    np.where(aws_elsewhere, "inter_region", "internet_egress"))  # fmt: skip


def classify_transfer(df: pd.DataFrame, *, facts: VantageFacts | None = None) -> pd.DataFrame:
    """Label every record with the data-transfer dimension its bytes are charged under.

    Each byte is counted once, from the vantage point where AWS charges it
    (:mod:`flowkit.cost.vantage`): the NAT gateway's own records carry NAT processing (both
    directions, on the legs entering the NAT) and the onward hop (internet egress on the leg to
    the internet, the AZ hop on the leg back to the instance), and the instance-side copy of
    the same packets is a ``copy``; a Transit Gateway attachment ENI carries the bytes sent from
    the VPC to the TGW; an interface endpoint ENI carries PrivateLink processing; otherwise the
    sender's egress record counts, or the receiver's ingress record when the sender is not
    logged (internet ingress, free).

    Parameters
    ----------
    df : DataFrame
        Flow records; enriched (:func:`flowkit.enrich.enrich` with an inventory) or raw.
        Needed: addresses, ports, protocol, bytes.  Used when present: ``flow_direction``,
        ``traffic_path``, ``pkt_*``, ``az_id``/``eni_az_id``, ``next_hop_az_id``,
        ``remote_az_id``, ``interface_type``/``eni_type``, ``*_aws_service``/``*_aws_region``,
        ``region``, ``action``, ``log_status``.
    facts : VantageFacts, optional
        The merged :func:`flowkit.cost.vantage.vantage_facts` of a larger frame ``df`` is part
        of (every record of a packet flow in the same part), instead of those of ``df``.

    Returns
    -------
    DataFrame
        A new frame with the input's columns plus ``transfer`` (category, :data:`LABELS`),
        ``transfer_bytes`` (bytes counted under ``transfer``; 0 for copies), ``cross_az_bytes``
        (bytes of a NAT or endpoint hop that also crossed an AZ boundary: charged as
        ``inter_az`` on top), ``far_end`` and ``far_service`` (the packet-level address beyond
        the hop, the public one when there is one, and its AWS service), ``local_end`` (the
        capturing ENI's address), ``hop_peer`` (the other end of this hop), ``middlebox``
        (``nat_gateway``, ``vpc_endpoint``, ``transit_gateway`` or NA), ``local_az`` and
        ``peer_az``.

    Not Dask-capable: a ``TypeError`` names the alternative (see :data:`COST_WHY`).

    Notes
    -----
    Rules, first match wins: no bytes or not OK -> ``no_bytes``; egress REJECT ->
    ``no_bytes``; counted on another ENI -> ``copy``; NAT ENI: ingress -> ``nat_gateway`` (plus
    ``cross_az_bytes`` when the sender is in another AZ), egress to a public address -> as for
    a workload, egress inside -> the AZ hop; interface endpoint ENI -> ``interface_endpoint``;
    TGW ENI: ingress -> ``transit_gateway``, egress -> ``transit_gateway_in`` (free here, paid
    by the sending VPC); workload egress: ``traffic-path`` 7, or 2 to S3/DynamoDB ->
    ``gateway_endpoint``; path 5 -> ``inter_region``; path 3 (VPN) -> ``internet_egress``; to
    an internal address -> ``intra_az``/``inter_az`` (``unknown`` without both AZs); to a
    public address through a NAT that is not logged (path 1) -> ``nat_gateway``; to a public
    address -> ``aws_same_region`` (S3/DynamoDB in the Region), ``inter_region`` (an AWS
    address of another Region) or ``internet_egress``; workload ingress -> ``internet_ingress``
    from a public address, else the AZ hop.  Without ``traffic-path`` (versions 2 to 4), egress
    to a public address is taken as internet egress.  Inter-AZ hops to or from a TGW are not
    charged here.  Documentation (RFC 5737) and reserved addresses count as the internet.

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
    ...     "end action log-status az-id flow-direction traffic-path",
    ...     "5 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK "
    ...     "use1-az1 egress 1",
    ...     "5 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 500 1700000000 1700000060 ACCEPT OK "
    ...     "use1-az2 ingress -",
    ...     "5 eni-a 10.0.0.5 203.0.113.9 50001 443 6 9 900 1700000000 1700000060 ACCEPT OK "
    ...     "use1-az1 egress 8"])
    >>> out = classify_transfer(df)
    >>> out["transfer"].tolist(), out["transfer_bytes"].tolist()
    (['inter_az', 'copy', 'internet_egress'], [500, 0, 900])
    """
    require_columns(df, COST_NEEDS, "fk.classify_transfer")
    if is_dask_frame(df):
        raise not_on_dask("fk.classify_transfer", COST_WHY)
    original, df = df, bare(df)
    s = flow_sides(df, facts)
    labelled = df if "dst_aws_service" in df.columns else add_aws_service(df)
    uniq: np.ndarray = np.append(np.asarray(s.space.uniques, dtype=object), NA)
    src_public, dst_public = s.has_addr & ~s.src_internal, s.has_addr & ~s.dst_internal
    far_is_dst: np.ndarray = np.where(dst_public != src_public, dst_public, s.egress)
    far: np.ndarray = np.where(far_is_dst, s.dst, s.src)
    svc: np.ndarray = np.where(
        far_is_dst, text(labelled, "dst_aws_service"), text(labelled, "src_aws_service")
    )
    reg: np.ndarray = np.where(
        far_is_dst, text(labelled, "dst_aws_region"), text(labelled, "src_aws_region")
    )
    region = text(df, "region")
    nbytes = column_int64(df, "bytes")
    status = text(df, "log_status")
    action = text(df, "action")
    path = column_int64(df, "traffic_path")
    public = _public(svc, reg, region)
    hop = _hop(s)
    gateway = (path == 7) | ((path == 2) & np.isin(svc, ("S3", "DYNAMODB")))
    conditions = [
        (nbytes <= 0) | ~s.has_addr | ((status != "OK") & present(status)),
        s.egress & (action == "REJECT"),
        s.copy,
        (s.kind == "nat_gateway") & ~s.egress,
        (s.kind == "nat_gateway") & dst_public,
        s.kind == "nat_gateway",
        s.kind == "vpc_endpoint",
        (s.kind == "transit_gateway") & ~s.egress,
        s.kind == "transit_gateway",
        s.egress & gateway,
        s.egress & (path == 5),
        s.egress & (path == 3),
        s.egress & ~dst_public,
        s.egress & (path == 1),
        s.egress,
        src_public,
    ]
    choices: list[Any] = [
        "no_bytes", "no_bytes", "copy", "nat_gateway", public, hop, "interface_endpoint",
        "transit_gateway", "transit_gateway_in", "gateway_endpoint", "inter_region",
        "internet_egress", hop, "nat_gateway", public, "internet_ingress",
    ]  # fmt: skip
    label: np.ndarray = np.asarray(np.select(conditions, choices, default=hop), dtype=object)
    counted = ~np.isin(label, ("copy", "no_bytes"))
    middle_cross = (
        counted & np.isin(s.kind, ("nat_gateway", "vpc_endpoint")) & (label != "inter_az")
        & present(s.local_az) & present(s.peer_az) & (s.local_az != s.peer_az)
    )  # fmt: skip
    out = original.copy(deep=False)
    out["transfer"] = pd.Categorical(label, categories=list(LABELS))
    out["transfer_bytes"] = pd.array(np.where(counted, nbytes, 0), dtype="UInt64")
    out["cross_az_bytes"] = pd.array(np.where(middle_cross, nbytes, 0), dtype="UInt64")
    out["far_end"] = pd.Categorical(uniq[far])
    out["far_service"] = pd.Categorical(svc)
    out["local_end"] = pd.Categorical(uniq[s.local])
    out["hop_peer"] = pd.Categorical(uniq[s.hop_peer])
    out["middlebox"] = pd.Categorical(np.where(s.kind == "", NA, s.kind))
    out["local_az"] = pd.Categorical(s.local_az)
    out["peer_az"] = pd.Categorical(s.peer_az)
    return out
