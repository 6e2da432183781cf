"""Campaign demand forecaster: history models, presale signal update, calibrated quantiles.

Public API (statsforecast is imported only when a model is fitted):

* :func:`forecast`, :class:`Forecaster`, :class:`ForecastResult` - the forecaster.
* :func:`backtest`, :func:`metrics_table` and :mod:`~presale_supply.forecast.metrics` - evaluation.
* :func:`to_planner_demand`, :func:`to_planner_scenarios` - input tables for the planner.
* :func:`forecast_example_campaign` - the embedded example campaign (for ``make demo``).
* :func:`overlay_signals` - simulated presale signals on real demand (for tests and benchmarks).
"""

from __future__ import annotations

from presale_supply.forecast.backtest import backtest, metrics_table
from presale_supply.forecast.demo import forecast_example_campaign
from presale_supply.forecast.forecaster import Forecaster, ForecastResult, forecast
from presale_supply.forecast.params import (
    DEFAULT_QUANTILES,
    BaseModel,
    DemandPattern,
    ForecastParams,
    GapPolicy,
    SelectionPolicy,
)
from presale_supply.forecast.planner import to_planner_demand, to_planner_scenarios
from presale_supply.forecast.presale import SignalModel
from presale_supply.forecast.simulate import overlay_signals

__all__ = [
    "DEFAULT_QUANTILES",
    "BaseModel",
    "DemandPattern",
    "ForecastParams",
    "ForecastResult",
    "Forecaster",
    "GapPolicy",
    "SelectionPolicy",
    "SignalModel",
    "backtest",
    "forecast",
    "forecast_example_campaign",
    "metrics_table",
    "overlay_signals",
    "to_planner_demand",
    "to_planner_scenarios",
]
