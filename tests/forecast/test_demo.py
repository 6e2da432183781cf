"""The embedded example campaign is forecast end to end (``make demo``)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from presale_supply.forecast import forecast_example_campaign, metrics, to_planner_demand


@pytest.mark.slow
def test_forecast_example_campaign() -> None:
    if importlib.util.find_spec("presale_supply.datasets") is None:
        pytest.skip("presale_supply.datasets (the lead's example generator) is not there yet")
    from presale_supply.datasets import example_campaign

    res = forecast_example_campaign(0, progress=False)
    ex = example_campaign(0)
    assert (res.summary["signal_days"] > 0).all()
    demand = to_planner_demand(res, 0.5)
    assert set(demand["day"]) == set(range(1, ex.campaign.n_days + 1))
    truth = ex.demand.groupby("sku")["units"].sum()
    s = res.summary.set_index("unique_id").loc[truth.index]
    post = metrics.wape(truth.to_numpy(), s["posterior_total"].to_numpy())
    prior = metrics.wape(truth.to_numpy(), s["prior_total"].to_numpy())
    assert post < prior
    assert np.isfinite(post)
