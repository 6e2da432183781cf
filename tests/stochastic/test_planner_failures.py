"""The stochastic planner when a subproblem fails, when a solver reports no bound, and on bad
numeric arguments or placed orders below the MOQ."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from presale_supply.backends.base import RawSolution, Status
from presale_supply.data import Demand, Problem
from presale_supply.exceptions import InputError
from presale_supply.stochastic import planner, solve_stochastic, validate_fixed
from replenishment.helpers import presale_problem

T = 8  # the helpers' short campaign


def two_suppliers(moq: float = 0.0, pack: int = 1) -> Problem:
    """Two SKUs (A from S1, B from S2), no budget or storage: the plan splits by supplier."""
    rng = np.random.default_rng(5)
    scen = rng.integers(0, 9, size=(3, 2, T))
    base = presale_problem(
        demand=scen[0],
        sku_supplier=[0, 1],
        capacity=[60.0, 60.0],
        lead=[1, 1],
        pack=[pack, pack],
        moq=[moq, moq],
    )
    return dataclasses.replace(base, demand=Demand(scen, np.full(3, 1 / 3)))


def _fail_for(
    monkeypatch: pytest.MonkeyPatch, supplier: str, times: int, status: Status
) -> dict[str, int]:
    """Make ``supplier``'s subproblem end with ``status`` and no plan on its first ``times``
    solves; count the solves per supplier."""
    real = planner._solve_part
    calls: dict[str, int] = {}

    def fake(sub: Problem, *args: Any) -> Any:
        sup = str(sub.suppliers.ids[0])
        calls[sup] = calls.get(sup, 0) + 1
        out = real(sub, *args)
        if sup == supplier and calls[sup] <= times:
            return dataclasses.replace(
                out, status=status, bound=None, plans=None, message="CP-SAT UNKNOWN; faked"
            )
        return out

    monkeypatch.setattr(planner, "_solve_part", fake)
    return calls


def test_a_subproblem_without_a_plan_is_named_and_retried_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _fail_for(monkeypatch, "S2", 1, Status.NO_SOLUTION)
    res = solve_stochastic(two_suppliers(), time_limit=10, gap=0.0)
    assert calls == {"S1": 1, "S2": 2}
    assert res.plans and res.status is Status.OPTIMAL, res.message
    assert "supplier S2: retried after NO_SOLUTION (CP-SAT UNKNOWN; faked)" in res.message


def test_a_subproblem_failing_twice_is_named_with_both_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _fail_for(monkeypatch, "S1", 2, Status.ERROR)
    res = solve_stochastic(two_suppliers(), time_limit=10, gap=0.0)
    assert calls == {"S1": 2, "S2": 1}
    assert not res.plans and res.status is Status.ERROR
    assert "supplier S1 failed twice: ERROR (CP-SAT UNKNOWN; faked); then ERROR" in res.message
    assert "S2" not in res.message


def test_a_proof_of_infeasibility_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fail_for(monkeypatch, "S1", 5, Status.INFEASIBLE)
    res = solve_stochastic(two_suppliers(), time_limit=10, gap=0.0)
    assert calls == {"S1": 1, "S2": 1}
    assert res.status is Status.INFEASIBLE and not res.plans
    assert "supplier S1: INFEASIBLE" in res.message


@pytest.mark.parametrize(("status", "proven"), [(Status.OPTIMAL, True), (Status.FEASIBLE, False)])
def test_no_bound_from_the_solver(
    monkeypatch: pytest.MonkeyPatch, status: Status, proven: bool
) -> None:
    """A solver that proves optimality without a separate bound: the bound is its objective
    (OPTIMAL stays, with a bound). A FEASIBLE solve without a bound claims nothing."""
    real = planner.run_backend

    def no_bound(backend: Any, model: Any, options: Any) -> RawSolution:
        raw = real(backend, model, options)
        return dataclasses.replace(raw, status=status, bound=None)

    monkeypatch.setattr(planner, "run_backend", no_bound)
    res = solve_stochastic(two_suppliers(), time_limit=10, gap=0.0)
    assert res.plans
    if proven:
        assert res.status is Status.OPTIMAL and res.bound is not None
        assert res.gap is not None and res.gap <= 1e-9
    else:
        assert res.status is Status.FEASIBLE and res.bound is None and res.gap is None


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"time_limit": -3}, "time_limit"),
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": math.nan}, "time_limit"),
        ({"time_limit": "10"}, "time_limit"),
        ({"threads": 0}, "threads"),
        ({"threads": 1.5}, "threads"),
        ({"seed": 0.5}, "seed"),
        ({"gap": -0.1}, "gap"),
        ({"gap": 1.0}, "gap"),
        ({"stage": -1}, "stage"),
        ({"stage": 7}, "stage"),
    ],
)
def test_numeric_arguments_are_checked(kwargs: dict[str, Any], column: str) -> None:
    with pytest.raises(InputError, match=column) as info:
        solve_stochastic(two_suppliers(), **kwargs)
    assert info.value.column == column


def test_time_limit_none_is_no_limit() -> None:
    res = solve_stochastic(two_suppliers(), time_limit=None, gap=0.0)
    assert res.status is Status.OPTIMAL


def test_a_placed_order_below_the_moq_is_rejected() -> None:
    p = two_suppliers(moq=6.0, pack=2)  # MOQ 6 units = 3 packs of 2
    with pytest.raises(InputError, match="MOQ") as info:
        validate_fixed(p, {(1, 1): 2})
    msg = str(info.value)
    for part in ("sku 'B'", "supplier 'S2'", "round 1", "2 packs (4 units)", "at least 3 packs"):
        assert part in msg, msg
    assert info.value.column == "fixed" and info.value.value == 2
    with pytest.raises(InputError, match="MOQ"):
        solve_stochastic(p, fixed={(1, 1): 1})
    # 0 packs (no order) and the MOQ itself are valid
    validate_fixed(p, {(1, 1): 0, (0, 1): 3})
