"""Forecast a presale campaign from history and the first week of deposits, then hand it to the
planner's tables.

Run: ``.venv/bin/python examples/forecast_presale.py``. The data are synthetic: three SKUs with
12 weeks of daily history, two past campaigns with simulated deposits (``overlay_signals``) and
the current campaign's first 7 days of signals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from presale_supply.forecast import (
    ForecastParams,
    forecast,
    overlay_signals,
    to_planner_demand,
    to_planner_scenarios,
)

H = 14


def make_data(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """History, signals (two past campaigns + 7 current days) and the true campaign demand."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-09-02", periods=84 + H, freq="D")
    frames = []
    for sku, level in (("apparel-01", 30.0), ("beauty-07", 12.0), ("digital-03", 4.0)):
        lam = np.full(len(days), level)
        lam[28:42] *= 1.8  # a past campaign
        lam[56:70] *= 1.8  # another one
        lam[84:] *= 2.0  # the campaign being forecast
        frames.append(pd.DataFrame({"unique_id": sku, "ds": days, "y": rng.poisson(lam)}))
    data = pd.concat(frames, ignore_index=True)
    history = data[data["ds"] < days[84]]
    truth = data[data["ds"] >= days[84]]
    past = [
        overlay_signals(data[(data["ds"] >= days[a]) & (data["ds"] < days[a + H])], H, seed=a)
        for a in (28, 56)
    ]
    signals = pd.concat([*past, overlay_signals(truth, 7, seed=1)], ignore_index=True)
    return history, signals, truth


def main() -> None:
    history, signals, truth = make_data()
    res = forecast(history, signals, H, (0.1, 0.5, 0.9), ForecastParams(calibration_windows=3))
    table = res.totals.set_index("unique_id").join(truth.groupby("unique_id")["y"].sum())
    print("campaign totals (forecast with 7 days of deposits vs what happened):")
    print(table.round(1).to_string())
    print("\nnotes:", *res.notes, sep="\n  ")
    demand = to_planner_demand(res, 0.5, start=res.daily["ds"].min())
    scenarios = to_planner_scenarios(res, n_paths=50, seed=0)
    print(f"\nplanner demand: {len(demand)} rows; scenarios: {scenarios['scenario'].nunique()}")
    print(demand.head(3).to_string(index=False))


if __name__ == "__main__":
    main()
