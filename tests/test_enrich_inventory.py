"""ENI inventory: describe-network-interfaces JSON and CSV, joined onto records."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from flowkit.enrich import add_direction, add_inventory, load_inventory

DESCRIBE = {"NetworkInterfaces": [
    {"NetworkInterfaceId": "eni-web", "SubnetId": "subnet-a", "VpcId": "vpc-1",
     "AvailabilityZone": "us-east-1a", "AvailabilityZoneId": "use1-az1",
     "PrivateIpAddress": "10.0.1.5", "InterfaceType": "interface",
     "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.5"}, {"PrivateIpAddress": "10.0.1.6"}],
     "Attachment": {"InstanceId": "i-web"}, "Groups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}],
     "TagSet": [{"Key": "Name", "Value": "web-1"}, {"Key": "Role", "Value": "web"}]},
    {"NetworkInterfaceId": "eni-nat", "SubnetId": "subnet-p", "VpcId": "vpc-1",
     "AvailabilityZoneId": "use1-az2", "PrivateIpAddress": "10.0.0.10",
     "InterfaceType": "nat_gateway", "Description": "Interface for NAT Gateway nat-1"},
    {"NetworkInterfaceId": "eni-alb", "SubnetId": "subnet-p", "VpcId": "vpc-1",
     "PrivateIpAddress": "10.0.0.20", "InterfaceType": "interface", "RequesterId": "amazon-elb",
     "Description": "ELB app/my-alb/123"},
    {"NetworkInterfaceId": "eni-vpce", "PrivateIpAddress": "10.0.0.30",
     "InterfaceType": "vpc_endpoint", "Description": "VPC Endpoint Interface vpce-1"},
]}  # fmt: skip


def test_load_inventory_from_describe_json_file(tmp_path):
    path = tmp_path / "enis.json"
    path.write_text(json.dumps(DESCRIBE))
    t = load_inventory(path).table.set_index("interface_id")
    assert t.loc["eni-web", "name"] == "web-1"
    assert t.loc["eni-web", "role"] == "web"
    assert t.loc["eni-web", "az_id"] == "use1-az1"
    assert t.loc["eni-web", "security_groups"] == "sg-1;sg-2"
    assert t.loc["eni-web", "addresses"] == "10.0.1.5;10.0.1.6"
    assert t["type"].to_dict() == {
        "eni-web": "instance",
        "eni-nat": "nat_gateway",
        "eni-alb": "load_balancer",
        "eni-vpce": "vpc_endpoint",
    }
    assert t.loc["eni-nat", "name"] == "Interface for NAT Gateway nat-1"


def test_load_inventory_from_csv(tmp_path):
    path = tmp_path / "enis.csv"
    path.write_text("interface_id,name,role,addresses\neni-1,db-1,postgres,10.0.2.5\n")
    t = load_inventory(path).table
    assert t.iloc[0][["interface_id", "name", "role"]].tolist() == ["eni-1", "db-1", "postgres"]
    assert pd.isna(t.iloc[0]["vpc_id"])


def test_load_inventory_needs_interface_id():
    with pytest.raises(ValueError, match="interface_id"):
        load_inventory(pd.DataFrame({"name": ["x"]}))


def test_add_inventory_joins_eni_and_remote_columns():
    inv = load_inventory(DESCRIBE)
    df = pd.DataFrame({
        "interface_id": pd.Categorical(["eni-web", "eni-web", "eni-zzz"]),
        "srcaddr": ["10.0.1.5", "10.0.0.10", "10.9.9.9"],
        "dstaddr": ["10.0.0.10", "10.0.1.5", "10.9.9.8"],
        "srcport": pd.array([50000, 443, 1], dtype="UInt16"),
        "dstport": pd.array([443, 50000, 2], dtype="UInt16"),
    })  # fmt: skip
    out = add_inventory(add_direction(df, inventory=inv), inv)
    assert out["eni_name"].tolist()[:2] == ["web-1", "web-1"]
    assert out["eni_type"].tolist()[0] == "instance"
    assert out["eni_az_id"].tolist()[0] == "use1-az1"
    assert out["eni_instance_id"].tolist()[0] == "i-web"
    assert out["remote_name"].tolist()[:2] == ["Interface for NAT Gateway nat-1"] * 2
    assert out["remote_az_id"].tolist()[0] == "use1-az2"
    assert out[["eni_name", "remote_name"]].iloc[2].isna().all()
    assert isinstance(out["eni_name"].dtype, pd.CategoricalDtype)
