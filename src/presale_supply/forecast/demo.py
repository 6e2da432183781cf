"""Forecast the library's embedded example campaign (used by ``make demo``)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from presale_supply.forecast.forecaster import Forecaster, ForecastResult
from presale_supply.forecast.params import DEFAULT_QUANTILES, ForecastParams

__all__ = ["DEMO_PARAMS", "forecast_example_campaign"]

#: Lighter settings for the demo: two calibration windows, models fitted on the last 26 weeks,
#: AutoETS without trend.
DEMO_PARAMS = ForecastParams(calibration_windows=2, max_train=182, ets_model="ZNZ")


def forecast_example_campaign(
    seed: int = 0,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    params: ForecastParams | None = None,
    *,
    progress: bool | None = None,
    example_params: Any = None,
) -> ForecastResult:
    """Forecast the whole campaign of ``presale_supply.datasets.example_campaign(seed)``.

    The horizon is the campaign length; last year's campaign in the history (with its signals)
    is the past campaign that uplift, rho(t) and the signal noise are learnt from, and this
    year's first signal days update the forecast. Last year's campaign also gives the
    campaign-day profile that splits each SKU's total over the days.

    ``example_params`` (a ``presale_supply.datasets.example.ExampleParams``) changes the
    generated campaign, e.g. ``ExampleParams(n_skus=20)`` for a small one.

    Returns
    -------
    ForecastResult
        Convert with :func:`~presale_supply.forecast.to_planner_demand` (``start`` = the
        campaign's first day) or :func:`~presale_supply.forecast.to_planner_scenarios`.
    """
    datasets = importlib.import_module("presale_supply.datasets")
    ex = datasets.example_campaign(seed, example_params)
    horizon = int(ex.campaign.n_days)
    fc = Forecaster(params or DEMO_PARAMS)
    fc.fit(
        ex.history,
        horizon,
        past_signals=ex.signals,
        past_campaign_starts=[ex.past_campaign_start],
        progress=progress,
    )
    return fc.predict(ex.signals, quantiles)
