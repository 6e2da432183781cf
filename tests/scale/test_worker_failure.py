"""A Dask worker killed in the middle of a run: the result is still complete and identical.

The worker process is killed with SIGKILL (no clean shutdown) while it runs a partition. The
scheduler reschedules its tasks on the other worker (and its nanny starts a new worker);
partitions whose futures fail all the same are retried once by
:func:`presale_supply.parallel.run_partitions`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import presale_supply
from presale_supply.data import Problem
from presale_supply.datasets import ExampleCampaign
from presale_supply.forecast import ForecastResult
from presale_supply.replenishment.plan import PlanResult
from presale_supply.sla.example import example_network_and_orders
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

if not hasattr(signal, "SIGKILL"):  # pragma: no cover - Windows
    pytest.skip("needs SIGKILL", allow_module_level=True)


def run_and_kill(client: Any, work: Callable[[], Any]) -> tuple[Any, str]:
    """Run ``work`` in a thread, SIGKILL the first worker seen processing a task, return
    ``work``'s result and the killed worker's address."""
    pids: dict[str, int] = client.run(os.getpid)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the test thread
            box["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and th.is_alive() and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        if busy:
            victim = busy[0]
        else:
            time.sleep(0.02)
    assert victim is not None, "no task reached a worker before the run ended"
    os.kill(pids[victim], signal.SIGKILL)
    th.join(300)
    assert not th.is_alive(), "the run did not finish after the worker was killed"
    if "error" in box:
        raise box["error"]
    return box["result"], victim


def test_forecast_survives_a_killed_worker(
    client: Any, forecast_campaign: ExampleCampaign, local_forecast: ForecastResult
) -> None:
    ex = client.get_executor()
    dist, victim = run_and_kill(client, lambda: fit_predict(forecast_campaign, ex))
    assert_same_forecast(local_forecast, dist)
    deadline = time.monotonic() + 30
    while victim in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert victim not in client.scheduler_info()["workers"], "the worker was not killed"


def test_plan_survives_a_killed_worker(
    client: Any, problem: Problem, local_plan: PlanResult
) -> None:
    ex = client.get_executor()
    dist, _ = run_and_kill(
        client, lambda: presale_supply.solve(problem, "cpsat", executor=ex, **PLAN_OPTIONS)
    )
    assert_same_plan(problem, local_plan, dist)


def test_stochastic_plan_survives_a_killed_worker(
    client: Any, scenario_problem: Problem, local_stochastic: StochasticResult
) -> None:
    ex = client.get_executor()
    dist, _ = run_and_kill(
        client,
        lambda: solve_stochastic(scenario_problem, "cpsat", executor=ex, **PLAN_OPTIONS),
    )
    assert_same_stochastic(scenario_problem, local_stochastic, dist)


def test_work_after_the_kill_still_runs(client: Any) -> None:
    """The cluster keeps working after losing a worker (the nanny restarts it)."""
    from presale_supply.sla.orders import OrderTable
    from presale_supply.sla.simulate import predict

    network, frame = example_network_and_orders(2, 2_000)
    orders = OrderTable.from_frame(frame, tz=network.tz)
    local = predict(orders, network)
    dist = predict(orders, network, executor=client.get_executor())
    pd.testing.assert_frame_equal(local.to_frame(), dist.to_frame(), check_exact=True)
