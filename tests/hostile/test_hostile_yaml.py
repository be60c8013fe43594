"""YAML the kit reads (policies, hunt configs, price tables): no expansion bombs, no deep-nesting
crash, no lenient numbers, typed errors with a line (issue 16 items 8 and 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import deadline

import flowkit as fk
from flowkit.compliance import PolicyError, load_policy
from flowkit.cost import load_prices
from flowkit.errors import FileFormatError

RULE = "forbidden:\n  - {name: telnet, protocol: tcp, ports: [%s]}\n"


def laughs(levels: int) -> str:
    """A "billion laughs": each level names the one before nine times."""
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_policy_is_refused_at_its_first_alias() -> None:
    with deadline(30), pytest.raises(PolicyError) as info:
        load_policy("laughs.yaml", text=laughs(12))
    assert (info.value.line, info.value.reason) == (2, "YAML aliases (*a0) are not allowed")


@pytest.mark.parametrize(
    "text",
    ["x: " + "[" * 3000 + "]" * 3000 + "\n",
     "".join(f"{'  ' * i}k{i}:\n" for i in range(3000)) + "  " * 3000 + "v: 1\n"],
    ids=["flow", "block"],
)  # fmt: skip
def test_deep_nesting_is_a_policy_error_not_a_recursion_error(text: str) -> None:
    with deadline(60), pytest.raises(PolicyError, match="nested deeper than 64 levels"):
        load_policy("deep.yaml", text=text)


def test_tags_are_still_refused() -> None:
    with pytest.raises(PolicyError, match="tag '!custom' is not allowed"):
        load_policy("t.yaml", text="policy: !custom x\n")
    with pytest.raises(PolicyError, match="python"):
        load_policy("t.yaml", text="policy: !!python/object/apply:os.system ['true']\n")


@pytest.mark.parametrize("port", ["'2_2'", "'２２'", "'+22'", "+22", "0x16", "'22 '", "'1-2-3'"])
def test_ports_are_plain_ascii_numbers(port: str) -> None:
    with pytest.raises(PolicyError, match="is not a number or range") as info:
        load_policy("p.yaml", text=RULE % port)
    assert info.value.line == 2


def test_plain_ports_and_ranges_still_load() -> None:
    assert load_policy("p.yaml", text=RULE % "22, '8000-8002'").forbidden[0].ports == (
        22, 8000, 8001, 8002)  # fmt: skip


@pytest.mark.parametrize("name", ["", "''", "~", "'  '"])
def test_an_empty_rule_name_is_refused(name: str) -> None:
    text = f"forbidden:\n  - name: {name}\n    protocol: tcp\n    ports: [23]\n"
    with pytest.raises(PolicyError, match="forbidden entry has an empty name"):
        load_policy("p.yaml", text=text)


def test_a_policy_that_is_not_utf8_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("policy: t\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert (info.value.line, info.value.reason) == (2, "not UTF-8 text: byte 0xe9 at offset 15")


def test_hunt_configs_and_price_tables_use_the_same_safe_loader(tmp_path: Path) -> None:
    bomb = tmp_path / "hunt.yaml"
    bomb.write_text(laughs(12))
    with deadline(30), pytest.raises(FileFormatError, match="aliases"):
        fk.HuntConfig.from_yaml(bomb)
    deep = tmp_path / "prices.yaml"
    deep.write_text("prices: " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises(FileFormatError, match="nested deeper"):
        load_prices(deep)
