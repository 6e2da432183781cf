"""Turn planner, forecaster and SLA outputs into the plain tables the report draws.

Every function here takes DataFrames, arrays or duck-typed results and returns DataFrames, so the
figures (:mod:`presale_supply.report.figures`) never see a domain object. Nothing here imports
matplotlib, and the planner, forecaster and SLA checker are imported only inside the functions
that use them.

Demand bands (figure 1) come from one of three sources, best first:

* forecast sample paths (:meth:`ForecastResult.sample_paths`): paths are summed over the SKUs of
  a category, then the quantiles are taken per day, which is exact for the forecaster's model
  (SKUs independent given their forecast);
* a forecast's daily quantile table (``unique_id, ds, mean, q...``, e.g. the CSV written by
  ``presale-supply forecast``): each SKU-day is approximated by a normal distribution with the
  forecast mean and the spread of its outer quantiles, SKUs are summed as independent;
* the planning problem's demand: weighted quantiles over its scenarios, or the single demand line
  of a deterministic plan (the band then has zero width).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError

__all__ = [
    "BAND_LEVELS",
    "POLICY_COLUMNS",
    "SlaByHour",
    "balance_payment_day",
    "band_column",
    "demand_bands_from_daily_quantiles",
    "demand_bands_from_paths",
    "demand_bands_from_problem",
    "plan_table",
    "read_policy_table",
    "sla_by_hour",
    "validate_policy_table",
]

#: Quantile levels of the demand bands: the 80% band (0.1-0.9), the 50% band and the median.
BAND_LEVELS: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)

#: Columns of the policy comparison table (written by the stochastic simulation).
POLICY_COLUMNS: tuple[str, ...] = (
    "policy",
    "expected_cost",
    "cost_ci_low",
    "cost_ci_high",
    "fill_rate",
    "sell_through",
    "cleared_last_3_days",
    "peak_capacity_use",
    "regret",
)


def band_column(q: float) -> str:
    """Column name of quantile level ``q`` in a band table (``0.1 -> "q0.1"``, as the
    forecaster names them)."""
    return f"q{q:g}"


def plan_table(plan: Any, name: str) -> pd.DataFrame:
    """Table ``name`` (``orders``, ``inventory``, ``capacity``, ``production``) of a plan result,
    whether the result exposes it as a property or as a method."""
    value = getattr(plan, name)
    table = value() if callable(value) else value
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"plan.{name} is not a DataFrame: {type(table).__name__}")
    return table


# ---- demand bands ---------------------------------------------------------------------------
def _bands_from_matrix(
    values: np.ndarray,
    categories: np.ndarray,
    days: np.ndarray,
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Quantile bands from ``values`` of shape (scenarios, categories, days)."""
    rows = []
    levels = np.asarray(BAND_LEVELS)
    for c, cat in enumerate(categories):
        for t, day in enumerate(days):
            x = values[:, c, t].astype(float)
            if weights is None:
                q = np.quantile(x, levels)
            else:
                order = np.argsort(x, kind="stable")
                cw = np.cumsum(weights[order])
                cw /= cw[-1]
                q = x[order][np.minimum(np.searchsorted(cw, levels - 1e-12), len(x) - 1)]
            rows.append(
                {
                    "category": str(cat),
                    "day": int(day),
                    "mean": float(np.average(x, weights=weights)),
                    **{band_column(lv): float(v) for lv, v in zip(BAND_LEVELS, q, strict=True)},
                }
            )
    return pd.DataFrame(rows)


def _category_codes(
    skus: Sequence[str], sku_category: Mapping[str, str], source: str
) -> tuple[np.ndarray, np.ndarray]:
    missing = [s for s in skus if s not in sku_category]
    if missing:
        raise InputError(
            f"{len(missing)} SKU(s) have no category (first: {missing[0]!r}); give a category "
            "for every SKU of the forecast.",
            file=source,
            column="unique_id",
            value=missing[0],
        )
    cats = np.array([sku_category[s] for s in skus], dtype=object)
    uniq, codes = np.unique(cats.astype(str), return_inverse=True)
    return uniq, codes


