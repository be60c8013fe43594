"""How an address is shown with its name: ``name (address)`` (one rule for tables and plots).

The names come from :func:`flowkit.address_names` (inventory ENI names, AWS services); this
module only decides how a name and its address read together, so it depends on nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["name_and_address"]


def name_and_address(address: object, names: Mapping[str, str]) -> str:
    """``name (address)`` where ``names`` knows a name other than the address itself, else the
    address as text.

    Examples
    --------
    >>> names = {"10.0.0.20": "bastion-1", "10.0.0.5": "10.0.0.5"}
    >>> [name_and_address(a, names) for a in ("10.0.0.20", "10.0.0.5", "8.8.8.8")]
    ['bastion-1 (10.0.0.20)', '10.0.0.5', '8.8.8.8']
    """
    text = str(address)
    name = names.get(text)
    return f"{name} ({text})" if name and name != text else text
