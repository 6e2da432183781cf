"""A per-supplier subproblem that fails is retried once, otherwise reported by supplier name;
no SKU is lost from a merged plan."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from presale_supply.backends.base import Status
from presale_supply.data import Problem
from presale_supply.exceptions import InputError
from presale_supply.replenishment.checker import check_plan
from presale_supply.replenishment.decompose import solve_by_supplier
from presale_supply.replenishment.plan import PlanResult
from presale_supply.replenishment.solve import solve

from .helpers import presale_problem

T = 8


def _problem(seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    return presale_problem(
        demand=rng.integers(1, 12, size=(6, T)),
        sku_supplier=[0, 1, 2, 0, 1, 2],
        capacity=[80.0, 60.0, 70.0],
        lead=[1, 2, 1],
        unit_cost=[5.0, 4.0, 6.0, 3.0, 5.0, 4.0],
        holding=[0.2] * 6,
        order_cost=[3.0] * 6,
        penalty=[9.0] * 6,
    )


class Flaky:
    """``solve`` that fails for supplier ``target`` on its first ``failures`` calls."""

    def __init__(self, target: str, failures: int, how: str = "raise") -> None:
        self.target, self.failures, self.how = target, failures, how
        self.calls: dict[str, int] = {}

    def __call__(self, sub: Problem, **kwargs: Any) -> PlanResult:
        name = sub.suppliers.ids[0]
        self.calls[name] = self.calls.get(name, 0) + 1
        if name == self.target and self.calls[name] <= self.failures:
            if self.how == "raise":
                raise RuntimeError(f"worker running {name} died")
            return PlanResult(
                status=Status.NO_SOLUTION,
                objective=None,
                bound=None,
                gap=None,
                solver="fake",
                seconds=0.0,
                message="time limit reached before any solution",
                problem=sub,
            )
        return solve(sub, **kwargs)


def _decomposed(problem: Problem, solve_one: Any, **kw: Any) -> PlanResult:
    return solve_by_supplier(
        problem, solve_one, time_limit=20, decompose=False, solver="cpsat", **kw
    )


@pytest.mark.parametrize("how", ["raise", "no_solution"])
def test_a_subproblem_that_fails_once_is_retried_and_no_sku_is_lost(how: str) -> None:
    p = _problem()
    reference = _decomposed(p, solve)
    flaky = Flaky("S2", failures=1, how=how)
    res = _decomposed(p, flaky)
    assert flaky.calls == {"S1": 1, "S2": 2, "S3": 1}
    assert res.status is Status.OPTIMAL
    assert "supplier S2: retried after" in res.message
    assert res.arrays is not None and res.arrays.order_units.shape[0] == len(p.skus)
    assert set(res.orders["sku"]) == set(p.skus.ids)  # every SKU has its orders
    assert check_plan(p, res.arrays).ok
    assert res.objective == pytest.approx(reference.objective, rel=1e-9, abs=1e-9)


def test_a_subproblem_that_fails_twice_is_reported_by_name() -> None:
    p = _problem()
    flaky = Flaky("S3", failures=2)
    res = _decomposed(p, flaky)
    assert flaky.calls["S3"] == 2
    assert res.status is Status.ERROR and res.arrays is None
    assert "supplier S3 (2 SKUs) failed twice" in res.message
    assert "RuntimeError: worker running S3 died" in res.message


def test_retry_on_an_executor() -> None:
    p = _problem()
    flaky = Flaky("S1", failures=1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        res = _decomposed(p, flaky, executor=pool)
    assert flaky.calls["S1"] == 2
    assert res.status is Status.OPTIMAL
    assert res.arrays is not None and check_plan(p, res.arrays).ok


def test_library_errors_are_not_retried() -> None:
    p = _problem()
    calls: list[str] = []

    def bad_input(sub: Problem, **kwargs: Any) -> PlanResult:
        calls.append(sub.suppliers.ids[0])
        raise InputError("bad input", column="x", value=1)

    with pytest.raises(InputError, match="bad input"):
        _decomposed(p, bad_input)
    assert calls == ["S1"]


def test_an_infeasible_subproblem_is_not_retried() -> None:
    p = presale_problem(
        demand=np.full((4, T), 5),
        sku_supplier=[0, 1, 0, 1],
        capacity=[80.0, 1.0],  # S2 cannot make its lock
        lead=[1, 2],
    )
    counts: dict[str, int] = {}

    def counting(sub: Problem, **kwargs: Any) -> PlanResult:
        name = sub.suppliers.ids[0]
        counts[name] = counts.get(name, 0) + 1
        return solve(sub, **kwargs)

    res = _decomposed(p, counting)
    assert res.status is Status.INFEASIBLE
    assert counts == {"S1": 1, "S2": 1}
    assert "supplier S2: INFEASIBLE" in res.message
