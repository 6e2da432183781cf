"""Capacity sizing: the least hourly pick/pack capacity per warehouse for a target on-time rate.

The expected on-time rate of a warehouse's orders never falls when its capacity rises (finish
times in equation (1) of :mod:`.simulate` fall with capacity, ship times follow, and the
on-time probability is non-decreasing in ship time), so a bisection over whole orders per hour
finds the least capacity. When even unlimited capacity misses the target, the binding
constraint is named by relaxing the others in turn: stock waits, then cut-offs and pick-ups;
what remains is transit.

Stock is shared between warehouses: units go to orders in payment order over the whole table,
so each warehouse is sized with the stock allocation of every order (an order at another
warehouse paid earlier takes its units first), not as if it had the stock to itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from presale_supply.exceptions import InputError
from presale_supply.sla.network import Network
from presale_supply.sla.orders import OrderTable
from presale_supply.sla.promise import PromiseRule
from presale_supply.sla.simulate import StockTimeline, predict

__all__ = ["Binding", "CapacityNeed", "size_capacity"]

_UNLIMITED = 1e9


class Binding(Enum):
    """The constraint that decides whether the target holds."""

    CAPACITY = "capacity"
    STOCK = "stock"
    CUTOFF_PICKUP = "cutoff-and-pickup"
    TRANSIT = "transit"
    NONE = "none"


@dataclass(frozen=True)
class CapacityNeed:
    """Sizing result of one warehouse.

    ``needed_capacity`` is None when no capacity reaches the target (see ``binding``).
    """

    warehouse: str
    orders: int
    current_capacity: float
    current_rate: float | None
    needed_capacity: float | None
    rate_at_needed: float | None
    rate_unlimited: float | None
    binding: Binding

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "warehouse": self.warehouse,
            "orders": self.orders,
            "current_capacity": self.current_capacity,
            "current_rate": self.current_rate,
            "needed_capacity": self.needed_capacity,
            "rate_at_needed": self.rate_at_needed,
            "rate_unlimited": self.rate_unlimited,
            "binding": self.binding.value,
        }


def size_capacity(
    orders: OrderTable,
    network: Network,
    rule: PromiseRule | None = None,
    *,
    target: float = 0.95,
    stock: StockTimeline | None = None,
    warehouses: Sequence[str] | None = None,
) -> list[CapacityNeed]:
    """Least whole orders-per-hour capacity of each warehouse reaching ``target``.

    Parameters
    ----------
    orders : OrderTable
        The spike to survive (e.g. the balance-payment hour's orders).
    network : Network
    rule : PromiseRule, optional
    target : float
        Expected on-time rate to reach, in (0, 1].
    stock : StockTimeline, optional
    warehouses : sequence of str, optional
        Warehouses to size (default: every warehouse that has orders).

    Returns
    -------
    list of CapacityNeed

    Raises
    ------
    InputError
        A target outside (0, 1] or an unknown warehouse.
    """
    if not 0.0 < target <= 1.0:
        raise InputError("target on-time rate must be in (0, 1].", value=target)
    rule = rule or PromiseRule()
    names = (
        list(warehouses)
        if warehouses is not None
        else [str(x) for x in orders.warehouse.labels if network.warehouse(str(x)) is not None]
    )
    # Stock is shared: units go to orders in payment order across every warehouse, and that
    # allocation does not depend on any capacity. Compute it once on the whole table and keep
    # it when a warehouse's orders are predicted alone (queues of different warehouses do not
    # interact, so the sub-table prediction is then exact).
    ready_all = stock.ready_times(orders) if stock is not None else orders.paid_at
    out = []
    for name in names:
        wh = network.warehouse(name)
        if wh is None:
            raise InputError("warehouse not in the network.", file=network.source, value=name)
        code = orders.warehouse.code_of(name)
        rows = np.flatnonzero(orders.warehouse.codes == code)
        sub = orders.take(rows)
        sub_ready = ready_all[rows]

        def rate(
            cap: float,
            *,
            sub: OrderTable = sub,
            name: str = name,
            st: StockTimeline | None = stock,
            ship_at_pack: bool = False,
            sub_ready: np.ndarray = sub_ready,
        ) -> float | None:
            pred = predict(
                sub,
                network.with_capacity({name: cap}),
                rule,
                ship_at_pack=ship_at_pack,
                ready_at=sub_ready if st is not None else sub.paid_at,
            )
            return pred.expected_rate()

        current = rate(wh.capacity_per_hour) if wh.capacity_per_hour > 0 else 0.0
        best = rate(_UNLIMITED)
        if best is None:
            out.append(
                CapacityNeed(
                    name, len(sub), wh.capacity_per_hour, None, None, None, None, Binding.NONE
                )
            )
            continue
        if best < target:
            if stock is not None and (rate(_UNLIMITED, st=None) or 0.0) >= target:
                binding = Binding.STOCK
            elif (rate(_UNLIMITED, st=None, ship_at_pack=True) or 0.0) >= target:
                binding = Binding.CUTOFF_PICKUP
            else:
                binding = Binding.TRANSIT
            out.append(
                CapacityNeed(
                    name, len(sub), wh.capacity_per_hour, current, None, None, best, binding
                )
            )
            continue
        lo, hi = 0, 1
        while (rate(float(hi)) or 0.0) < target:
            lo, hi = hi, hi * 2
            if hi > _UNLIMITED:  # pragma: no cover - guarded by `best` above
                break
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (rate(float(mid)) or 0.0) >= target:
                hi = mid
            else:
                lo = mid
        out.append(
            CapacityNeed(
                name,
                len(sub),
                wh.capacity_per_hour,
                current,
                float(hi),
                rate(float(hi)),
                best,
                Binding.CAPACITY,
            )
        )
    return out
