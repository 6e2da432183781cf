"""The campaign-day profile: campaign totals are split over days like past campaigns were."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.forecast import (
    ForecastParams,
    SelectionPolicy,
    forecast,
    forecast_example_campaign,
    metrics,
    overlay_signals,
    to_planner_demand,
)
from presale_supply.forecast.demo import DEMO_PARAMS
from presale_supply.forecast.profile import estimate_profile, pooled_profile, shrunk_profiles

#: The demo settings made lighter still for the fast tier (about 1 s for 20 SKUs).
FAST = dataclasses.replace(
    DEMO_PARAMS, calibration_windows=1, max_train=91, selection=SelectionPolicy.PATTERN
)


def test_pooled_profile_and_shrinkage() -> None:
    daily = np.array([[1.0, 3.0], [3.0, 1.0], [0.0, 4.0]])
    p = pooled_profile(daily)
    np.testing.assert_allclose(p, [4 / 12, 8 / 12])
    np.testing.assert_allclose(pooled_profile(np.zeros((2, 4))), 0.25)
    own = np.array([[10.0, 0.0], [0.0, 0.0]])
    s = shrunk_profiles(own, p, tau=10.0)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    assert p[0] < s[0, 0] < 1.0  # between the pooled and the series' own share
    np.testing.assert_allclose(s[1], p)  # no own campaign units: the pooled profile
    np.testing.assert_allclose(shrunk_profiles(own, p, np.inf), np.tile(p, (2, 1)))


def _campaigns(
    shapes: np.ndarray, n_camp: int, scale: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = len(shapes)
    daily = np.vstack([rng.poisson(scale * shapes) for _ in range(n_camp)]).astype(float)
    return daily, np.tile(np.arange(n), n_camp), np.repeat(np.arange(n_camp), n)


def test_strength_is_chosen_by_holding_out_campaigns() -> None:
    h = 10
    ramp = np.linspace(1.0, 3.0, h)
    common = np.tile(ramp / ramp.sum(), (40, 1))
    fit = estimate_profile(*_campaigns(common, 3, 200.0, 0), n_series=40)
    assert fit.strength > 200.0  # one shared shape: (close to) the pooled profile
    np.testing.assert_allclose(fit.pooled, ramp / ramp.sum(), atol=0.01)
    own = np.vstack([ramp[::-1] if k % 2 else ramp for k in range(40)])
    own = own / own.sum(axis=1, keepdims=True)
    fit2 = estimate_profile(*_campaigns(own, 3, 200.0, 1), n_series=40)
    assert fit2.strength < 200.0  # two kinds of series: their own shapes are kept
    assert np.abs(fit2.series - own).sum() < np.abs(fit2.pooled - own).sum() / 2
    one = estimate_profile(*_campaigns(own, 1, 200.0, 2), n_series=40)
    assert np.isinf(one.strength)  # one past campaign: nothing to validate on, pooled
    assert one.holdout.shape == (40, h)


def test_profile_strength_is_validated() -> None:
    with pytest.raises(InputError, match="profile_strength"):
        ForecastParams(profile_strength=0.0)


def test_daily_split_follows_past_campaigns_shape(synth: Callable[..., pd.DataFrame]) -> None:
    """Past campaigns ramp up over the window; the forecast must ramp up too."""
    h = 14
    data = synth(n_smooth=8, n_intermittent=0, days=140, seed=3)
    ramp = np.linspace(0.5, 4.0, h)
    day = (data["ds"] - data["ds"].min()).dt.days.to_numpy()
    y = data["y"].to_numpy(dtype=float)
    for a in (56, 98, 126):  # two past campaigns and the current one
        inside = (day >= a) & (day < a + h)
        y[inside] = np.round(y[inside] * ramp[day[inside] - a])
    data = data.assign(y=y)
    cut = data["ds"].min() + pd.Timedelta(days=126)
    hist, truth = data[data["ds"] < cut], data[data["ds"] >= cut]
    past = [overlay_signals(data[(day >= a) & (day < a + h)], h, seed=a) for a in (56, 98)]
    sig = pd.concat([*past, overlay_signals(truth, 5, seed=1)], ignore_index=True)
    params = FAST
    res = forecast(hist, sig, h, params=params, progress=False)
    flat = forecast(
        hist, sig, h, params=dataclasses.replace(params, campaign_profile=False), progress=False
    )
    f = res.daily.groupby("ds")["mean"].sum().to_numpy()
    t = truth.groupby("ds")["y"].sum().to_numpy(dtype=float)
    assert np.corrcoef(f, t)[0, 1] > 0.9
    m = truth.merge(res.daily, on=["unique_id", "ds"])
    mf = truth.merge(flat.daily, on=["unique_id", "ds"])
    yy = m["y"].to_numpy(dtype=float)
    assert metrics.wape(yy, m["mean"].to_numpy()) < 0.6 * metrics.wape(
        mf["y"].to_numpy(dtype=float), mf["mean"].to_numpy()
    )
    # the split moves units between days, not the totals
    np.testing.assert_allclose(res.totals["mean"], flat.totals["mean"], rtol=1e-9)
    assert any("campaign-day profile" in n for n in res.notes)


def test_example_campaign_daily_shape() -> None:
    """Issue: the campaign forecast was flat over the 31 days while the truth ramps up."""
    if importlib.util.find_spec("presale_supply.datasets") is None:
        pytest.skip("presale_supply.datasets is not there")
    from presale_supply.datasets import example_campaign
    from presale_supply.datasets.example import ExampleParams

    small = ExampleParams(n_skus=20)
    ex = example_campaign(0, small)
    res = forecast_example_campaign(0, params=FAST, progress=False, example_params=small)
    demand = to_planner_demand(res, "mean", start=ex.campaign.start_date)
    m = ex.demand.merge(demand.rename(columns={"units": "f"}), on=["sku", "day"])
    f = m.groupby("day")["f"].sum().to_numpy(dtype=float)
    t = m.groupby("day")["units"].sum().to_numpy(dtype=float)
    assert np.corrcoef(f, t)[0, 1] > 0.9
    y = m["units"].to_numpy(dtype=float)
    flat = m.groupby("sku")["f"].transform("mean").to_numpy(dtype=float)  # same totals, flat
    daily_wape = metrics.wape(y, m["f"].to_numpy(dtype=float))
    assert daily_wape < 0.6 * metrics.wape(y, flat)
    # the warm-up is below, the last presale day far above the campaign's average day
    assert f[:7].mean() < 0.5 * f.mean() < f[20] / 4
    # daily quantiles: whole units, ordered, calibrated on the profile (not inflated by it)
    d = res.daily.assign(day=(res.daily["ds"] - res.daily["ds"].min()).dt.days + 1)
    q = ex.demand.merge(d.rename(columns={"unique_id": "sku"}), on=["sku", "day"])
    assert (q["q0.1"] <= q["q0.5"]).all() and (q["q0.5"] <= q["q0.9"]).all()
    assert q["q0.9"].dtype.kind == "i"
    cov = metrics.coverage(y, q["q0.1"].to_numpy(float), q["q0.9"].to_numpy(float))
    assert 0.65 <= cov <= 0.92
    assert (res.summary["kappa_daily"] < 0.3).all()
    # sample paths follow the same profile, and a path's days share its level
    paths = res.sample_paths(300, seed=1)
    pm = paths.groupby("ds")["units"].sum().to_numpy() / 300
    np.testing.assert_allclose(pm, res.daily.groupby("ds")["mean"].sum().to_numpy(), rtol=0.05)
    per = paths.groupby(["scenario", "unique_id"])["units"].sum().unstack()
    first = paths[paths["ds"] <= paths["ds"].min() + pd.Timedelta(days=9)]
    early = first.groupby(["scenario", "unique_id"])["units"].sum().unstack()
    corr = np.nanmean(
        [np.corrcoef(early[c], per[c] - early[c])[0, 1] for c in per.columns if per[c].std() > 0]
    )
    assert corr > 0.1
