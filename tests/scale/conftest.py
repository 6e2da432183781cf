"""Shared inputs of the scale-out tests and a real Dask ``LocalCluster`` per test module.

The local (single-process) results are computed once per session: the distributed runs are
compared with them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from presale_supply.backends.base import Status
from presale_supply.data import Demand, Problem
from presale_supply.datasets import ExampleCampaign, ExampleParams, example_campaign
from presale_supply.forecast import Forecaster, ForecastResult
from presale_supply.forecast.demo import DEMO_PARAMS
from presale_supply.replenishment.checker import check_plan
from presale_supply.replenishment.plan import PlanResult
from presale_supply.replenishment.solve import solve
from presale_supply.stochastic import StochasticResult, check_scenario_plans, solve_stochastic

SKIP_REASON = "distributed (Dask) is not installed; install the extra: pip install -e '.[dask]'"


def start_cluster(tmp: Path) -> Any:
    """A real LocalCluster: two worker processes with one thread each, on loopback."""
    distributed = pytest.importorskip("distributed", reason=SKIP_REASON)
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=str(tmp),
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One LocalCluster for the test module."""
    with start_cluster(tmp_path_factory.mktemp("dask")) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    """A client of the module's cluster (``client.get_executor()`` is the executor)."""
    distributed = pytest.importorskip("distributed", reason=SKIP_REASON)
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="session")
def campaign() -> ExampleCampaign:
    """The example campaign with 30 SKUs (8 suppliers, 31 days)."""
    return example_campaign(0, ExampleParams(n_skus=30))


@pytest.fixture(scope="session")
def problem(campaign: ExampleCampaign) -> Problem:
    return campaign.to_problem()


@pytest.fixture(scope="session")
def scenario_problem(problem: Problem) -> Problem:
    """The campaign with two demand scenarios (70% and 130% of its demand)."""
    u = problem.demand.units[0]
    scen = np.stack([np.round(u * f).astype(u.dtype) for f in (0.7, 1.3)])
    return dataclasses.replace(problem, demand=Demand(scen, np.array([0.5, 0.5])))


PLAN_OPTIONS: dict[str, Any] = {"time_limit": 60, "threads": 1, "gap": 0.0}
"""Solve options of the plan comparisons: a gap of 0, so both runs prove the same optimum."""


@pytest.fixture(scope="session")
def local_plan(problem: Problem) -> PlanResult:
    """The single-process plan (decomposed into 8 supplier subproblems)."""
    return solve(problem, "cpsat", **PLAN_OPTIONS)


@pytest.fixture(scope="session")
def local_stochastic(scenario_problem: Problem) -> StochasticResult:
    """The single-process two-stage plan."""
    return solve_stochastic(scenario_problem, "cpsat", **PLAN_OPTIONS)


def assert_same_plan(problem: Problem, local: PlanResult, dist: PlanResult) -> None:
    """Both optimal, same objective, the distributed plan passes the independent checker."""
    assert local.status is dist.status is Status.OPTIMAL
    assert dist.model_size == local.model_size
    assert dist.objective == pytest.approx(local.objective, rel=1e-9)
    assert dist.arrays is not None
    assert check_plan(problem, dist.arrays).ok


def assert_same_stochastic(
    problem: Problem, local: StochasticResult, dist: StochasticResult
) -> None:
    """Both optimal, same objective and model, every scenario plan passes the checks."""
    assert local.status is dist.status is Status.OPTIMAL
    assert dist.model_size == local.model_size
    assert dist.objective == pytest.approx(local.objective, rel=1e-9)
    bad, reports = check_scenario_plans(problem, dist.plans, stage=dist.stage)
    assert bad == []
    costs = np.array([r.costs["total"] for r in reports])
    np.testing.assert_allclose(costs, dist.scenario_costs)


@pytest.fixture(scope="session")
def forecast_campaign() -> ExampleCampaign:
    """A smaller example campaign (12 SKUs) for the forecaster tests."""
    return example_campaign(0, ExampleParams(n_skus=12))


def fit_predict(campaign: ExampleCampaign, executor: Any = None) -> ForecastResult:
    """The demo forecast of the campaign: history models, calibration, a past campaign with
    signals (uplift, rho(t), campaign-day profile) and this campaign's first signal days."""
    fc = Forecaster(DEMO_PARAMS).fit(
        campaign.history,
        int(campaign.campaign.n_days),
        past_signals=campaign.signals,
        past_campaign_starts=[campaign.past_campaign_start],
        progress=False,
        executor=executor,
    )
    return fc.predict(campaign.signals)


@pytest.fixture(scope="session")
def local_forecast(forecast_campaign: ExampleCampaign) -> ForecastResult:
    """The single-process forecast of :func:`forecast_campaign`."""
    return fit_predict(forecast_campaign)


def assert_same_forecast(a: ForecastResult, b: ForecastResult) -> None:
    """Bit-identical frames, notes and sample paths."""
    for name in ("daily", "totals", "summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.notes == b.notes
    pd.testing.assert_frame_equal(a.sample_paths(20), b.sample_paths(20), check_exact=True)
