"""Contract every model obeys: shapes, whole non-negative monotone quantiles, fit+predict.

``fit`` then ``predict`` must equal ``forecast``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from presale_supply.forecast import BaseModel, Forecaster, ForecastParams, forecast
from presale_supply.forecast.baseline import HistoryModel, classify
from presale_supply.forecast.params import DemandPattern, SelectionPolicy

QS = (0.05, 0.1, 0.5, 0.9, 0.95)
FAST = ForecastParams(calibration_windows=2)


@pytest.mark.parametrize("model", list(BaseModel))
def test_history_model_fit_predict_equals_forecast(model: BaseModel) -> None:
    rng = np.random.default_rng(1)
    y = rng.poisson(4.0, 60).astype(float) * (rng.random(60) < 0.6)
    m = HistoryModel(model, season_length=7)
    a = m.fit(y).predict(10)
    b = HistoryModel(model, season_length=7).forecast(y, 10)
    assert a.shape == (10,)
    assert np.all(a >= 0)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("model", list(BaseModel))
def test_history_model_degenerate_series(model: BaseModel) -> None:
    assert np.all(HistoryModel(model, 7).forecast(np.zeros(20), 5) == 0)
    short = HistoryModel(model, 7).forecast(np.array([3.0, 0.0, 2.0]), 4)
    assert short.shape == (4,) and np.all(np.isfinite(short)) and np.all(short >= 0)


def test_classify_syntetos_boylan() -> None:
    assert classify(np.full(20, 5.0)) is DemandPattern.SMOOTH
    assert classify(np.array([0, 0, 0, 5, 0, 0, 0, 5] * 3)) is DemandPattern.INTERMITTENT
    assert classify(np.array([0, 0, 0, 1, 0, 0, 0, 40] * 3)) is DemandPattern.LUMPY
    assert classify(np.array([1, 30, 2, 40, 1, 25] * 3)) is DemandPattern.ERRATIC


@pytest.mark.parametrize(
    "params",
    [
        FAST,
        ForecastParams(calibration_windows=0, selection=SelectionPolicy.INTERMITTENT_ONLY),
        ForecastParams(
            calibration_windows=2,
            selection=SelectionPolicy.SMOOTH_ONLY,
            smooth_model=BaseModel.SEASONAL_NAIVE,
        ),
    ],
    ids=["pattern", "intermittent-only", "seasonal-naive"],
)
def test_forecaster_contract(history: pd.DataFrame, params: ForecastParams) -> None:
    h = 10
    res = forecast(history, None, h, QS, params, progress=False)
    n = history["unique_id"].nunique()
    qcols = [f"q{q:g}" for q in QS]
    assert list(res.daily.columns) == ["unique_id", "ds", "mean", *qcols]
    assert len(res.daily) == n * h
    assert list(res.totals.columns) == ["unique_id", "mean", *qcols]
    q = res.daily[qcols].to_numpy()
    assert q.dtype.kind == "i" and (q >= 0).all()
    assert (np.diff(q, axis=1) >= 0).all(), "quantiles must be monotone in the level"
    qt = res.totals[qcols].to_numpy()
    assert qt.dtype.kind == "i" and (np.diff(qt, axis=1) >= 0).all()
    # each series' forecast starts the day after its history ends
    last = pd.to_datetime(history.groupby("unique_id")["ds"].max())
    first = res.daily.groupby("unique_id")["ds"].min()
    assert (first.sort_index() == (last + pd.Timedelta(days=1)).sort_index()).all()
    assert (res.daily["mean"] >= 0).all()
    np.testing.assert_allclose(
        res.daily.groupby("unique_id", sort=False)["mean"].sum().to_numpy(),
        res.totals["mean"].to_numpy(),
        rtol=1e-9,
    )


def test_fit_then_predict_equals_forecast(history: pd.DataFrame) -> None:
    a = Forecaster(FAST).fit(history, 7, progress=False).predict(None, QS)
    b = forecast(history, None, 7, QS, FAST, progress=False)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.totals, b.totals)
    pd.testing.assert_frame_equal(a.sample_paths(20, 3), b.sample_paths(20, 3))


def test_sample_paths_are_whole_units_and_coherent(history: pd.DataFrame) -> None:
    res = forecast(history, None, 7, QS, FAST, progress=False)
    paths = res.sample_paths(400, seed=5)
    n = history["unique_id"].nunique()
    assert len(paths) == 400 * n * 7
    assert paths["units"].dtype.kind == "i" and (paths["units"] >= 0).all()
    tot = paths.groupby(["scenario", "unique_id"])["units"].sum().groupby("unique_id").mean()
    expected = res.totals.set_index("unique_id")["mean"]
    # path totals average to the forecast total (Monte Carlo tolerance)
    np.testing.assert_allclose(tot.loc[expected.index], expected, rtol=0.15, atol=2.0)


def test_predict_before_fit_is_an_error() -> None:
    from presale_supply.exceptions import InputError

    with pytest.raises(InputError, match="fit"):
        Forecaster().predict()


def test_backtest_selection_uses_only_data_before_the_origin(
    synth: Callable[..., pd.DataFrame],
) -> None:
    from presale_supply.forecast.baseline import select_intermittent
    from presale_supply.forecast.data import validate_history

    hist = synth(n_smooth=1, n_intermittent=6, days=90, seed=5)
    params = ForecastParams(calibration_windows=3)
    panel = validate_history(hist)
    chosen = select_intermittent(panel, 7, 7, params, 7)
    assert chosen in set(BaseModel) - {BaseModel.AUTO_ETS, BaseModel.SEASONAL_NAIVE}
    # whatever happens after the origin cannot change the choice
    wild = hist.copy()
    last = pd.to_datetime(wild["ds"]) > pd.to_datetime(wild["ds"]).max() - pd.Timedelta(days=7)
    wild.loc[last, "y"] = 999
    assert select_intermittent(validate_history(wild), 7, 7, params, 7) is chosen
