"""Benchmark of the SLA checker: audit and predict, vectorised vs. a row-by-row pandas baseline.

Usage (from the project root)::

    .venv/bin/python benchmarks/sla_bench.py --sizes 1000000,10000000

Synthetic orders (a 6-hour balance-payment spike, 2 warehouses, 2 carriers, 20 destinations)
are generated as arrays; the order table is built once (``OrderTable.from_arrays``, timed
separately) and then audited and predicted. The row-by-row baselines (``DataFrame.iterrows``
with Timestamp arithmetic, and a Python FIFO loop) run in the same process on the first
``--baseline-rows`` orders, and their throughput is reported for that sample.

Times are measured in this process without any memory tracing. Memory is measured in a fresh
subprocess per size and operation (``--child``), two ways:

* tracemalloc (numpy reports its buffers to it): the bytes the table keeps after it is built,
  and the traced peak during the call -- which counts everything alive, so the peak *including
  the order table* is read directly, and the peak *during the call* is that minus the table;
* peak RSS: the kernel's high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``
  just before the call) minus the RSS after the imports, before the table was built; glibc
  is told to map every block above 128 kB with mmap (``MALLOC_MMAP_THRESHOLD_``) so that freed
  arrays leave RSS. This counts the interpreter's own growth too, so it is an upper bound.

Results go to ``benchmarks/results/sla_bench.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
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


def measure(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Wall time (s) of ``fn(*args)`` and its result (no memory tracing)."""
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")  # pragma: no cover


def child(op: str, n: int) -> dict[str, float]:
    """Memory of one operation on ``n`` orders, measured in this (fresh) process."""
    import ctypes
    import gc

    rule = PromiseRule.hours(48)
    rss_start = _status_kb("VmRSS")
    tracemalloc.start()
    table = make_orders(n)
    net = make_network(n)
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    table_bytes, _ = tracemalloc.get_traced_memory()
    rss_before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    tracemalloc.reset_peak()
    if op == "audit":
        out: Any = audit(table, rule)
    else:
        out = predict(table, net, rule)
    _, peak = tracemalloc.get_traced_memory()
    hwm = _status_kb("VmHWM")
    del out
    return {
        "table_bytes_per_order": table_bytes / n,
        "peak_call_bytes_per_order": (peak - table_bytes) / n,
        "peak_total_bytes_per_order": peak / n,
        "rss_call_bytes_per_order": (hwm - rss_before) / n,
        "rss_total_bytes_per_order": (hwm - rss_start) / n,
    }


