"""The presale layer. No public data has deposits: signals here are simulated, either from a
known model or overlaid on real Online Retail demand (``overlay_signals``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.forecast import Forecaster, ForecastParams, metrics, overlay_signals
from presale_supply.forecast.presale import (
    SignalModel,
    estimate_signal_model,
    estimate_uplift,
    posterior,
)


def _simulate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    totals = rng.integers(100, 2000, n).astype(float)
    share = rng.beta(8, 12, n)  # mean 0.4
    deposits = rng.binomial(totals.astype(int), share)
    per_day = np.array([rng.multinomial(d, np.full(10, 0.1)) for d in deposits])
    return totals, np.cumsum(per_day, axis=1)


def test_estimate_signal_model_recovers_rho_and_v() -> None:
    totals, cum = _simulate(400, 0)
    sm = estimate_signal_model(totals, cum)
    np.testing.assert_allclose(sm.deposit_rho, 0.04 * np.arange(1, 11), rtol=0.08)
    true_v = (0.4 * 0.6 / 21) / 0.4**2  # Beta(8, 12): var / mean^2
    assert 0.5 * true_v < sm.deposit_v < 2.0 * true_v


def test_posterior_trusts_signals_more_as_presale_goes_on() -> None:
    sm = SignalModel(tuple(0.04 * t for t in range(1, 11)), 0.0)
    truth, prior = 1000.0, 400.0
    errors = []
    for t in range(1, 11):
        d = np.array([0.04 * t * truth])
        m, _ = posterior(np.array([prior]), 2.0, d, None, np.array([t]), sm)
        errors.append(abs(m[0] - truth))
    assert all(b < a for a, b in itertools.pairwise(errors))
    m0, _ = posterior(np.array([prior]), 2.0, np.array([0.0]), None, np.array([0]), sm)
    assert m0[0] == prior  # no signal days: the prior is returned


def test_uplift_shrinks_to_pooled() -> None:
    actual = np.array([[200.0, 10.0], [220.0, 0.0]])
    model = np.array([[100.0, 10.0], [100.0, 10.0]])
    up = estimate_uplift(actual, model)
    pooled = actual.sum() / model.sum()
    assert up[0] > pooled > up[1]  # a big series keeps its own uplift; a small one is pulled in
    assert 1.5 < up[0] < 2.1


def test_signal_model_rejects_zero_rho() -> None:
    with pytest.raises(InputError, match="rho"):
        SignalModel((0.0, 0.1), 0.1)


def test_overlay_signals_is_a_fraction_of_real_units() -> None:
    win = pd.DataFrame({"unique_id": "A", "ds": pd.date_range("2024-01-01", periods=14), "y": 100})
    sig = overlay_signals(win, 14, seed=1)
    assert len(sig) == 14 and (sig["deposits"] >= 0).all()
    assert 0.2 * 1400 < sig["deposits"].sum() < 0.8 * 1400
    assert len(overlay_signals(win, 7, seed=1)) == 7
    with pytest.raises(InputError, match="seen_days"):
        overlay_signals(win, 15)


@pytest.mark.shared_data
def test_signals_cut_window_total_error_on_online_retail(
    retail: Callable[[int], pd.DataFrame],
) -> None:
    """Real demand, simulated deposits: days 1-7 of signals must beat the history-only prior."""
    data = retail(20)
    start, h = pd.Timestamp("2011-11-07"), 14
    hist = data[data["ds"] < start]
    actual = data[(data["ds"] >= start) & (data["ds"] < start + pd.Timedelta(days=h))]
    past = []
    for k in range(1, 5):
        s = start - pd.Timedelta(days=h * k)
        past.append(
            overlay_signals(
                data[(data["ds"] >= s) & (data["ds"] < s + pd.Timedelta(days=h))], h, seed=k
            )
        )
    signals = pd.concat([*past, overlay_signals(actual, 7, seed=0)], ignore_index=True)
    fc = Forecaster(ForecastParams(calibration_windows=2)).fit(
        hist, h, past_signals=signals, progress=False
    )
    res = fc.predict(signals)
    tot = actual.groupby("unique_id")["y"].sum()
    s = res.summary.set_index("unique_id").loc[tot.index]
    assert (s["signal_days"] == 7).all()
    prior_err = metrics.wape(tot.to_numpy(), s["prior_total"].to_numpy())
    post_err = metrics.wape(tot.to_numpy(), s["posterior_total"].to_numpy())
    assert post_err < 0.7 * prior_err
