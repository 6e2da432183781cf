"""Benchmark of the SLA checker: audit and predict, vectorised vs. a row-by-row pandas baseline.

Usage (from the project root)::

    .venv/bin/python benchmarks/sla_bench.py --sizes 1000000,10000000

Synthetic orders (a 6-hour balance-payment spike, 2 warehouses, 2 carriers, 20 destinations)
are generated as arrays; the order table is built once (``OrderTable.from_arrays``, timed
separately) and then audited and predicted. The row-by-row baselines (``DataFrame.iterrows``
with Timestamp arithmetic, and a Python FIFO loop) run in the same process on the first
``--baseline-rows`` orders, and their throughput is reported for that sample. Peak memory is the
tracemalloc peak of the call (numpy buffers included), divided by the number of orders. Results
go to ``benchmarks/results/sla_bench.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.sla import OrderTable, PromiseRule, audit
from presale_supply.sla.network import Carrier, Lane, Network, TransitDistribution, Warehouse
from presale_supply.sla.simulate import predict

RESULTS = Path(__file__).resolve().parent / "results"
HOUR = 3_600_000_000_000
T0 = pd.Timestamp("2024-12-12 12:00", tz="UTC").value


def make_orders(n: int, seed: int = 0) -> OrderTable:
    """Synthetic orders: paid over a 6 h spike, shipped and delivered a random time later."""
    rng = np.random.default_rng(seed)
    paid = T0 + np.sort(rng.exponential(1.5 * HOUR, n).astype(np.int64))
    ship = paid + rng.exponential(8 * HOUR, n).astype(np.int64)
    dlv = ship + rng.lognormal(np.log(24 * HOUR), 0.4, n).astype(np.int64)
    dlv[rng.random(n) < 0.01] = np.iinfo(np.int64).min
    from presale_supply.sla.orders import Category

    wh = Category(
        codes=(rng.random(n) < 0.4).astype(np.int32),
        labels=np.array(["WH-East", "WH-North"], dtype=object),
    )
    dest = Category(
        codes=rng.integers(0, 20, n, dtype=np.int32),
        labels=np.array([f"P{k:02d}" for k in range(20)], dtype=object),
    )
    car = Category(
        codes=rng.integers(0, 2, n, dtype=np.int32), labels=np.array(["SF", "JD"], dtype=object)
    )
    return OrderTable.from_arrays(
        order_id=np.arange(n, dtype=np.int64),
        paid_at=paid,
        origin=wh,
        destination=dest,
        warehouse=wh,
        carrier=car,
        shipped_at=ship,
        delivered_at=dlv,
        tz="Asia/Shanghai",
    )


def make_network(n: int) -> Network:
    """Two warehouses sized so that the spike builds a queue of some hours."""
    lanes = tuple(
        Lane(w, f"P{k:02d}", TransitDistribution.lognormal(12 + k, 0.3))
        for w in ("WH-East", "WH-North")
        for k in range(20)
    )
    return Network(
        warehouses=(
            Warehouse("WH-East", n / 10, cutoff="20:00"),
            Warehouse("WH-North", n / 15, cutoff="20:00"),
        ),
        carriers=(Carrier("SF", ("10:00", "16:00", "23:00")), Carrier("JD", ("12:00", "23:30"))),
        lanes=lanes,
        tz="Asia/Shanghai",
    )


def measure(fn: Callable[[], Any]) -> tuple[float, int, Any]:
    """Wall time (s) and tracemalloc peak (bytes) of ``fn()``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    t = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, out


def baseline_audit(df: pd.DataFrame, hours: float) -> int:
    """Row-by-row pandas: one Timestamp comparison per row (the straightforward way)."""
    on_time = 0
    promise = pd.Timedelta(hours=hours)
    for _, row in df.iterrows():
        if pd.isna(row["paid_at"]) or pd.isna(row["delivered_at"]):
            continue
        if row["delivered_at"] <= row["paid_at"] + promise:
            on_time += 1
    return on_time


def baseline_predict(df: pd.DataFrame, net: Network) -> int:
    """Row-by-row FIFO: a Python loop per order keeping each warehouse's next free time."""
    free: dict[str, pd.Timestamp] = {}
    cap = {w.name: w.capacity_per_hour for w in net.warehouses}
    late = 0
    for _, row in df.sort_values("paid_at").iterrows():
        wh = row["warehouse"]
        start = max(row["paid_at"], free.get(wh, row["paid_at"]))
        done = start + pd.Timedelta(hours=1.0 / cap[wh])
        free[wh] = done
        local = done.tz_convert(net.tz)
        ship = local.normalize() + pd.Timedelta(hours=23)
        if ship < local:
            ship += pd.Timedelta(days=1)
        lane = net.lane(wh, row["destination"], row["carrier"])
        assert lane is not None and lane.transit is not None
        if ship + pd.Timedelta(hours=lane.transit.median()) > row["paid_at"] + pd.Timedelta(
            hours=48
        ):
            late += 1
    return late


