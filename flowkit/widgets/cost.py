"""The cost dashboard's what-ifs: the bill at other prices, and after chosen savings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import pandas as pd

from flowkit import units
from flowkit.cost.prices import PriceTable
from flowkit.cost.whatif import bill_after_savings, bill_at_prices, doable_savings

__all__ = ["PriceWhatIf", "SavingsPicker"]


class PriceWhatIf(w.VBox):  # type: ignore[misc]
    """Sliders for the price per GiB (2^30 bytes: AWS's billing unit, which it writes "GB"; the
    price table's unit) of some dimensions; the projected monthly bill follows.

    Parameters
    ----------
    classified : DataFrame
        :func:`flowkit.classify_transfer`'s frame.
    prices : PriceTable
        The list prices the sliders start from.
    dimensions : sequence of str
        The dimensions to vary (default NAT processing and inter-AZ transfer).

    Examples
    --------
    >>> import flowkit as fk
    >>> df = fk.parse_lines([
    ...     "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start "
    ...     "end action log-status az-id flow-direction traffic-path",
    ...     "5 eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 1000000000 1700000000 1700000060 ACCEPT "
    ...     "OK use1-az1 egress 1",
    ...     "5 eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 1000000000 1700000000 1700000060 ACCEPT "
    ...     "OK use1-az2 ingress -"])
    >>> box = PriceWhatIf(fk.classify_transfer(df), fk.load_prices())
    >>> box.sliders["inter_az"].value = 0.005
    >>> round(box.bill / box.list_bill, 2), "a month" in box.result.value
    (0.5, True)
    >>> box.sliders["inter_az"].description
    'inter_az ($/GiB)'
    """

    def __init__(self, classified: pd.DataFrame, prices: PriceTable,
                 dimensions: Sequence[str] = ("nat_gateway", "inter_az")) -> None:  # fmt: skip
        self.classified, self.prices = classified, prices
        self.sliders: dict[str, w.FloatSlider] = {}
        for dim in dimensions:
            price = prices[dim].price
            self.sliders[dim] = w.FloatSlider(
                value=price, min=0.0, max=max(0.1, 2 * price), step=0.001,
                description=f"{dim} ($/{prices.unit})", readout_format=".3f",
                continuous_update=False,
                style={"description_width": "12em"}, layout=w.Layout(width="40em"),
            )  # fmt: skip
            self.sliders[dim].observe(lambda _c: self.refresh(), names="value")
        self.list_bill = bill_at_prices(classified, prices, {})
        self.bill = self.list_bill
        self.result = w.HTML()
        self.result.add_class("flowkit-bill")
        for slider in self.sliders.values():
            slider.add_class("flowkit-price")
        super().__init__([*self.sliders.values(), self.result])
        self.refresh()

    def refresh(self) -> None:
        """Recompute the bill at the sliders' prices."""
        rates = {dim: s.value for dim, s in self.sliders.items()}
        self.bill = bill_at_prices(self.classified, self.prices, rates)
        change = self.bill - self.list_bill
        self.result.value = (
            f"Projected bill at these prices: <b>{units.usd(self.bill)} a month</b> "
            f"(list prices: {units.usd(self.list_bill)}; "
            f"{'+' if change >= 0 else ''}{units.usd(change)})"
        )


class SavingsPicker(w.VBox):  # type: ignore[misc]
    """Tick the recommendations you would carry out: the projected monthly bill after them.

    Examples
    --------
    >>> import pandas as pd
    >>> cost = pd.DataFrame({"monthly_cost": [40.0, 14.5]})
    >>> savings = pd.DataFrame({"target": ["a <-> b", "S3 through a NAT gateway"],
    ...                         "monthly_savings": [32.0, 18.0]})
    >>> pick = SavingsPicker(cost, savings)
    >>> round(pick.bill, 2)
    4.5
    >>> pick.choice.value = ("a <-> b",)
    >>> round(pick.bill, 2), "saves $32.00" in pick.result.value
    (22.5, True)
    """

    def __init__(self, cost: pd.DataFrame, savings: pd.DataFrame,
                 chosen: Sequence[str] | None = None) -> None:  # fmt: skip
        self.cost, self.savings = cost, savings
        targets = doable_savings(savings)
        amounts = savings.set_index("target")["monthly_savings"]
        options = [(f"{t}: saves {units.usd(amounts[t])} a month", t) for t in targets]
        self.choice = w.SelectMultiple(
            options=options, value=tuple(targets if chosen is None else chosen),
            rows=max(2, len(options)), layout=w.Layout(width="98%"),
        )  # fmt: skip
        self.choice.observe(lambda _c: self.refresh(), names="value")
        self.choice.add_class("flowkit-savings")
        self.result = w.HTML()
        self.result.add_class("flowkit-bill-after")
        self.bill = 0.0
        super().__init__([self.choice, self.result])
        self.refresh()

    def refresh(self, _change: Any = None) -> None:
        """Recompute the bill after the ticked recommendations."""
        now = float(self.cost["monthly_cost"].sum())
        self.bill = bill_after_savings(self.cost, self.savings, self.choice.value)
        self.result.value = (
            f"Projected bill after {len(self.choice.value)} change(s): "
            f"<b>{units.usd(self.bill)} a month</b> (now {units.usd(now)}; "
            f"saves {units.usd(now - self.bill)})"
        )
