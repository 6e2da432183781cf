"""Audit 10,000 real Olist orders (Brazil, 2017) against their own promise and a 48-hour one.

Run from the project root::

    .venv/bin/python examples/olist_audit.py            # reads ../shared/data/olist
    .venv/bin/python examples/olist_audit.py --data-dir /path/to/olist --json

Mapping to the canonical order table (one row per order; nothing dropped):

* ``order_id``      -- orders.order_id
* ``paid_at``       -- orders.order_approved_at (payment approved: the promise clock starts)
* ``shipped_at``    -- orders.order_delivered_carrier_date (handed to the carrier)
* ``delivered_at``  -- orders.order_delivered_customer_date
* ``promised_by``   -- orders.order_estimated_delivery_date (a date, 00:00)
* ``status``        -- orders.order_status
* ``origin``        -- seller_state of the order's first item (order_item_id 1); orders without
  items have no origin, which the quality report counts
* ``destination``   -- customer_state
* ``warehouse``     -- seller_id of the first item; ``sku`` its product_id; ``quantity`` the
  number of items

Timestamps are naive local time; the zone declared is America/Sao_Paulo. The data is licensed
CC BY-NC-SA 4.0 and is read in place, never copied.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from presale_supply.sla import (
    AuditResult,
    Granularity,
    OrderTable,
    PromiseRule,
    audit,
)

DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "olist"
TZ = "America/Sao_Paulo"


def load_olist(data_dir: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Join the four Olist files into the canonical columns; also count source-level faults.

    Returns
    -------
    (DataFrame, dict)
        The canonical order frame (one row per order of orders.csv, in file order) and counts of
        faults that live outside the canonical table (zip prefixes that lost a leading zero,
        orders whose items come from sellers in several states).
    """
    read = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    orders = pd.read_csv(data_dir / "orders.csv", **read)
    items = pd.read_csv(data_dir / "order_items.csv", **read)
    sellers = pd.read_csv(data_dir / "sellers.csv", **read)
    customers = pd.read_csv(data_dir / "customers.csv", **read)

    items = items.merge(sellers[["seller_id", "seller_state"]], on="seller_id", how="left")
    items["order_item_id"] = pd.to_numeric(items["order_item_id"])
    first = items.sort_values(["order_id", "order_item_id"]).drop_duplicates("order_id")
    n_items = items.groupby("order_id").size().rename("quantity")
    states_per_order = items.groupby("order_id")["seller_state"].nunique()

    frame = (
        orders.merge(customers[["customer_id", "customer_state"]], on="customer_id", how="left")
        .merge(
            first[["order_id", "seller_state", "seller_id", "product_id"]],
            on="order_id",
            how="left",
        )
        .merge(n_items, on="order_id", how="left")
    )
    if len(frame) != len(orders):  # the joins are one-to-one by construction
        raise RuntimeError("join changed the number of orders")
    canonical = pd.DataFrame(
        {
            "order_id": frame["order_id"],
            "paid_at": frame["order_approved_at"],
            "origin": frame["seller_state"],
            "destination": frame["customer_state"],
            "warehouse": frame["seller_id"],
            "sku": frame["product_id"],
            "quantity": frame["quantity"].fillna(1).astype(int),
            "promised_by": frame["order_estimated_delivery_date"],
            "shipped_at": frame["order_delivered_carrier_date"],
            "delivered_at": frame["order_delivered_customer_date"],
            "status": frame["order_status"],
        }
    )
    extra = {
        "orders_without_items": int(frame["seller_state"].isna().sum()),
        "orders_with_sellers_in_several_states": int((states_per_order > 1).sum()),
        "customer_zip_prefix_shorter_than_5": int(
            (customers["customer_zip_code_prefix"].str.len() < 5).sum()
        ),
        "seller_zip_prefix_shorter_than_5": int(
            (sellers["seller_zip_code_prefix"].str.len() < 5).sum()
        ),
    }
    return canonical, extra


def run(data_dir: Path) -> dict[str, object]:
    """Run the three audits and return a JSON-ready report."""
    frame, extra = load_olist(data_dir)
    table = OrderTable.from_frame(frame, tz=TZ, source=str(data_dir / "orders.csv"))
    results: dict[str, AuditResult] = {
        "promised_timestamp": audit(table, PromiseRule.from_column(Granularity.EXACT)),
        "promised_date": audit(table, PromiseRule.from_column(Granularity.DAY)),
        "within_48h": audit(table, PromiseRule.hours(48)),
    }
    return {
        "orders": len(table),
        "audits": {name: r.to_dict(["origin"]) for name, r in results.items()},
        "source_faults": extra,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args(argv)
    if not (args.data_dir / "orders.csv").exists():
        print(f"olist data not found in {args.data_dir}", file=sys.stderr)
        return 2
    report = run(args.data_dir)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    audits = report["audits"]
    assert isinstance(audits, dict)
    print(f"{report['orders']} orders read from {args.data_dir.resolve()}")
    for name, res in audits.items():
        o = res["overall"]
        rate = "n/a" if o["rate"] is None else f"{o['rate']:.2%}"
        print(
            f"{name:>20}: late {o['late']:>5} of {o['decided']:>5} decided "
            f"(on time {o['on_time']}, undetermined {o['undetermined']}, total {o['total']}); "
            f"on-time rate {rate}"
        )
    print("data quality (rows flagged, all kept):")
    for kind, count in audits["promised_timestamp"]["quality"].items():
        if count:
            print(f"  {kind:<40} {count}")
    print("source faults outside the canonical table:")
    for kind, count in report["source_faults"].items():  # type: ignore[union-attr]
        print(f"  {kind:<40} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
