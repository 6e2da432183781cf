"""Check a 48-hour delivery promise on the SLA module's synthetic balance-payment spike.

What it shows, in order:

1. the embedded example (``presale_supply.sla.example``): a two-warehouse network in
   Asia/Shanghai (WH-East, WH-North; carriers SF and JD; no service to Xinjiang) and orders
   whose payments pile up after the balance payment opens at 20:00 on 2024-12-12. Everything
   is simulated; no external data is needed (``examples/olist_audit.py`` audits real orders);
2. *before* the spike: the expected on-time rate per lane and payment day (``predict``) and
   the orders predicted to breach;
3. the least pick/pack capacity per warehouse that keeps a target on-time rate
   (``size_capacity``), checked by predicting again with that capacity;
4. *after* the spike: an audit of what happened (``audit``): on-time rate per lane and day,
   the breaches, the warnings that were (or were not) raised for them (``warn``) and how good
   those warnings were (``backtest``). The example has no actual timestamps, so this script
   makes synthetic ones: the warehouses run at a share of their planned capacity
   (``--actual-capacity``, default 50%), hand-over follows the FIFO queue at that capacity,
   and each transit time is drawn from the lane's transit distribution.

Run from the project root::

    .venv/bin/python examples/audit_deliveries.py                # 20,000 orders
    .venv/bin/python examples/audit_deliveries.py --small        # 4,000 orders (tests)
    .venv/bin/python examples/audit_deliveries.py --target 0.98 --actual-capacity 0.7

The CLI equivalents are ``presale-supply sla audit|predict|size`` (docs/sla.md).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.sla import AuditResult, OrderTable, PromiseRule, audit
from presale_supply.sla.example import example_network_and_orders
from presale_supply.sla.network import Network
from presale_supply.sla.simulate import Prediction, predict
from presale_supply.sla.size import size_capacity
from presale_supply.sla.warn import WarningPolicy, Warnings, backtest, warn


def describe(network: Network, frame: pd.DataFrame) -> None:
    """One line per warehouse and carrier, and the lanes without service."""
    for wh in network.warehouses:
        print(f"  warehouse {wh.name}: {wh.capacity_per_hour:g} orders/h, cut-off {wh.cutoff}")
    for c in network.carriers:
        print(f"  carrier {c.name}: pick-ups at {', '.join(c.pickups)}")
    unserved = sorted({f"{ln.origin}->{ln.destination}" for ln in network.lanes if not ln.served})
    print(f"  lanes without service (orders there are not eligible): {', '.join(unserved)}")
    paid = pd.to_datetime(frame["paid_at"])
    print(f"  {len(frame):,} orders paid from {paid.min()} to {paid.max()} ({network.tz})")


def predicted_cell(r: pd.Series) -> str:
    """A lane x day cell: expected on-time rate and number of promised orders."""
    return "not eligible" if r["predicted"] == 0 else f"{r['rate']:.1%} of {r['predicted']:,}"


def show_prediction(pred: Prediction) -> None:
    """Expected on-time rate overall, per lane and payment day, and the predicted breaches."""
    o = pred.overall()
    print(
        f"expected on-time rate {o['rate']:.2%} over {o['predicted']:,} promised orders "
        f"({o['expected_on_time']:,.0f} expected on time); not eligible {o['not_eligible']:,}"
    )
    rates = pred.rates(["lane", "paid_day"])
    rates["cell"] = rates.apply(predicted_cell, axis=1)
    print(rates.pivot(index="lane", columns="paid_day", values="cell").fillna("-").to_string())
    # A predicted breach is an order whose P(on time) is below the risk threshold (0.5).
    breaches = pred.breaches()
    print(
        f"predicted breaches (P(on time) < {pred.risk_threshold:g}): {len(breaches):,}; "
        f"orders with P(on time) < 0.8: {int(np.sum(pred.p_on_time < 0.8)):,}"
    )
    if len(breaches):
        print(breaches.head(5).to_string(index=False))


def show_sizing(orders: OrderTable, network: Network, rule: PromiseRule, target: float) -> None:
    """Least capacity per warehouse for ``target``, then a prediction with that capacity."""
    needs = size_capacity(orders, network, rule, target=target)
    needed = {}
    for n in needs:
        if n.needed_capacity is None:  # not even unlimited capacity reaches the target
            print(
                f"  {n.warehouse}: {target:.0%} is out of reach (best {n.rate_unlimited:.1%} "
                f"with unlimited capacity); binding: {n.binding.value}"
            )
            continue
        needed[n.warehouse] = n.needed_capacity
        print(
            f"  {n.warehouse}: {n.orders:,} orders; {n.current_capacity:g}/h gives "
            f"{n.current_rate:.2%}; {target:.0%} needs {n.needed_capacity:g}/h "
            f"({n.rate_at_needed:.2%}); binding: {n.binding.value}"
        )
    if needed:
        # The sizing is a bisection on whole orders per hour; a fresh prediction confirms it.
        check = predict(orders, network.with_capacity(needed), rule)
        print(
            f"  with exactly that capacity the expected on-time rate is "
            f"{check.expected_rate():.2%} overall"
        )


def simulate_actuals(
    frame: pd.DataFrame, network: Network, rule: PromiseRule, capacity_share: float, seed: int
) -> pd.DataFrame:
    """Synthetic 'what happened': ``shipped_at`` and ``delivered_at`` for every promised order.

    The warehouses run at ``capacity_share`` of their planned capacity; an order is handed over
    when the FIFO queue at that capacity and the carriers' pick-ups let it leave, and it arrives
    after a transit time drawn from its lane's distribution. Orders on unserved lanes get no
    timestamps (their promise does not apply).
    """
    slow = network.with_capacity(
        {w.name: w.capacity_per_hour * capacity_share for w in network.warehouses}
    )
    orders = OrderTable.from_frame(frame, tz=network.tz, source="<example orders>")
    ship_ns = predict(orders, slow, rule).ship_at  # UTC ns; NaT where not eligible
    shipped = pd.Series(pd.to_datetime(ship_ns, utc=True)).dt.tz_convert(network.tz)
    # Inverse-CDF sampling: a uniform draw mapped through the lane's transit quantiles.
    rng = np.random.default_rng(seed)
    hours = np.full(len(frame), np.nan)
    for (o, d, c), rows in frame.groupby(["origin", "destination", "carrier"]).indices.items():
        lane = network.lane(o, d, c)
        if lane is None or lane.transit is None:
            continue
        q = lane.transit.quantiles_hours
        hours[rows] = np.interp(rng.random(len(rows)), np.linspace(0, 1, q.size), q)
    delivered = shipped + pd.to_timedelta(hours, unit="h")

    def naive(ts: pd.Series) -> pd.Series:  # naive local wall-clock text, like ``paid_at``
        return ts.dt.tz_localize(None).dt.strftime("%Y-%m-%d %H:%M:%S")

    return frame.assign(shipped_at=naive(shipped), delivered_at=naive(delivered))


def show_audit(result: AuditResult) -> None:
    """Actual on-time rate overall and per lane and payment day; data quality."""
    o = result.overall()
    print(
        f"on time {o['on_time']:,} of {o['decided']:,} decided ({o['rate']:.2%}); late "
        f"{o['late']:,}; not eligible {o['not_eligible']:,}; undetermined {o['undetermined']:,}"
    )
    rates = result.rates(["lane", "paid_day"])
    rates["cell"] = rates.apply(
        lambda r: (
            "not eligible"
            if r["decided"] == 0
            else f"{r['rate']:.1%} ({r['late']:,} late of {r['decided']:,})"
        ),
        axis=1,
    )
    print(rates.pivot(index="lane", columns="paid_day", values="cell").fillna("-").to_string())
    faults = {k: v for k, v in result.quality().items() if v}
    print("data quality:", ", ".join(f"{k} {v}" for k, v in faults.items()) or "no faulty rows")


def show_breaches(result: AuditResult, warnings: Warnings, frame: pd.DataFrame) -> None:
    """The late orders, each with the warning raised for it (if any)."""
    per_order = result.to_frame()
    late = per_order[per_order["status"] == "late"]
    late = late.merge(
        warnings.to_frame()[["order_id", "warn_at", "lead_hours", "reason"]],
        on="order_id",
        how="left",
    )
    late["lane"] = (frame["origin"] + "->" + frame["destination"]).to_numpy()[late["row"] - 1]
    late["reason"] = late["reason"].fillna("not warned")
    print(f"{len(late):,} breaches; by warning reason:")
    print(late.groupby("reason").size().rename("orders").to_string())
    print("the 5 latest breaches:")
    cols = ["order_id", "lane", "deadline", "hours_past_deadline", "reason", "warn_at"]
    worst = late.sort_values("hours_past_deadline", ascending=False).head(5)
    print(worst[cols].round(1).to_string(index=False))


def show_backtest(name: str, score: dict[str, Any]) -> None:
    """One line of a warning back-test: how many breaches were caught, how early."""

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1%}"

    lead = score["lead_hours_median"]
    print(
        f"  {name:<34} warned {score['warned']:>5,}; caught {score['true_positives']:>5,} of "
        f"{score['late']:,} breaches (recall {pct(score['recall'])}, precision "
        f"{pct(score['precision'])}); median lead " + ("n/a" if lead is None else f"{lead:.1f} h")
    )


def main(argv: list[str] | None = None) -> int:
    """Predict, size and audit the example spike; return 0."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--small", action="store_true", help="4,000 orders (fast)")
    parser.add_argument("--orders", type=int, default=None, help="number of orders (20,000)")
    parser.add_argument("--seed", type=int, default=0, help="example seed (default 0)")
    parser.add_argument("--hours", type=float, default=48.0, help="promise in hours (48)")
    parser.add_argument("--target", type=float, default=0.95, help="target on-time rate")
    parser.add_argument(
        "--actual-capacity",
        type=float,
        default=0.5,
        help="share of planned capacity the warehouses ran at in the synthetic actuals (0.5)",
    )
    args = parser.parse_args(argv)
    n_orders = args.orders or (4_000 if args.small else 20_000)

    network, frame = example_network_and_orders(args.seed, n_orders)
    # The promise: delivered within N hours of payment. Lanes the network does not serve are
    # taken out of the promise, so the audit counts them as not eligible instead of late.
    unserved = tuple((ln.origin, ln.destination) for ln in network.lanes if not ln.served)
    rule = PromiseRule.hours(args.hours, ineligible_lanes=unserved)
    # The canonical order table: naive timestamps are local time in the network's zone.
    orders = OrderTable.from_frame(frame, tz=network.tz, source="<example orders>")

    print(f"== 1. the example spike (seed {args.seed}); promise: {rule.describe()} ==")
    describe(network, frame)

    print("\n== 2. before the spike: predicted on-time rate per lane and payment day ==")
    show_prediction(predict(orders, network, rule))

    print(f"\n== 3. capacity needed for {args.target:.0%} on time ==")
    show_sizing(orders, network, rule, args.target)

    print(
        f"\n== 4. after the spike: audit (synthetic actuals, warehouses at "
        f"{args.actual_capacity:.0%} of planned capacity) =="
    )
    actual_frame = simulate_actuals(frame, network, rule, args.actual_capacity, args.seed + 1)
    actual = OrderTable.from_frame(actual_frame, tz=network.tz, source="<synthetic actuals>")
    result = audit(actual, rule)
    show_audit(result)
    # Warnings are computed as they would have fired live: rule 1 at payment when the planned
    # network predicts a breach, rule 2 when an order is not handed over by its latest safe
    # hand-over time (it reads the actual ``shipped_at``). The optional final check (rule 3)
    # also warns every order not delivered 3 hours before its deadline.
    pred = predict(actual, network, rule)
    warned = warn(pred, WarningPolicy(lead_hours=3.0))
    show_breaches(result, warned, frame)
    print("warnings against the audit (backtest):")
    show_backtest("rules 1-2 (prediction, hand-over)", backtest(warned, result))
    final = warn(pred, WarningPolicy(lead_hours=3.0, final_check=True))
    show_backtest("rules 1-3 (+ final check)", backtest(final, result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