def child_memory(op: str, n: int) -> dict[str, float]:
    """Run :func:`child` in a fresh interpreter and return its figures."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", op, "--sizes", str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


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
        load_before = os.getloadavg()[0]
        t_build, table = measure(make_orders, n)
        net = make_network(n)
        t_audit, res = measure(audit, table, rule)
        t_pred, pred = measure(predict, table, net, rule)
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
        audit_rate, pred_rate = res.overall()["rate"], pred.expected_rate()
        del table, res, pred
        mem_a = child_memory("audit", n)
        mem_p = child_memory("predict", n)
        rec = {
            "orders": n,
            "build_s": t_build,
            "audit_s": t_audit,
            "audit_orders_per_s": n / t_audit,
            "audit_peak_bytes_per_order": mem_a["peak_call_bytes_per_order"],
            "audit_peak_total_bytes_per_order": mem_a["peak_total_bytes_per_order"],
            "audit_rss_total_bytes_per_order": mem_a["rss_total_bytes_per_order"],
            "predict_s": t_pred,
            "predict_orders_per_s": n / t_pred,
            "predict_peak_bytes_per_order": mem_p["peak_call_bytes_per_order"],
            "predict_peak_total_bytes_per_order": mem_p["peak_total_bytes_per_order"],
            "predict_rss_call_bytes_per_order": mem_p["rss_call_bytes_per_order"],
            "predict_rss_total_bytes_per_order": mem_p["rss_total_bytes_per_order"],
            "table_bytes_per_order": mem_p["table_bytes_per_order"],
            "audit_on_time_rate": audit_rate,
            "predict_expected_rate": pred_rate,
            "baseline_rows": int(base["rows"]),
            "baseline_audit_orders_per_s": base["audit_rows_per_s"],
            "baseline_predict_orders_per_s": base["predict_rows_per_s"],
            "audit_speedup": (n / t_audit) / base["audit_rows_per_s"],
            "predict_speedup": (n / t_pred) / base["predict_rows_per_s"],
            "load_avg_1min_before": load_before,
            "load_avg_1min_after": os.getloadavg()[0],
        }
        print(json.dumps(rec), flush=True)
        records.append(rec)
    return records


TARGETS = {"predict_s_10m": 30.0, "peak_bytes_per_order": 200.0, "audit_orders_per_s": 2e6}


def verdicts(records: list[dict[str, Any]]) -> list[str]:
    """Pass/fail lines against the issue's targets (for runs of at least 10M orders)."""
    out = []
    for r in records:
        if r["orders"] < 10_000_000:
            continue
        checks = [
            (
                f"predict {r['orders']:,} orders in {r['predict_s']:.2f} s (target < 30 s)",
                r["predict_s"] < TARGETS["predict_s_10m"],
            ),
            (
                f"predict peak {r['predict_peak_total_bytes_per_order']:.0f} B/order including "
                f"the order table, tracemalloc (target < 200); peak RSS "
                f"{r['predict_rss_total_bytes_per_order']:.0f} B/order",
                r["predict_peak_total_bytes_per_order"] < TARGETS["peak_bytes_per_order"],
            ),
            (
                f"audit {r['audit_orders_per_s']:,.0f} orders/s (target >= 2,000,000)",
                r["audit_orders_per_s"] >= TARGETS["audit_orders_per_s"],
            ),
        ]
        out += [f"- {'PASS' if ok else 'FAIL'}: {text}" for text, ok in checks]
    return out


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
    loads = ", ".join(
        f"{r['load_avg_1min_before']:.2f}-{r['load_avg_1min_after']:.2f}" for r in records
    )
    lines = [
        "# SLA checker benchmark",
        "",
        f"{meta['date']}, Python {meta['python']}, numpy {meta['numpy']}, pandas "
        f"{meta['pandas']}; one process, one core ({os.cpu_count()} on the machine; 1-minute "
        f"load average before-after each size: {loads}). Generated by "
        "`benchmarks/sla_bench.py`.",
        "",
        "| orders | audit s | audit orders/s | audit peak B/order | predict s | predict orders/s "
        "| predict peak B/order (call) | predict peak B/order (with table) "
        "| predict peak RSS B/order (with table) | row-by-row audit orders/s "
        "| row-by-row predict orders/s | audit speed-up | predict speed-up |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {r['orders']:,} | {r['audit_s']:.2f} | {r['audit_orders_per_s']:,.0f} | "
            f"{r['audit_peak_bytes_per_order']:.0f} | {r['predict_s']:.2f} | "
            f"{r['predict_orders_per_s']:,.0f} | {r['predict_peak_bytes_per_order']:.0f} | "
            f"{r['predict_peak_total_bytes_per_order']:.0f} | "
            f"{r['predict_rss_total_bytes_per_order']:.0f} | "
            f"{r['baseline_audit_orders_per_s']:,.0f} | "
            f"{r['baseline_predict_orders_per_s']:,.0f} | {r['audit_speedup']:,.0f}x | "
            f"{r['predict_speedup']:,.0f}x |"
        )
    lines += [
        "",
        f"Row-by-row baselines measured on the first {records[0]['baseline_rows']:,} "
        "orders in the same run (their per-row cost does not fall with size).",
        "Times: wall clock in the benchmark process, no memory tracing. Memory: a fresh "
        "subprocess per size and operation. Peak B/order (call): tracemalloc peak during the "
        "call minus the order table; (with table): the tracemalloc peak itself, which counts "
        "the order table alive during the call "
        f"({records[-1]['table_bytes_per_order']:.0f} B/order). Peak RSS: the kernel's "
        "high-water mark during the call minus the RSS before the table was built (an upper "
        "bound: it includes the interpreter's own growth).",
    ]
    if verdicts(records):
        lines += ["", "Targets of the issue:", "", *verdicts(records)]
    (RESULTS / "sla_bench.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    parser.add_argument("--child", choices=("audit", "predict"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.child:
        print(json.dumps(child(args.child, sizes[0])))
        return
    write(run(sizes, args.baseline_rows))


if __name__ == "__main__":
    main()
