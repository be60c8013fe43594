"""Country and ASN from MaxMind-format databases (optional maxminddb)."""

from __future__ import annotations

import pandas as pd
import pytest

from flowkit.enrich import add_geo, default_geo_db

mmdb_writer = pytest.importorskip("mmdb_writer")
netaddr = pytest.importorskip("netaddr")


@pytest.fixture
def dbs(tmp_path):
    country = mmdb_writer.MMDBWriter(ip_version=6, ipv4_compatible=True,
                                     database_type="GeoLite2-Country")  # fmt: skip
    country.insert_network(netaddr.IPSet(["52.216.0.0/15"]), {"country": {"iso_code": "US"}})
    country.insert_network(netaddr.IPSet(["45.9.148.0/24"]), {"country": {"iso_code": "NL"}})
    asn = mmdb_writer.MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN")
    asn.insert_network(netaddr.IPSet(["52.216.0.0/15"]),
                       {"autonomous_system_number": 16509,
                        "autonomous_system_organization": "AMAZON-02"})  # fmt: skip
    paths = [tmp_path / "country.mmdb", tmp_path / "asn.mmdb"]
    country.to_db_file(str(paths[0]))
    asn.to_db_file(str(paths[1]))
    return paths


def test_add_geo_country_and_asn_for_public_addresses(dbs):
    df = pd.DataFrame({"srcaddr": ["10.0.0.5", "45.9.148.108", "10.0.0.5"],
                       "dstaddr": ["52.216.8.1", "10.0.0.5", "9.9.9.9"]})  # fmt: skip
    out = add_geo(df, dbs)
    assert out["dst_country"].tolist()[0] == "US"
    assert out["src_country"].tolist()[1] == "NL"
    assert out["dst_asn"].tolist()[0] == 16509
    assert out["dst_as_org"].tolist()[0] == "AMAZON-02"
    assert out["src_country"].isna().tolist() == [True, False, True]
    assert out["dst_asn"].isna().tolist() == [False, True, True]


def test_default_geo_db_is_the_packaged_geolite2():
    path = default_geo_db()
    if path is None:
        pytest.skip("maxminddb-geolite2 is not installed")
    out = add_geo(pd.DataFrame({"srcaddr": ["10.0.0.1"], "dstaddr": ["8.8.8.8"]}), path)
    assert out["dst_country"].tolist() == ["US"]