def _days_of(ds: pd.Series, start_date: dt.date | None) -> np.ndarray:
    dates = pd.to_datetime(ds)
    first = dates.min() if start_date is None else pd.Timestamp(start_date)
    return ((dates - first).dt.days + 1).to_numpy(dtype=np.int64)


def demand_bands_from_paths(
    paths: pd.DataFrame,
    sku_category: Mapping[str, str],
    start_date: dt.date | None = None,
) -> pd.DataFrame:
    """Category demand bands from forecast sample paths.

    Parameters
    ----------
    paths : DataFrame
        ``scenario, unique_id, ds, units`` (:meth:`ForecastResult.sample_paths`).
    sku_category : mapping
        Category of every SKU (``unique_id``).
    start_date : date, optional
        Date of campaign day 1 (default: the earliest ``ds``).

    Returns
    -------
    DataFrame
        ``category, day, mean, q0.1, q0.25, q0.5, q0.75, q0.9``: the quantiles over paths of
        the category's daily total.

    Raises
    ------
    InputError
        A column is missing or a SKU has no category.
    """
    missing = [c for c in ("scenario", "unique_id", "ds", "units") if c not in paths.columns]
    if missing:
        raise InputError(f"sample paths need columns {missing}.", column=missing[0])
    ids = paths["unique_id"].astype(str)
    uniq_ids = pd.unique(ids)
    cats, code_of_id = _category_codes(list(uniq_ids), sku_category, "sample paths")
    id_code = pd.Series(code_of_id, index=uniq_ids)
    day = _days_of(paths["ds"], start_date)
    days = np.unique(day)
    scen = paths["scenario"].to_numpy()
    uscen, s_idx = np.unique(scen, return_inverse=True)
    out = np.zeros((len(uscen), len(cats), len(days)))
    np.add.at(
        out,
        (s_idx, id_code.loc[ids].to_numpy(), np.searchsorted(days, day)),
        paths["units"].to_numpy(dtype=float),
    )
    return _bands_from_matrix(out, cats, days)


def demand_bands_from_daily_quantiles(
    daily: pd.DataFrame,
    sku_category: Mapping[str, str],
    start_date: dt.date | None = None,
) -> pd.DataFrame:
    """Category demand bands from a forecast's daily quantiles (normal approximation).

    Each SKU-day is taken as normal with the forecast ``mean`` (``q0.5`` without one) and a
    standard deviation from its widest symmetric pair of quantiles (e.g. ``(q0.9 - q0.1) /
    2.563``); SKUs are summed as independent and the band is clipped at zero.

    Parameters
    ----------
    daily : DataFrame
        ``unique_id, ds, mean, q...`` (:attr:`ForecastResult.daily`).
    sku_category : mapping
        Category of every SKU.
    start_date : date, optional
        Date of campaign day 1 (default: the earliest ``ds``).

    Raises
    ------
    InputError
        Missing columns, no symmetric quantile pair, or a SKU without a category.
    """
    for c in ("unique_id", "ds"):
        if c not in daily.columns:
            raise InputError(f"the forecast needs a column {c!r}.", column=c)
    levels = {}
    for c in daily.columns:
        if isinstance(c, str) and c.startswith("q"):
            try:
                levels[float(c[1:])] = c
            except ValueError:
                continue
    pairs = [q for q in levels if q < 0.5 and round(1 - q, 9) in {round(x, 9) for x in levels}]
    if not pairs:
        raise InputError(
            "the forecast needs a symmetric pair of quantile columns such as q0.1 and q0.9; "
            f"it has {sorted(levels.values())}.",
            column="q",
        )
    lo = min(pairs)
    hi_col = next(c for q, c in levels.items() if abs(q - (1 - lo)) < 1e-9)
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - lo)
    centre = daily["mean"] if "mean" in daily.columns else daily[levels.get(0.5, hi_col)]
    sd = (daily[hi_col].astype(float) - daily[levels[lo]].astype(float)).clip(lower=0) / (2 * z)
    ids = daily["unique_id"].astype(str)
    cats, code_of_id = _category_codes(list(pd.unique(ids)), sku_category, "forecast")
    id_code = pd.Series(code_of_id, index=pd.unique(ids))
    frame = pd.DataFrame(
        {
            "category": cats[id_code.loc[ids].to_numpy()],
            "day": _days_of(daily["ds"], start_date),
            "mean": centre.astype(float).to_numpy(),
            "var": (sd**2).to_numpy(),
        }
    )
    agg = frame.groupby(["category", "day"], sort=True)[["mean", "var"]].sum().reset_index()
    s = np.sqrt(agg["var"].to_numpy())
    nd = NormalDist()
    for lv in BAND_LEVELS:
        agg[band_column(lv)] = np.maximum(agg["mean"].to_numpy() + nd.inv_cdf(lv) * s, 0.0)
    return agg.drop(columns="var")


