"""Every heavy entry point on a real Dask LocalCluster gives the single-process result.

Plans: same status and objective with a gap tolerance of 0 (ties between optimal plans may be
broken differently, so orders are not compared) and every plan passes the independent checker.
Forecast and SLA prediction: exactly equal frames and arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import presale_supply
from presale_supply.data import Problem
from presale_supply.datasets import ExampleCampaign
from presale_supply.forecast import ForecastResult
from presale_supply.parallel import executor_workers
from presale_supply.replenishment.plan import PlanResult
from presale_supply.sla.example import example_network_and_orders
from presale_supply.sla.orders import OrderTable
from presale_supply.sla.simulate import StockTimeline, predict
from presale_supply.stochastic import StochasticResult, solve_stochastic

from .conftest import (
    PLAN_OPTIONS,
    SKIP_REASON,
    assert_same_forecast,
    assert_same_plan,
    assert_same_stochastic,
    fit_predict,
)

pytest.importorskip("distributed", reason=SKIP_REASON)


def test_the_client_executor_reports_the_cluster_size(client: Any) -> None:
    assert executor_workers(client.get_executor()) == 2


def test_plan_on_dask_equals_local(client: Any, problem: Problem, local_plan: PlanResult) -> None:
    dist = presale_supply.solve(problem, "cpsat", executor=client.get_executor(), **PLAN_OPTIONS)
    assert dist.model_size["subproblems"] == 8
    assert_same_plan(problem, local_plan, dist)


def test_stochastic_plan_on_dask_equals_local(
    client: Any, scenario_problem: Problem, local_stochastic: StochasticResult
) -> None:
    ex = client.get_executor()
    dist = solve_stochastic(scenario_problem, "cpsat", executor=ex, **PLAN_OPTIONS)
    assert dist.model_size["subproblems"] == 8
    assert_same_stochastic(scenario_problem, local_stochastic, dist)


def test_forecast_on_dask_is_identical(
    client: Any, forecast_campaign: ExampleCampaign, local_forecast: ForecastResult
) -> None:
    """History models run in chunks of series on the workers; calibration, uplift, the signal
    model and the campaign-day profile are pooled over series here: bit-identical."""
    dist = fit_predict(forecast_campaign, client.get_executor())
    assert_same_forecast(local_forecast, dist)


@pytest.mark.parametrize("ship_at_pack", [False, True])
def test_sla_predict_on_dask_is_identical(client: Any, ship_at_pack: bool) -> None:
    """Two warehouses selling the same SKUs from shared, late stock: the stock allocation is
    made here, each warehouse's queue on a worker."""
    network, frame = example_network_and_orders(1, 20_000)
    orders = OrderTable.from_frame(frame, tz=network.tz)
    skus = [f"SKU-{k:03d}" for k in range(50)]
    stock = StockTimeline.from_frame(
        pd.DataFrame(
            {
                "sku": skus * 2,
                "available_at": ["2024-12-12 00:00:00"] * 50 + ["2024-12-13 09:30:00"] * 50,
                "quantity": [250] * 50 + [200] * 50,
            }
        ),
        tz=network.tz,
    )
    kw: dict[str, Any] = {"stock": stock, "ship_at_pack": ship_at_pack}
    local = predict(orders, network, **kw)
    dist = predict(orders, network, executor=client.get_executor(), **kw)
    for name in ("ready_at", "pack_done", "ship_at", "delivery_at", "p_on_time", "status"):
        np.testing.assert_array_equal(getattr(local, name), getattr(dist, name), err_msg=name)
    pd.testing.assert_frame_equal(local.to_frame(), dist.to_frame(), check_exact=True)
    ov = local.overall()
    assert ov["on_time"] > 0 and ov["late"] > 0  # both outcomes occur: a real comparison
