"""Turn a replenishment plan's arrivals into the SLA checker's stock timeline.

The planner writes ``orders.csv`` (``sku, ..., arrival_day, quantity``, day 1 = the campaign's
first day) and the SKU table's ``initial_stock``. The SLA checker needs ``sku, available_at,
quantity`` with real times. This module converts one into the other, so orders waiting for
planned stock count against the delivery promise. It takes DataFrames only and does not import
the planner.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.sla.simulate import StockTimeline
from presale_supply.validation import numeric_column, require_columns, string_column

__all__ = ["stock_frame_from_plan", "stock_timeline_from_plan"]


def stock_frame_from_plan(
    orders: pd.DataFrame,
    start_date: dt.date | str,
    *,
    initial_stock: pd.DataFrame | None = None,
    arrival_time: dt.time = dt.time(0, 0),
    source: str = "orders",
) -> pd.DataFrame:
    """A ``sku, available_at, quantity`` table from planned arrivals.

    Parameters
    ----------
    orders : DataFrame
        At least ``sku, arrival_day, quantity`` (the planner's ``orders.csv``).
    start_date : date or ISO string
        Calendar date of campaign day 1.
    initial_stock : DataFrame, optional
        ``sku, initial_stock``: stock on hand before day 1, available at day 1.
    arrival_time : time
        Local clock time at which a day's arrivals can be picked (default 00:00).

    Raises
    ------
    InputError
        Missing columns, a non-whole day or a negative quantity (naming the row).
    """
    require_columns(
        orders[[c for c in orders.columns if c in ("sku", "arrival_day", "quantity")]],
        ("sku", "arrival_day", "quantity"),
        (),
        source,
    )
    try:
        day1 = pd.Timestamp(start_date).normalize()
    except (ValueError, TypeError):
        raise InputError(
            "start_date must be a date like 2026-12-01.", column="start_date", value=start_date
        ) from None
    df = orders.reset_index(drop=True)
    sku = string_column(df, "sku", source)
    day = numeric_column(df, "arrival_day", source, integer=True)
    qty = numeric_column(df, "quantity", source, minimum=0, integer=True)
    offset = pd.Timedelta(hours=arrival_time.hour, minutes=arrival_time.minute)
    # an arrival before day 1 is stock on day 1 (as in the planner)
    when = day1 + pd.to_timedelta(np.maximum(day, 1) - 1, unit="D") + offset
    frames = [pd.DataFrame({"sku": sku, "available_at": when, "quantity": qty})]
    if initial_stock is not None:
        init = initial_stock.reset_index(drop=True)
        isku = string_column(init, "sku", "initial_stock")
        iq = numeric_column(init, "initial_stock", "initial_stock", minimum=0, integer=True)
        frames.append(pd.DataFrame({"sku": isku, "available_at": day1, "quantity": iq}))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["quantity"] > 0].sort_values(["available_at", "sku"], kind="stable")
    out["available_at"] = out["available_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return out.reset_index(drop=True)


def stock_timeline_from_plan(
    orders: pd.DataFrame,
    start_date: dt.date | str,
    *,
    initial_stock: pd.DataFrame | None = None,
    arrival_time: dt.time = dt.time(0, 0),
    tz: str = "UTC",
) -> StockTimeline:
    """:func:`stock_frame_from_plan`, validated into a :class:`StockTimeline` in zone ``tz``."""
    frame = stock_frame_from_plan(
        orders, start_date, initial_stock=initial_stock, arrival_time=arrival_time
    )
    return StockTimeline.from_frame(frame, tz=tz, source="planned arrivals")
