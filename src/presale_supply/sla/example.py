"""A synthetic campaign for demos: a two-warehouse network and a balance-payment spike.

:func:`example_network_and_orders` builds a network in ``Asia/Shanghai`` (warehouses
``WH-East`` and ``WH-North``; carriers SF and JD; lognormal transit to six provinces; the lane to
Xinjiang is unserved, so its orders are *not eligible*) and orders whose payments pile up right
after the balance-payment moment (20:00 on 2024-12-12 by default), decaying over the next hours.
:func:`example_summary` predicts the campaign and sizes the capacity that keeps 95% on time.
Everything is simulated; no real data is involved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from presale_supply.sla.network import Carrier, Lane, Network, TransitDistribution, Warehouse
from presale_supply.sla.orders import OrderTable
from presale_supply.sla.promise import PromiseRule
from presale_supply.sla.simulate import predict
from presale_supply.sla.size import size_capacity

__all__ = ["example_network_and_orders", "example_summary"]

_DEST = {  # destination: (share, median hours from East, median hours from North)
    "Shanghai": (0.30, 8.0, 22.0),
    "Zhejiang": (0.20, 12.0, 24.0),
    "Beijing": (0.15, 24.0, 6.0),
    "Guangdong": (0.20, 20.0, 26.0),
    "Sichuan": (0.13, 26.0, 28.0),
    "Xinjiang": (0.02, 0.0, 0.0),
}


def example_network_and_orders(
    seed: int = 0,
    n_orders: int = 20_000,
    *,
    spike_start: str = "2024-12-12 20:00",
    spike_hours: float = 2.0,
) -> tuple[Network, pd.DataFrame]:
    """Return ``(network, orders)`` of a synthetic balance-payment spike.

    Parameters
    ----------
    seed : int
        Random seed; the same seed gives the same orders.
    n_orders : int
        Number of orders.
    spike_start : str
        Local time (Asia/Shanghai) at which balance payment opens.
    spike_hours : float
        Mean of the exponential delay between the opening and a payment.

    Returns
    -------
    (Network, DataFrame)
        The orders frame has the canonical columns ``order_id, paid_at, origin, destination,
        warehouse, carrier, sku, quantity`` with naive local ``paid_at`` strings.
    """
    rng = np.random.default_rng(seed)
    network = Network(
        warehouses=(
            Warehouse("WH-East", capacity_per_hour=1500, cutoff="23:00"),
            Warehouse("WH-North", capacity_per_hour=800, cutoff="23:00"),
        ),
        carriers=(Carrier("SF", ("10:00", "16:00", "23:00")), Carrier("JD", ("12:00", "23:30"))),
        lanes=tuple(
            Lane(wh, dest, None if dest == "Xinjiang" else TransitDistribution.lognormal(med, 0.3))
            for dest, (_, east, north) in _DEST.items()
            for wh, med in (("WH-East", east), ("WH-North", north))
        ),
        tz="Asia/Shanghai",
        source="<example network>",
    )
    dests = np.array(list(_DEST))
    share = np.array([v[0] for v in _DEST.values()])
    dest = rng.choice(dests, size=n_orders, p=share / share.sum())
    north = np.isin(dest, ["Beijing"]) | (rng.random(n_orders) < 0.25)
    wh = np.where(north, "WH-North", "WH-East")
    delay = rng.exponential(spike_hours * 3600.0, size=n_orders)
    paid = pd.Timestamp(spike_start) + pd.to_timedelta(np.sort(delay).round(), unit="s")
    frame = pd.DataFrame(
        {
            "order_id": [f"O{k:07d}" for k in range(n_orders)],
            "paid_at": paid.strftime("%Y-%m-%d %H:%M:%S"),
            "origin": wh,
            "destination": dest,
            "warehouse": wh,
            "carrier": rng.choice(["SF", "JD"], size=n_orders, p=[0.6, 0.4]),
            "sku": rng.choice([f"SKU-{k:03d}" for k in range(50)], size=n_orders),
            "quantity": rng.integers(1, 3, size=n_orders),
        }
    )
    return network, frame


def example_summary(seed: int = 0, n_orders: int = 20_000, target: float = 0.95) -> str:
    """A short human summary of the example campaign: on-time rate and capacity needed."""
    network, frame = example_network_and_orders(seed, n_orders)
    orders = OrderTable.from_frame(frame, tz=network.tz, source="<example orders>")
    rule = PromiseRule.hours(48)
    pred = predict(orders, network, rule)
    ov = pred.overall()
    lines = [
        f"SLA check of the example campaign (seed {seed}): {ov['total']} orders, promise "
        f"{rule.describe()}.",
        f"  expected on-time rate {ov['rate']:.1%} over {ov['predicted']} orders; "
        f"{ov['late']} predicted to breach; {ov['not_eligible']} not eligible (unserved lane).",
    ]
    for need in size_capacity(orders, network, rule, target=target):
        if need.needed_capacity is None:
            lines.append(
                f"  {need.warehouse}: {target:.0%} is out of reach even with unlimited "
                f"capacity (best {need.rate_unlimited:.1%}); binding: "
                f"{need.binding.value}."
            )
        else:
            lines.append(
                f"  {need.warehouse}: {need.orders} orders; capacity {need.current_capacity:g}/h "
                f"gives {need.current_rate:.1%}; {target:.0%} needs "
                f"{need.needed_capacity:g}/h (binding: {need.binding.value})."
            )
    return "\n".join(lines)
