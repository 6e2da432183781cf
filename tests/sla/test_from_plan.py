"""Planned arrivals (the planner's orders.csv) become the SLA checker's stock timeline."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.sla.from_plan import stock_frame_from_plan, stock_timeline_from_plan


def test_arrival_days_become_times_and_initial_stock_is_day_one() -> None:
    orders = pd.DataFrame(
        {
            "sku": ["A", "A", "B"],
            "supplier": ["S", "S", "S"],
            "round": [1, 2, 2],
            "order_day": [-3, 8, 8],
            "arrival_day": [0, 11, 12],
            "quantity": [30, 20, 5],
        }
    )
    init = pd.DataFrame({"sku": ["A", "B"], "initial_stock": [7, 0]})
    f = stock_frame_from_plan(orders, "2026-12-01", initial_stock=init, arrival_time=dt.time(8, 0))
    assert list(f.columns) == ["sku", "available_at", "quantity"]
    rows = set(map(tuple, f.to_numpy().tolist()))
    assert ("A", "2026-12-01 08:00:00", 30) in rows  # day 0 counts as day 1, as in the planner
    assert ("A", "2026-12-11 08:00:00", 20) in rows
    assert ("B", "2026-12-12 08:00:00", 5) in rows
    assert ("A", "2026-12-01 00:00:00", 7) in rows
    assert len(f) == 4  # B's zero initial stock is no arrival
    tl = stock_timeline_from_plan(orders, dt.date(2026, 12, 1), tz="Asia/Shanghai")
    assert len(tl.sku) == 3 and int(tl.quantity.sum()) == 55


def test_bad_plan_rows_are_named() -> None:
    orders = pd.DataFrame({"sku": ["A"], "arrival_day": [2.5], "quantity": [3]})
    with pytest.raises(InputError, match=r"row 1.*arrival_day"):
        stock_frame_from_plan(orders, "2026-12-01")
    with pytest.raises(InputError, match="quantity"):
        stock_frame_from_plan(pd.DataFrame({"sku": ["A"], "arrival_day": [2]}), "2026-12-01")
