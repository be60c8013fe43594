"""Your estate: an ENI inventory (name, role, instance, subnet, AZ, VPC, type, security groups).

Load it from the JSON of ``aws ec2 describe-network-interfaces`` or from a simple CSV, then join
it onto records with :func:`add_inventory`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowkit.errors import FileFormatError
from flowkit.sources.text_files import item_line, read_json, read_text

__all__ = ["INVENTORY_COLUMNS", "Inventory", "add_inventory", "load_inventory"]

PathLike = str | os.PathLike[str]

#: Columns of an inventory table, one row per ENI; ``addresses`` is ``;``-separated.
INVENTORY_COLUMNS: tuple[str, ...] = (
    "interface_id", "name", "role", "instance_id", "subnet_id", "az_id", "vpc_id", "type",
    "security_groups", "addresses",
)  # fmt: skip
#: Record columns added by :func:`add_inventory`, from the inventory column of the same suffix.
ENI_COLUMNS: dict[str, str] = {
    "eni_name": "name", "eni_role": "role", "eni_instance_id": "instance_id",
    "eni_subnet_id": "subnet_id", "eni_az_id": "az_id", "eni_vpc_id": "vpc_id",
    "eni_type": "type", "eni_security_groups": "security_groups",
}  # fmt: skip
_TYPES = {
    "natGateway": "nat_gateway", "nat_gateway": "nat_gateway",
    "network_load_balancer": "load_balancer", "gateway_load_balancer": "load_balancer",
    "load_balancer": "load_balancer", "vpc_endpoint": "vpc_endpoint",
    "gateway_load_balancer_endpoint": "vpc_endpoint", "transit_gateway": "transit_gateway",
    "lambda": "lambda", "efa": "instance", "trunk": "instance", "branch": "instance",
}  # fmt: skip


@dataclass(frozen=True)
class Inventory:
    """ENIs of your estate: :attr:`table` has :data:`INVENTORY_COLUMNS`, one row per ENI."""

    table: pd.DataFrame

    def address_table(self) -> pd.DataFrame:
        """One row per (address, ENI): ``address``, ``interface_id``."""
        t = self.table[["interface_id", "addresses"]].copy()
        t["address"] = t["addresses"].fillna("").astype(str).str.split(";")
        t = t.explode("address")
        t = t[t["address"].str.len() > 0]
        return t[["address", "interface_id"]].drop_duplicates("address").reset_index(drop=True)


def _eni_type(eni: Mapping[str, Any]) -> str:
    kind = str(eni.get("InterfaceType") or "interface")
    desc = str(eni.get("Description") or "")
    if kind in _TYPES:
        return _TYPES[kind]
    if desc.startswith("Interface for NAT Gateway"):
        return "nat_gateway"
    if desc.startswith("ELB ") or eni.get("RequesterId") == "amazon-elb":
        return "load_balancer"
    if desc.startswith("VPC Endpoint Interface"):
        return "vpc_endpoint"
    if desc.startswith("Network Interface for Transit Gateway"):
        return "transit_gateway"
    if (eni.get("Attachment") or {}).get("InstanceId"):
        return "instance"
    return kind


def _from_describe(enis: Iterable[Mapping[str, Any]], role_tag: str) -> pd.DataFrame:
    rows = []
    for eni in enis:
        tags = {t.get("Key"): t.get("Value") for t in eni.get("TagSet") or eni.get("Tags") or []}
        addrs = [p.get("PrivateIpAddress") for p in eni.get("PrivateIpAddresses") or []]
        addrs = [eni.get("PrivateIpAddress"), *addrs]
        addrs += [p.get("Ipv6Address") for p in eni.get("Ipv6Addresses") or []]
        rows.append({
            "interface_id": eni.get("NetworkInterfaceId"),
            "name": tags.get("Name") or eni.get("Description") or None,
            "role": tags.get(role_tag),
            "instance_id": (eni.get("Attachment") or {}).get("InstanceId"),
            "subnet_id": eni.get("SubnetId"),
            "az_id": eni.get("AvailabilityZoneId") or eni.get("AvailabilityZone"),
            "vpc_id": eni.get("VpcId"),
            "type": _eni_type(eni),
            "security_groups": ";".join(g.get("GroupId", "") for g in eni.get("Groups") or []),
            "addresses": ";".join(dict.fromkeys(a for a in addrs if a)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS))


def _enis(doc: Any, file: str, text: str) -> list[Mapping[str, Any]]:
    """The ENI objects of describe-network-interfaces output; a bad entry raises with its line."""
    enis = doc.get("NetworkInterfaces", []) if isinstance(doc, Mapping) else doc
    if not isinstance(enis, list):
        raise FileFormatError(file, 1, "NetworkInterfaces is not a list")
    for i, eni in enumerate(enis):
        if not isinstance(eni, Mapping):
            line = item_line(text, "NetworkInterfaces", i) if text else 0
            raise FileFormatError(file, line, f"NetworkInterfaces[{i}] is not an object")
    return enis


def _read_csv(text: str, file: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        said = str(exc).strip()
        found = re.search(r"line (\d+)", said)
        raise FileFormatError(
            file, int(found[1]) if found else 0, f"not valid CSV: {said}"
        ) from None
    return table.replace("", None)


def load_inventory(
    source: PathLike | pd.DataFrame | Mapping[str, Any], *, role_tag: str = "Role"
) -> Inventory:
    """Load an ENI inventory.

    Parameters
    ----------
    source : path, DataFrame or dict
        The JSON output of ``aws ec2 describe-network-interfaces`` (``{"NetworkInterfaces":
        [...]}``) as a file or a parsed dict; or a CSV file / DataFrame with an
        ``interface_id`` column and any of ``name``, ``role``, ``instance_id``, ``subnet_id``,
        ``az_id``, ``vpc_id``, ``type``, ``security_groups``, ``addresses`` (``;``-separated).
    role_tag : str
        Tag key read as the ENI's role in describe-network-interfaces output.

    Raises
    ------
    FileFormatError
        If the file is not UTF-8, not valid JSON or CSV, an ENI entry is not an object, or
        there is no ``interface_id`` column (with the file and the line).

    Notes
    -----
    ``name`` is the ``Name`` tag (else the description); ``type`` is ``instance``,
    ``nat_gateway``, ``load_balancer``, ``vpc_endpoint``, ``transit_gateway``, ``lambda``...
    (from ``InterfaceType`` and the AWS description conventions).  ``az_id`` is
    ``AvailabilityZoneId`` when the output has it, else the AZ name.

    Examples
    --------
    >>> inv = load_inventory({"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
    ...     "SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZoneId": "use1-az1",
    ...     "PrivateIpAddress": "10.0.1.5", "Attachment": {"InstanceId": "i-1"},
    ...     "TagSet": [{"Key": "Name", "Value": "web-1"}, {"Key": "Role", "Value": "web"}],
    ...     "Groups": [{"GroupId": "sg-1"}]}]})
    >>> inv.table[["name", "role", "type", "addresses"]].to_dict("records")
    [{'name': 'web-1', 'role': 'web', 'type': 'instance', 'addresses': '10.0.1.5'}]
    """
    file = "<DataFrame>" if isinstance(source, pd.DataFrame) else "<dict>"
    if isinstance(source, pd.DataFrame):
        table = source.copy()
    elif isinstance(source, Mapping):
        table = _from_describe(_enis(source, file, ""), role_tag)
    else:
        file = os.fspath(source)
        text = read_text(file)
        if text.lstrip().startswith(("{", "[")):
            doc, _ = read_json(file)
            table = _from_describe(_enis(doc, file, text), role_tag)
        else:
            table = _read_csv(text, file)
    if "interface_id" not in table.columns:
        raise FileFormatError(file, 1, "an inventory needs an 'interface_id' column")
    for col in INVENTORY_COLUMNS:
        if col not in table.columns:
            table[col] = None
    table = table[list(INVENTORY_COLUMNS)].astype(object).drop_duplicates("interface_id")
    return Inventory(table.reset_index(drop=True))


def _join_codes(keys: pd.Series, index: pd.Index) -> np.ndarray:
    """Row position in ``index`` of each key (-1 if absent), one lookup per distinct key."""
    cat = keys if isinstance(keys.dtype, pd.CategoricalDtype) else keys.astype("category")
    pos = np.append(index.get_indexer(pd.Index(cat.cat.categories, dtype=object)), -1)
    return pos[np.asarray(cat.cat.codes, dtype=np.int64)].astype(np.int64)


def _columns_from(
    table: pd.DataFrame, rows: np.ndarray, mapping: dict[str, str]
) -> dict[str, pd.Categorical]:
    out: dict[str, pd.Categorical] = {}
    for new, col in mapping.items():
        values = table[col].astype(object)
        cats = pd.Index(pd.unique(values.dropna()), dtype=object)
        codes = np.append(cats.get_indexer(pd.Index(values, dtype=object)), -1).astype(np.int32)
        out[new] = pd.Categorical.from_codes(codes[rows], categories=cats, validate=False)
    return out


def add_inventory(df: pd.DataFrame, inventory: Inventory) -> pd.DataFrame:
    """Add the capturing ENI's ``eni_name``, ``eni_role``, ``eni_instance_id``,
    ``eni_subnet_id``, ``eni_az_id``, ``eni_vpc_id``, ``eni_type``, ``eni_security_groups``.

    When ``remote_addr`` is present (see :func:`flowkit.enrich.add_direction`) and is the
    address of one of your ENIs, also ``remote_name``, ``remote_role``, ``remote_az_id``.  NA
    where the ENI (or address) is not in the inventory.  Returns a new frame; the input is not
    changed.

    Examples
    --------
    >>> import pandas as pd
    >>> inv = load_inventory(pd.DataFrame({"interface_id": ["eni-1"], "name": ["web-1"],
    ...                                    "type": ["instance"]}))
    >>> df = pd.DataFrame({"interface_id": ["eni-1", "eni-9"]})
    >>> add_inventory(df, inv)["eni_name"].tolist()
    ['web-1', nan]
    """
    out = df.copy(deep=False)
    table = inventory.table.reset_index(drop=True)
    if "interface_id" in df.columns:
        rows = _join_codes(df["interface_id"], pd.Index(table["interface_id"], dtype=object))
        for name, values in _columns_from(table, rows, ENI_COLUMNS).items():
            out[name] = values
    if "remote_addr" in df.columns:
        addrs = inventory.address_table()
        by_eni = pd.Index(table["interface_id"], dtype=object)
        eni_row = np.append(by_eni.get_indexer(addrs["interface_id"]), -1)
        rows = eni_row[_join_codes(df["remote_addr"], pd.Index(addrs["address"], dtype=object))]
        remote = {"remote_name": "name", "remote_role": "role", "remote_az_id": "az_id"}
        for name, values in _columns_from(table, rows, remote).items():
            out[name] = values
    return out
