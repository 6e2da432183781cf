"""Rolling-origin backtest and the metrics table, on synthetic and real (carparts) data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from presale_supply.forecast import ForecastParams, backtest, metrics, metrics_table


def test_backtest_holds_out_windows(synth: Callable[..., pd.DataFrame]) -> None:
    hist = synth(days=70)
    bt = backtest(hist, 7, 2, params=ForecastParams(calibration_windows=2), progress=False)
    assert len(bt) == 4 * 7 * 2
    assert bt["cutoff"].nunique() == 2
    # held-out values are the real ones, and each forecast starts after its cutoff
    merged = bt.merge(hist.assign(ds=pd.to_datetime(hist["ds"])), on=["unique_id", "ds"])
    np.testing.assert_array_equal(merged["y_x"], merged["y_y"])
    assert (bt["ds"] > bt["cutoff"]).all()
    table = metrics_table(bt, hist, season=7)
    row = table.iloc[0]
    assert row["wape"] == pytest.approx(metrics.wape(bt["y"], bt["mean"]))
    assert 0.0 <= row["coverage"] <= 1.0 and np.isfinite(row["mase"])


@pytest.mark.shared_data
def test_carparts_subset_backtest(carparts_file: Path) -> None:
    """Real intermittent monthly data: most series are intermittent; backtest metrics finite."""
    wide = pd.read_csv(carparts_file, dtype={"Part": str}).iloc[:60]
    months = pd.to_datetime(wide.columns[1:], format="%b-%y")
    long = wide.melt(id_vars="Part", var_name="m", value_name="y").dropna()
    long["ds"] = months[wide.columns[1:].get_indexer(long["m"])]
    long = long.rename(columns={"Part": "unique_id"})[["unique_id", "ds", "y"]]
    bt = backtest(long, 6, 1, params=ForecastParams(calibration_windows=2), progress=False)
    table = metrics_table(bt, long, season=12)
    assert np.isfinite(table.loc[0, "mase"]) and 0 < table.loc[0, "mase"] < 5
