"""Tests of flowkit.units and flowkit.display.readable: decimal GB for volumes, GiB (2^30 bytes,
AWS's billing unit) for cost volumes, and 2^30 bytes never called "GB"."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from flowkit import units
from flowkit.display import readable

FLOWKIT = Path(__file__).resolve().parents[1] / "flowkit"


def test_units_define_decimal_gb_and_billing_gib() -> None:
    assert units.BYTES_PER_GB == 10**9
    assert units.BYTES_PER_GIB == 2**30
    assert units.gigabytes(10**9) == 1.0
    assert units.gibibytes(2**30) == 1.0
    assert units.human_bytes(2**30) == "1.1 GB"  # a GiB in decimal units, never "1.0 GB"
    assert units.human_gib(2007.449) == "2,007.45 GiB"
    assert units.unit_name(2**30) == "GiB"
    assert units.unit_name(10**9) == "GB"


def test_unit_note_names_both_gb_and_gib() -> None:
    assert "kB, MB, GB, TB are 10^3, 10^6, 10^9, 10^12 bytes" in units.UNIT_NOTE
    assert "GiB is 2^30 bytes" in units.UNIT_NOTE
    assert "billing" in units.UNIT_NOTE


def test_readable_shows_gib_columns_in_gib_and_byte_columns_in_decimal_gb() -> None:
    t = pd.DataFrame({"dimension": ["inter_az"], "bytes": [10 * 2**30], "gib": [10.0],
                      "monthly_gib": [2007.449], "rate": [0.02],
                      "monthly_cost": [40.149]})  # fmt: skip
    row = readable(t).iloc[0].to_dict()
    assert row == {"dimension": "inter_az", "bytes": "10.7 GB", "gib": "10.00 GiB",
                   "monthly_gib": "2,007.45 GiB", "rate": "$0.020/GiB",
                   "monthly_cost": "$40.15"}  # fmt: skip


def test_readable_rate_without_gib_column_has_no_unit_suffix() -> None:
    t = pd.DataFrame({"dimension": ["nat_gateway"], "price": [0.045], "bytes_out": [2_800_000_000]})
    row = readable(t).iloc[0].to_dict()
    assert row == {"dimension": "nat_gateway", "price": "$0.045", "bytes_out": "2.8 GB"}


def _spells_gib(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value == 2**30
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)
            and isinstance(node.left, ast.Constant) and node.left.value == 2
            and isinstance(node.right, ast.Constant) and node.right.value == 30)  # fmt: skip


def test_gib_constant_lives_only_in_units() -> None:
    """One fact, one place: no other module of the package computes with its own 2^30."""
    offenders = [
        str(path.relative_to(FLOWKIT))
        for path in sorted(FLOWKIT.rglob("*.py"))
        if path.name != "units.py" and any(map(_spells_gib, ast.walk(ast.parse(path.read_text()))))
    ]
    assert offenders == []


def test_every_name_and_address_label_is_the_same() -> None:
    """Plots, tables, and the savings' hops label an address alike."""
    from flowkit.cost.savings import _label as savings_label
    from flowkit.display import named
    from flowkit.naming import name_and_address
    from flowkit.plots.axes import labels

    names = {"10.0.0.20": "bastion-1", "10.0.0.5": "10.0.0.5", "10.0.0.6": ""}
    addresses = ["10.0.0.20", "10.0.0.5", "10.0.0.6", "8.8.8.8"]
    expected = ["bastion-1 (10.0.0.20)", "10.0.0.5", "10.0.0.6", "8.8.8.8"]
    assert [name_and_address(a, names) for a in addresses] == expected
    assert labels(addresses, names) == expected
    assert named(pd.DataFrame({"actor": addresses}), names)["actor"].tolist() == expected
    assert savings_label(pd.Series(addresses), names).tolist() == expected