def to_frame(t: OrderTable, rows: int) -> pd.DataFrame:
    """The first ``rows`` orders as a pandas frame with Timestamps (for the baselines)."""
    k = slice(0, rows)
    return pd.DataFrame(
        {
            "paid_at": pd.to_datetime(t.paid_at[k], utc=True),
            "delivered_at": pd.to_datetime(
                np.where(
                    t.delivered_at[k] == np.iinfo(np.int64).min,
                    np.datetime64("NaT"),
                    t.delivered_at[k].view("datetime64[ns]"),
                ),
                utc=True,
            ),
            "warehouse": t.warehouse.values()[k],
            "destination": t.destination.values()[k],
            "carrier": t.carrier.values()[k],
        }
    )


def run(sizes: list[int], baseline_rows: int) -> list[dict[str, Any]]:
    """Run every size; return one record per size."""
    records = []
    rule = PromiseRule.hours(48)
    base_df: pd.DataFrame | None = None
    base: dict[str, float] = {}
    for n in sizes:
        t_build, m_build, table = measure(lambda n=n: make_orders(n))
        net = make_network(n)
        t_audit, m_audit, res = measure(lambda table=table: audit(table, rule))
        t_pred, m_pred, pred = measure(lambda table=table, net=net: predict(table, net, rule))
        if base_df is None:
            rows = min(baseline_rows, n)
            base_df = to_frame(table, rows)
            ta = time.perf_counter()
            baseline_audit(base_df, 48)
            base["audit_rows_per_s"] = rows / (time.perf_counter() - ta)
            tp = time.perf_counter()
            baseline_predict(base_df, make_network(rows))
            base["predict_rows_per_s"] = rows / (time.perf_counter() - tp)
            base["rows"] = rows
        rec = {
            "orders": n,
            "build_s": t_build,
            "audit_s": t_audit,
            "audit_orders_per_s": n / t_audit,
            "audit_peak_bytes_per_order": m_audit / n,
            "predict_s": t_pred,
            "predict_orders_per_s": n / t_pred,
            "predict_peak_bytes_per_order": m_pred / n,
            "table_bytes_per_order": m_build / n,
            "audit_on_time_rate": res.overall()["rate"],
            "predict_expected_rate": pred.expected_rate(),
            "baseline_rows": int(base["rows"]),
            "baseline_audit_orders_per_s": base["audit_rows_per_s"],
            "baseline_predict_orders_per_s": base["predict_rows_per_s"],
            "audit_speedup": (n / t_audit) / base["audit_rows_per_s"],
            "predict_speedup": (n / t_pred) / base["predict_rows_per_s"],
        }
        print(json.dumps(rec), flush=True)
        records.append(rec)
        del table, res, pred
    return records


def write(records: list[dict[str, Any]]) -> None:
    """Write benchmarks/results/sla_bench.{json,md}."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    (RESULTS / "sla_bench.json").write_text(json.dumps({"meta": meta, "runs": records}, indent=2))
    lines = [
        "# SLA checker benchmark",
        "",
        f"{meta['date']}, Python {meta['python']}, numpy {meta['numpy']}, pandas "
        f"{meta['pandas']}; one process, one core. Generated by `benchmarks/sla_bench.py`.",
        "",
        "| orders | audit s | audit orders/s | audit peak B/order | predict s | predict orders/s "
        "| predict peak B/order | row-by-row audit orders/s | row-by-row predict orders/s "
        "| audit speed-up | predict speed-up |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {r['orders']:,} | {r['audit_s']:.2f} | {r['audit_orders_per_s']:,.0f} | "
            f"{r['audit_peak_bytes_per_order']:.0f} | {r['predict_s']:.2f} | "
            f"{r['predict_orders_per_s']:,.0f} | {r['predict_peak_bytes_per_order']:.0f} | "
            f"{r['baseline_audit_orders_per_s']:,.0f} | "
            f"{r['baseline_predict_orders_per_s']:,.0f} | {r['audit_speedup']:,.0f}x | "
            f"{r['predict_speedup']:,.0f}x |"
        )
    lines += [
        "",
        f"Row-by-row baselines measured on the first {records[0]['baseline_rows']:,} "
        "orders in the same run (their per-row cost does not fall with size).",
        "Peak B/order: tracemalloc peak during the call over the number of orders; the "
        "order table itself (built beforehand) is not included: "
        f"{records[0]['table_bytes_per_order']:.0f} B/order.",
    ]
    (RESULTS / "sla_bench.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    write(run(sizes, args.baseline_rows))


if __name__ == "__main__":
    main()
