"""Estates for the Dask tests whose matching records sit in different files (partitions)."""

from __future__ import annotations

from pathlib import Path

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
HEADER = (
    "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "action log-status tcp-flags flow-direction pkt-srcaddr pkt-dstaddr"
)


def line(eni: str, src: str, dst: str, sport: int, dport: int, proto: int, nbytes: int, t: int,
         way: str, *, flags: int = 0, action: str = "ACCEPT", psrc: str = "-",
         pdst: str = "-") -> str:  # fmt: skip
    return (f"5 {eni} {src} {dst} {sport} {dport} {proto} {max(nbytes // 100, 1)} {nbytes} "
            f"{T0 + t} {T0 + t + 50} {action} OK {flags} {way} {psrc} {pdst}")  # fmt: skip


def write_split(root: Path) -> Path:
    """Write three files into ``root`` and return it; what must be matched is spread over them:

    * web (10.0.0.5, eni-web) <-> db (10.0.1.6, eni-db): the web ENI's copies in a.log, the
      db ENI's copies of the same connection in b.log;
    * a ping between web and 8.8.8.8 (equal ports: the first speaker decides who is the
      client): the reply-looking record in a.log, the earlier request in c.log;
    * app (10.0.0.7) to 203.0.113.9 through a NAT gateway (eni-nat, 10.0.2.10): the NAT's
      translated leg in b.log, its untranslated leg (to be dropped) in c.log;
    * a port scan of web from 198.18.0.7 (30 ports), half of them in a.log, half in b.log;
    * eni-web in the same hour in a.log and c.log; an idle ENI's NODATA in c.log.
    """
    scan = [line("eni-web", "198.18.0.7", "10.0.0.5", 40000, p, 6, 44, 60 + p, "ingress",
                 action="REJECT") for p in range(1, 31)]  # fmt: skip
    a = [
        line("eni-web", "10.0.0.5", "10.0.1.6", 50000, 5432, 6, 600, 0, "egress", flags=2),
        line("eni-web", "10.0.1.6", "10.0.0.5", 5432, 50000, 6, 90000, 0, "ingress", flags=18),
        line("eni-web", "10.0.0.5", "8.8.8.8", 0, 0, 1, 84, 30, "egress"),
        *scan[:15],
    ]
    b = [
        line("eni-db", "10.0.0.5", "10.0.1.6", 50000, 5432, 6, 600, 0, "ingress", flags=2),
        line("eni-db", "10.0.1.6", "10.0.0.5", 5432, 50000, 6, 90000, 0, "egress", flags=18),
        line(
            "eni-nat",
            "10.0.0.7",
            "10.0.2.10",
            51000,
            443,
            6,
            7000,
            120,
            "ingress",
            psrc="10.0.0.7",
            pdst="203.0.113.9",
        ),
        *scan[15:],
    ]
    c = [
        line("eni-web", "8.8.8.8", "10.0.0.5", 0, 0, 1, 84, 20, "ingress"),
        line("eni-nat", "10.0.2.10", "203.0.113.9", 51000, 443, 6, 7000, 120, "egress"),
        line("eni-web", "10.0.0.5", "10.0.1.6", 50001, 5432, 6, 300, 2400, "egress"),
        f"5 eni-idle - - - - - - - {T0 + 900} {T0 + 960} - NODATA - - - -",
    ]
    for name, lines in (("a", a), ("b", b), ("c", c)):
        (root / f"{name}.log").write_text("\n".join([HEADER, *lines]) + "\n")
    return root