def demand_bands_from_problem(problem: Any) -> pd.DataFrame:
    """Category demand bands from a planning problem's demand (weighted over scenarios).

    A deterministic problem (one scenario) gives bands of zero width: every column equals the
    plan's demand.
    """
    units = np.asarray(problem.demand.units)  # (S, N, T)
    weights = np.asarray(problem.demand.weights, dtype=float)
    cats, codes = np.unique(np.asarray(problem.skus.category, dtype=str), return_inverse=True)
    S, _, T = units.shape
    by_cat = np.zeros((S, len(cats), T))
    for c in range(len(cats)):
        by_cat[:, c, :] = units[:, codes == c, :].sum(axis=1)
    return _bands_from_matrix(by_cat, cats, np.arange(1, T + 1), weights if S > 1 else None)


# ---- campaign calendar ----------------------------------------------------------------------
def balance_payment_day(campaign: Any, daily_demand: np.ndarray | None = None) -> int:
    """Campaign day of the balance payment: the last day of the ``presale`` stage.

    Without a stage named ``presale``, the day of highest total demand (``daily_demand``, one
    value per campaign day), or day 1.
    """
    starts = campaign.stage_starts()
    if "presale" in starts:
        for s in campaign.stages:
            if s.name == "presale":
                return int(starts["presale"] + s.days - 1)
    if daily_demand is not None and len(daily_demand):
        return int(np.argmax(daily_demand)) + 1
    return 1


# ---- SLA around the balance-payment spike ---------------------------------------------------
@dataclass(frozen=True)
class SlaByHour:
    """The 48-hour promise around the balance-payment spike, per paid hour.

    Attributes
    ----------
    hourly : DataFrame
        ``hour`` (local ``YYYY-MM-DD HH:00``), ``orders``, ``rate`` (expected on-time rate with
        the warehouse network alone) and, when a plan was given, ``rate_with_stock`` (orders also
        wait for the plan's stock).
    overall : dict
        ``orders``, ``rate``, ``rate_with_stock`` (or None), ``not_eligible``, ``late``,
        ``late_with_stock``.
    spike_start : str
        Local time the balance payment opens.
    notes : tuple of str
        How the check was made, in planner words.
    """

    hourly: pd.DataFrame
    overall: dict[str, Any]
    spike_start: str
    notes: tuple[str, ...] = field(default=())


