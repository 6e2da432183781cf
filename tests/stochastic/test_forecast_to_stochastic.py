"""The forecaster's sample paths feed the stochastic planner: forecast -> scenarios -> plan."""

from __future__ import annotations

import dataclasses

import numpy as np

from presale_supply.backends.base import Status
from presale_supply.data import Demand
from presale_supply.datasets import ExampleParams, example_campaign
from presale_supply.forecast.demo import forecast_example_campaign
from presale_supply.forecast.planner import to_planner_scenarios
from presale_supply.stochastic import solve_stochastic


def test_forecast_sample_paths_plan_stochastically() -> None:
    params = ExampleParams(n_skus=8)
    ex = example_campaign(4, params)
    fc = forecast_example_campaign(4, example_params=params, progress=False)
    paths = to_planner_scenarios(fc, start=ex.params.start_date, n_paths=5, seed=0)
    problem = ex.to_problem()
    demand = Demand.from_frame(
        paths, problem.skus.ids, problem.n_days, source="forecast sample paths"
    )
    assert demand.n_scenarios == 5
    stoch = dataclasses.replace(problem, demand=demand)
    res = solve_stochastic(stoch, time_limit=60)
    assert res.status in (Status.OPTIMAL, Status.FEASIBLE)
    # one lock for all five forecast paths, at least 30% of their mean total, in whole packs
    lock = stoch.lock_units()
    assert (res.first_stage_units[:, 0] >= lock).all()
    expected = np.tensordot(demand.weights, demand.units, axes=1).sum(axis=1)
    assert (lock >= 0.3 * expected - 1e-9).all()
    assert len(res.plans) == 5 and len(set(res.scenario_costs.round(6))) > 1
