"""Address scopes, IPv4 and IPv6 (flowkit.enrich.scope) and the interval machinery."""

from __future__ import annotations

import ipaddress

import numpy as np
import pandas as pd
import pytest

from flowkit.enrich import add_scope
from flowkit.enrich.addresses import AddressSpace, IntervalTable, parse_addresses

CASES = {
    "10.1.2.3": "private", "172.16.0.1": "private", "172.31.255.255": "private",
    "172.32.0.1": "public", "192.168.10.1": "private", "100.64.0.1": "shared",
    "100.127.255.254": "shared", "100.128.0.1": "public", "127.0.0.1": "loopback",
    "169.254.169.254": "link-local", "224.0.0.251": "multicast", "239.1.1.1": "multicast",
    "192.0.2.10": "documentation", "198.51.100.7": "documentation",
    "203.0.113.9": "documentation", "0.0.0.0": "reserved", "255.255.255.255": "reserved",
    "240.0.0.1": "reserved", "198.18.0.1": "reserved", "52.216.8.1": "public",
    "8.8.8.8": "public", "::1": "loopback", "fe80::1": "link-local", "fd12:3456::1": "unique-local",
    "fc00::1": "unique-local", "ff02::1": "multicast", "2001:db8::1": "documentation",
    "2600:1f18::1": "public", "2a00:1450::1": "public", "::": "reserved",
}  # fmt: skip


def test_add_scope_every_scope_v4_and_v6():
    addrs = list(CASES)
    df = pd.DataFrame({"srcaddr": addrs, "dstaddr": addrs[::-1]})
    out = add_scope(df)
    assert out["src_scope"].tolist() == list(CASES.values())
    assert out["dst_scope"].tolist() == list(CASES.values())[::-1]
    assert isinstance(out["src_scope"].dtype, pd.CategoricalDtype)
    assert list(df.columns) == ["srcaddr", "dstaddr"]


def test_add_scope_pkt_columns_and_missing_addresses():
    df = pd.DataFrame({
        "srcaddr": pd.Categorical(["10.0.0.5", None]),
        "dstaddr": pd.Categorical(["10.0.0.6", None]),
        "pkt_srcaddr": pd.Categorical(["203.0.113.5", None]),
        "pkt_dstaddr": pd.Categorical(["10.0.0.6", None]),
    })  # fmt: skip
    out = add_scope(df)
    assert out["pkt_src_scope"].tolist()[0] == "documentation"
    assert out["pkt_dst_scope"].tolist()[0] == "private"
    assert out[["src_scope", "dst_scope", "pkt_src_scope"]].iloc[1].isna().all()


def test_parse_addresses_rejects_bad_values():
    p = parse_addresses(["1.2.3.4", "1.2.3.256", "1.2.3", "::ffff:1.2.3.4", "zz::1", "", None])
    assert p.is_v4.tolist() == [True, False, False, False, False, False, False]
    assert p.is_v6.tolist() == [False, False, False, True, False, False, False]


def test_interval_table_matches_brute_force_longest_prefix():
    rng = np.random.default_rng(3)
    nets = []
    for _ in range(300):
        plen = int(rng.integers(8, 30))
        addr = int(rng.integers(0, 2**32))
        nets.append(ipaddress.ip_network((addr >> (32 - plen) << (32 - plen), plen)))
    nets += [ipaddress.ip_network("2600:1f00::/24"), ipaddress.ip_network("2600:1f18::/33")]
    labels = [str(n) for n in nets]
    table = IntervalTable.from_networks([(str(n), i) for i, n in enumerate(nets)], labels)
    probes = [str(ipaddress.IPv4Address(int(x))) for x in rng.integers(0, 2**32, 3000)]
    probes += [str(n.network_address) for n in nets] + [str(n.broadcast_address) for n in nets]
    probes += ["2600:1f18::5", "2600:1f18:8000::1", "2600:1fff::1", "2001:db8::1"]
    got = table.labels_of(probes).tolist()
    for probe, label in zip(probes, got, strict=True):
        ip = ipaddress.ip_address(probe)
        best = max((n for n in nets if ip.version == n.version and ip in n),
                   key=lambda n: n.prefixlen, default=None)  # fmt: skip
        assert label == (str(best) if best else None), probe


def test_interval_table_same_prefix_lowest_rank_wins():
    rows = [("52.216.0.0/15", 0, 1), ("52.216.0.0/15", 1, 0)]
    table = IntervalTable.from_networks(rows, ["AMAZON", "S3"])
    assert table.labels_of(["52.217.1.1"]).tolist() == ["S3"]


def test_interval_table_rejects_bad_cidr():
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        IntervalTable.from_networks([("10.0.0.0/33", 0)], ["x"])


def test_address_space_codes_compare_across_columns():
    a = pd.Series(pd.Categorical(["10.0.0.1", "10.0.0.2", None]))
    b = pd.Series(["10.0.0.2", "10.0.0.1", "10.0.0.1"])
    space = AddressSpace.of([a, b])
    assert space.codes[0][0] == space.codes[1][1]
    assert space.codes[0][1] == space.codes[1][0]
    assert space.codes[0][2] == -1


ODD_CIDRS = [
    "10.0.0.5/8", "0.0.0.0/0", "255.255.255.255/32", "::/0", "::1/128", "10.0.0.0/255.0.0.0",
    "010.0.0.0/8", "10.0.0.256/8", "10.0.0.0/33", "1.2.3.4/08", " 10.1.0.0/16 ",
    "fe80::1%eth0/64", "::ffff:1.2.3.4/96", "1::2::3/64", "12345::/16", "2001:db8::/129", "abc",
    "10.0.0.0", "2001:db8::", "1.2.3/24", "2001:0db8:0000:0000:0000:0000:0000:0000/32", "",
]  # fmt: skip


def _by_ipaddress(cidr: str) -> tuple[int, int, int] | str:
    import ipaddress

    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return "ValueError"
    return net.version, int(net.network_address), int(net.broadcast_address)


def test_network_bounds_are_ipaddress_s_for_every_aws_prefix_and_odd_text() -> None:
    import gzip
    import json
    from importlib import resources

    from flowkit.enrich.addresses import network_bounds

    raw = resources.files("flowkit.resources").joinpath("ip-ranges.json.gz").read_bytes()
    doc = json.loads(gzip.decompress(raw))
    cidrs = [p["ip_prefix"] for p in doc["prefixes"]] + [
        p["ipv6_prefix"] for p in doc["ipv6_prefixes"]
    ]
    for cidr in [*cidrs, *ODD_CIDRS]:
        try:
            got: tuple[int, int, int] | str = network_bounds(cidr)
        except ValueError:
            got = "ValueError"
        assert got == _by_ipaddress(cidr), cidr