def _scaled_stock(
    order_sku: np.ndarray,
    order_qty: np.ndarray,
    inventory: pd.DataFrame,
    plan_orders: pd.DataFrame,
    initial_stock: pd.Series,
    balance_day: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plan stock scaled to the SLA orders: (``sku, arrival_day, quantity``, ``sku,
    initial_stock``)."""
    dem = inventory.loc[inventory["day"] == balance_day].set_index("sku")["demand"].astype(float)
    sla_units = pd.Series(order_qty, index=order_sku).groupby(level=0).sum().astype(float)
    factor = (sla_units / dem.reindex(sla_units.index)).replace([np.inf], np.nan).fillna(0.0)
    if balance_day > 1:
        prev = inventory.loc[inventory["day"] == balance_day - 1].set_index("sku")["on_hand"]
    else:
        prev = initial_stock
    start = pd.Series(
        np.floor(prev.reindex(factor.index).fillna(0).astype(float) * factor), index=factor.index
    )
    arr = plan_orders.loc[plan_orders["arrival_day"] >= balance_day]
    arr = arr.loc[arr["sku"].isin(factor.index)]
    arr_q = np.floor(arr["quantity"].to_numpy(float) * factor.loc[arr["sku"]].to_numpy())
    arrivals = pd.DataFrame(
        {
            "sku": arr["sku"].to_numpy(),
            "arrival_day": arr["arrival_day"].to_numpy(np.int64),
            "quantity": arr_q.astype(np.int64),
        }
    )
    init = pd.DataFrame({"sku": start.index.to_numpy(), "initial_stock": start.to_numpy(np.int64)})
    return arrivals, init


def sla_by_hour(
    campaign: Any,
    *,
    plan_orders: pd.DataFrame | None = None,
    inventory: pd.DataFrame | None = None,
    initial_stock: pd.Series | None = None,
    seed: int = 0,
    n_orders: int = 20_000,
    promise_hours: float = 48.0,
) -> SlaByHour:
    """Run the SLA checker's example spike on the campaign's balance-payment evening.

    The orders and the two-warehouse network are
    :func:`presale_supply.sla.example.example_network_and_orders`, with payments opening at
    20:00 (local) on the :func:`balance_payment_day`. With a plan (``plan_orders`` and
    ``inventory``, the plan's ``orders`` and ``inventory`` tables, and the SKUs'
    ``initial_stock``), each order is given one of the plan's SKUs, drawn in proportion to the
    SKU's demand on that day, and the plan's stock on hand the evening before plus its later
    arrivals are scaled by (SLA units of the SKU / plan demand of the SKU that day), so a SKU
    the plan covers at 80% is covered at 80% in the check; orders then also wait for stock
    (:mod:`presale_supply.sla.from_plan`).

    Parameters
    ----------
    campaign : Campaign
        Its stages give the balance-payment day and its ``start_date`` the calendar (default
        2026-12-01 when absent).
    plan_orders, inventory : DataFrame, optional
        The plan's ``orders`` and ``inventory`` tables (both or neither).
    initial_stock : Series, optional
        Initial stock per SKU (index ``sku``); used when the balance payment is on day 1.
    seed, n_orders : int
        Seed and size of the example spike.
    promise_hours : float
        The delivery promise (default 48 hours after payment).

    Returns
    -------
    SlaByHour

    Raises
    ------
    InputError
        Only one of ``plan_orders`` and ``inventory`` given.
    """
    from presale_supply.sla.example import example_network_and_orders
    from presale_supply.sla.from_plan import stock_timeline_from_plan
    from presale_supply.sla.orders import OrderTable
    from presale_supply.sla.promise import PromiseRule
    from presale_supply.sla.simulate import predict

    if (plan_orders is None) != (inventory is None):
        raise InputError("give both plan_orders and inventory, or neither.")
    daily = None
    if inventory is not None:
        daily = inventory.groupby("day")["demand"].sum().sort_index().to_numpy()
    bday = balance_payment_day(campaign, daily)
    start = campaign.start_date or dt.date(2026, 12, 1)
    spike_date = start + dt.timedelta(days=bday - 1)
    spike = f"{spike_date.isoformat()} 20:00"
    network, frame = example_network_and_orders(seed, n_orders, spike_start=spike)
    rule = PromiseRule.hours(promise_hours)
    notes = [
        f"{n_orders:,} synthetic orders paid after the balance payment opens at {spike} "
        f"(campaign day {bday}), packed by the SLA example's two warehouses "
        f"({', '.join(f'{w.name} {w.capacity_per_hour:g}/h' for w in network.warehouses)}); "
        f"promise: {rule.describe()}."
    ]
    orders = OrderTable.from_frame(frame, tz=network.tz, source="<example orders>")
    pred = predict(orders, network, rule)
    rates = pred.rates(["paid_hour"]).rename(columns={"paid_hour": "hour", "total": "orders"})
    hourly = rates[["hour", "orders", "rate"]].copy()
    ov = pred.overall()
    overall: dict[str, Any] = {
        "orders": ov["total"],
        "rate": ov["rate"],
        "late": ov["late"],
        "not_eligible": ov["not_eligible"],
        "rate_with_stock": None,
        "late_with_stock": None,
    }
    if plan_orders is not None and inventory is not None:
        dem = inventory.loc[inventory["day"] == bday, ["sku", "demand"]]
        dem = dem.loc[dem["demand"] > 0]
        if len(dem):
            rng = np.random.default_rng(seed + 1)
            p = dem["demand"].to_numpy(float)
            skus = rng.choice(dem["sku"].to_numpy(dtype=object), size=len(frame), p=p / p.sum())
            frame = frame.assign(sku=skus.astype(str))
            arrivals, init = _scaled_stock(
                frame["sku"].to_numpy(),
                frame["quantity"].to_numpy(),
                inventory,
                plan_orders,
                initial_stock if initial_stock is not None else pd.Series(dtype=float),
                bday,
            )
            stock = stock_timeline_from_plan(
                arrivals, start, initial_stock=init, arrival_time=dt.time(8, 0), tz=network.tz
            )
            orders = OrderTable.from_frame(frame, tz=network.tz, source="<example orders>")
            pred_s = predict(orders, network, rule, stock=stock)
            rs = pred_s.rates(["paid_hour"]).set_index("paid_hour")["rate"]
            hourly["rate_with_stock"] = rs.reindex(hourly["hour"]).to_numpy()
            ovs = pred_s.overall()
            overall["rate_with_stock"] = ovs["rate"]
            overall["late_with_stock"] = ovs["late"]
            notes.append(
                "With the plan's stock: each order takes one of the plan's SKUs in proportion "
                f"to its demand on day {bday}; the stock on hand the evening before and the "
                "later arrivals (usable from 08:00 on their day) are scaled to the orders, so "
                "a SKU keeps the coverage the plan gives it."
            )
    return SlaByHour(hourly.reset_index(drop=True), overall, spike, tuple(notes))


# ---- policy comparison ----------------------------------------------------------------------
def validate_policy_table(df: pd.DataFrame, source: str = "policy table") -> pd.DataFrame:
    """Check a policy comparison table and return it with numeric columns as floats.

    Raises
    ------
    InputError
        A column of :data:`POLICY_COLUMNS` is missing, or a value is not a number (naming the
        row and column).
    """
    missing = [c for c in POLICY_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"the policy comparison needs columns {list(POLICY_COLUMNS)}; missing {missing}.",
            file=source,
            column=missing[0],
        )
    if len(df) == 0:
        raise InputError("the policy comparison has no rows.", file=source)
    out = df.reset_index(drop=True).copy()
    out["policy"] = out["policy"].astype(str)
    for c in POLICY_COLUMNS[1:]:
        num = pd.to_numeric(out[c], errors="coerce")
        bad = num.isna() & out[c].notna()
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                "must be a number.", file=source, row=k + 1, column=c, value=out[c].iloc[k]
            )
        out[c] = num.astype(float)
    return out


def read_policy_table(path: str | Path) -> pd.DataFrame:
    """Read and validate a policy comparison CSV (columns :data:`POLICY_COLUMNS`).

    Raises
    ------
    InputError
        File missing or unreadable, or invalid content.
    """
    from presale_supply.io import read_csv

    return validate_policy_table(read_csv(path), str(path))
