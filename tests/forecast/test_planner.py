"""Conversion to the planner's demand and scenario tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.forecast import to_planner_demand, to_planner_scenarios


def _fc() -> pd.DataFrame:
    ds = pd.date_range("2024-12-01", periods=4)
    return pd.DataFrame(
        {
            "unique_id": ["A"] * 4 + ["B"] * 4,
            "ds": list(ds) * 2,
            "mean": [0.3, 0.3, 0.3, 0.3, 10.6, 9.2, 8.4, 7.7],
            "q0.1": [0, 0, 0, 0, 5, 4, 4, 3],
            "q0.5": [0, 0, 0, 0, 10, 9, 8, 7],
            "q0.9": [1, 1, 1, 1, 16, 14, 13, 12],
        }
    )


def test_quantile_demand() -> None:
    out = to_planner_demand(_fc(), 0.9)
    assert list(out.columns) == ["sku", "day", "units"]
    assert out["units"].dtype == np.int64
    assert list(out.loc[out["sku"] == "B", "units"]) == [16, 14, 13, 12]
    assert list(out["day"].unique()) == [1, 2, 3, 4]


def test_mean_demand_keeps_running_totals() -> None:
    out = to_planner_demand(_fc(), "mean")
    a = out.loc[out["sku"] == "A", "units"].to_numpy()
    assert a.sum() == 1  # round(1.2); per-day rounding would have erased it
    b = out.loc[out["sku"] == "B", "units"].to_numpy()
    assert b.sum() == round(10.6 + 9.2 + 8.4 + 7.7)


def test_start_sets_day_one() -> None:
    out = to_planner_demand(_fc(), 0.5, start="2024-11-30")
    assert out["day"].min() == 2
    with pytest.raises(InputError, match="before day 1"):
        to_planner_demand(_fc(), 0.5, start="2024-12-02")


def test_missing_quantile() -> None:
    with pytest.raises(InputError, match=r"q0\.75"):
        to_planner_demand(_fc(), 0.75)


def test_scenarios() -> None:
    paths = pd.DataFrame(
        {
            "scenario": [0, 0, 1, 1],
            "unique_id": ["A", "A", "A", "A"],
            "ds": pd.to_datetime(["2024-12-01", "2024-12-02"] * 2),
            "units": [1, 2, 3, 4],
        }
    )
    out = to_planner_scenarios(paths)
    assert list(out.columns) == ["scenario", "sku", "day", "units"]
    assert list(out["day"]) == [1, 2, 1, 2]
