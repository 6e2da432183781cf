"""Conversion of forecasts into the planner's demand tables.

The planner reads demand as ``sku, day, units`` (day 1 = first campaign day, whole units) and
scenarios as ``scenario, sku, day, units``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.forecast.forecaster import ForecastResult, quantile_column

__all__ = ["to_planner_demand", "to_planner_scenarios"]


def _days(ds: pd.Series, start: str | pd.Timestamp | None, source: str) -> np.ndarray:
    dates = pd.to_datetime(ds)
    first = dates.min() if start is None else pd.Timestamp(start)
    day = (dates - first).dt.days.to_numpy() + 1
    if (day < 1).any():
        k = int(np.flatnonzero(day < 1)[0])
        raise InputError(
            f"date before day 1 ({first.date()}).",
            file=source,
            row=k + 1,
            column="ds",
            value=str(dates.iloc[k].date()),
        )
    return day.astype(np.int64)


def _round_preserving_total(values: np.ndarray) -> np.ndarray:
    """Whole units whose running total is the rounded running total of ``values``."""
    cum = np.round(np.cumsum(values))
    return np.diff(np.r_[0.0, cum]).astype(np.int64)


def to_planner_demand(
    forecast_df: pd.DataFrame | ForecastResult,
    quantile: float | Literal["mean"] = 0.5,
    start: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Planner demand ``sku, day, units`` from a forecast.

    Parameters
    ----------
    forecast_df : pandas.DataFrame or ForecastResult
        ``unique_id, ds, mean, q...`` (the forecaster's daily output).
    quantile : float or "mean"
        Which column becomes demand. ``"mean"`` is rounded per SKU so that each running total
        is the rounded running total of the means (a 0.3-a-day SKU keeps its demand).
    start : date, optional
        The date of day 1 (default: the earliest ``ds``).

    Raises
    ------
    InputError
        If the requested quantile is not in the forecast or a date precedes ``start``.
    """
    df = forecast_df.daily if isinstance(forecast_df, ForecastResult) else forecast_df
    col = "mean" if quantile == "mean" else quantile_column(float(quantile))
    if col not in df.columns:
        have = [c for c in df.columns if c.startswith("q") or c == "mean"]
        raise InputError(
            f"the forecast has no column {col!r}; available: {have}.",
            column=col,
            value=quantile,
        )
    out = pd.DataFrame(
        {
            "sku": df["unique_id"].astype(str).to_numpy(),
            "day": _days(df["ds"], start, "forecast"),
            "units": df[col].to_numpy(dtype=float),
        }
    ).sort_values(["sku", "day"], kind="stable")
    if col == "mean":
        out["units"] = out.groupby("sku", sort=False)["units"].transform(
            lambda s: _round_preserving_total(s.to_numpy())
        )
    out["units"] = np.round(out["units"].to_numpy()).astype(np.int64)
    return out.reset_index(drop=True)


def to_planner_scenarios(
    paths: pd.DataFrame | ForecastResult,
    start: str | pd.Timestamp | None = None,
    *,
    n_paths: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Planner scenarios ``scenario, sku, day, units`` from sample paths.

    Parameters
    ----------
    paths : pandas.DataFrame or ForecastResult
        ``scenario, unique_id, ds, units`` (from :meth:`ForecastResult.sample_paths`), or a
        result to sample ``n_paths`` paths from with ``seed``.
    start : date, optional
        The date of day 1 (default: the earliest ``ds``).
    """
    df = paths.sample_paths(n_paths, seed) if isinstance(paths, ForecastResult) else paths
    missing = [c for c in ("scenario", "unique_id", "ds", "units") if c not in df.columns]
    if missing:
        raise InputError(f"sample paths need columns {missing}.", column=missing[0])
    return pd.DataFrame(
        {
            "scenario": df["scenario"].to_numpy(dtype=np.int64),
            "sku": df["unique_id"].astype(str).to_numpy(),
            "day": _days(df["ds"], start, "paths"),
            "units": df["units"].to_numpy(dtype=np.int64),
        }
    )
