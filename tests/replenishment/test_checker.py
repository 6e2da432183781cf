"""The independent checker: a hand-made valid plan passes and costs what hand arithmetic says;
each hand-made violation is caught with a message naming the SKU / supplier / day."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest

from presale_supply.campaign import Stage
from presale_supply.data import Policy, Problem, Shortage
from presale_supply.replenishment.checker import PlanArrays, check_plan

from .helpers import presale_problem, run

# Problem: 4 days, one supplier S1 (capacity 20/day, capacity guarantee -> limit 17), lead 0,
# order rounds on days 1 and 3. SKU A: pack 1, unit cost 2, holding 0.5; demand 2/day (lock 30%
# of 8 -> 3 units). SKU B: pack 5, MOQ 10, unit cost 3; demand 5, 5, 0, 0 (lock 3 -> one pack, 5).
ROUNDS = (1, 3)


def problem(**policy: object) -> Problem:
    return presale_problem(
        demand=np.array([[2, 2, 2, 2], [5, 5, 0, 0]]),
        sku_supplier=[0, 0],
        capacity=[20.0],
        lead=[0],
        unit_cost=[2.0, 3.0],
        holding=[0.5, 0.0],
        order_cost=[1.0, 4.0],
        pack=[1, 5],
        moq=[0, 10],
        penalty=[7.0, 9.0],
        clearance=[0.0, 0.0],
        stages=(Stage("horizon", 4),),
        policy=Policy(rounds=ROUNDS, **policy),  # type: ignore[arg-type]
    )


def valid_plan() -> PlanArrays:
    """Round 1: A 4, B 10 (load 14 <= 17); round 2 (day 3): A 4. Everything sold."""
    return PlanArrays(
        order_units=np.array([[4, 4], [10, 0]]),
        prod_sku=np.array([0, 1, 0, 1]),
        prod_round=np.array([0, 0, 1, 1]),
        prod_day=np.array([1, 1, 3, 3]),
        prod_units=np.array([4, 10, 4, 0]),
        sold=np.array([[2, 2, 2, 2], [5, 5, 0, 0]]),
        on_hand=np.array([[2, 0, 2, 0], [5, 0, 0, 0]]),
        backlog=np.zeros((2, 4), dtype=np.int64),
    )


def edit(plan: PlanArrays, **changes: dict[Any, float]) -> PlanArrays:
    """A copy of ``plan`` with single cells changed: ``edit(p, sold={(0, 3): 1})``."""
    new = {}
    for name, cells in changes.items():
        orig = np.asarray(getattr(plan, name))
        a = orig.astype(float)
        for idx, value in cells.items():
            a[idx] = value
        whole = bool(np.all(a == np.round(a)))
        new[name] = a.astype(orig.dtype) if whole else a  # keep integer arrays integer
    return dataclasses.replace(plan, **new)


def violations(plan: PlanArrays, prob: Problem | None = None) -> list[str]:
    return check_plan(prob or problem(), plan).violations


def test_valid_plan_passes_and_costs_add_up() -> None:
    report = check_plan(problem(), valid_plan())
    assert report.ok, report.violations
    c = report.costs
    assert c["purchase"] == pytest.approx(2 * 8 + 3 * 10)
    assert c["fixed_order"] == pytest.approx(1 + 1 + 4)  # A twice, B once
    assert c["holding"] == pytest.approx(0.5 * (2 + 2))
    assert c["shortage"] == pytest.approx(0.0)
    assert c["total"] == pytest.approx(46 + 6 + 2)
    np.testing.assert_allclose(report.capacity_used[0], [14, 0, 4, 0])
    np.testing.assert_allclose(report.capacity_limit[0], [17, 17, 17, 17])


def test_lost_sales_cost_and_service_rule() -> None:
    """Selling one unit of B less on day 2 (kept in stock) costs the penalty 9, and breaks the
    service rule: demand may not go unserved while stock is on hand."""
    plan = edit(valid_plan(), sold={(1, 1): 4}, on_hand={(1, 1): 1, (1, 2): 1, (1, 3): 1})
    report = check_plan(problem(), plan)
    assert len(report.violations) == 1
    assert _named(report.violations, "sku B", "day 2", "unserved", "1 are on hand")
    assert report.costs["shortage"] == pytest.approx(9.0)


def _named(vs: list[str], *words: str) -> bool:
    return any(all(re.search(w, v) for w in words) for v in vs)


def test_exceeding_capacity_is_caught() -> None:
    # A orders 8 on day 1: load 18 > floor(0.85 x 20) = 17; stock carried so balance holds
    plan = edit(
        valid_plan(),
        order_units={(0, 0): 8},
        prod_units={0: 8},
        on_hand={(0, 0): 6, (0, 1): 4, (0, 2): 6, (0, 3): 4},
    )
    vs = violations(plan)
    assert len(vs) == 1, vs
    assert _named(vs, r"\bS1\b", r"\bday 1\b", r"\b18\b", r"\b17\b"), vs


def test_capacity_without_agreement_uses_full_capacity() -> None:
    plan = edit(
        valid_plan(),
        order_units={(0, 0): 8},
        prod_units={0: 8},
        on_hand={(0, 0): 6, (0, 1): 4, (0, 2): 6, (0, 3): 4},
    )
    prob = presale_problem(
        demand=np.array([[2, 2, 2, 2], [5, 5, 0, 0]]),
        sku_supplier=[0, 0],
        capacity=[20.0],
        lead=[0],
        pack=[1, 5],
        moq=[0, 10],
        guarantee=[False],
        stages=(Stage("horizon", 4),),
        policy=Policy(rounds=ROUNDS),
    )
    assert check_plan(prob, plan).ok  # 18 <= 20 without the buffer


def test_breaking_the_lock_is_caught() -> None:
    # A orders only 2 in the first round (lock 3); day 2 demand is lost instead
    plan = edit(
        valid_plan(),
        order_units={(0, 0): 2},
        prod_units={0: 2},
        sold={(0, 1): 0},
        on_hand={(0, 0): 0},
    )
    vs = violations(plan)
    assert len(vs) == 1, vs
    assert _named(vs, r"\bA\b", "lock", r"\b3\b"), vs


def test_breaking_the_balance_is_caught() -> None:
    plan = edit(valid_plan(), on_hand={(0, 2): 3})
    vs = violations(plan)
    assert _named(vs, r"\bA\b", r"\bday 3\b", "on hand 3"), vs


def test_non_pack_quantity_is_caught() -> None:
    # B orders 12 units: not a whole number of packs of 5
    plan = edit(
        valid_plan(),
        order_units={(1, 0): 12},
        prod_units={1: 12},
        on_hand={(1, 0): 7, (1, 1): 2, (1, 2): 2, (1, 3): 2},
    )
    vs = violations(plan)
    assert len(vs) == 1, vs
    assert _named(vs, r"\bB\b", r"round 1", "pack", r"\b12\b"), vs


def test_below_moq_is_caught() -> None:
    # B orders one pack (5 units) on day 3: MOQ is 10
    plan = edit(
        valid_plan(), order_units={(1, 1): 5}, prod_units={3: 5}, on_hand={(1, 2): 5, (1, 3): 5}
    )
    vs = violations(plan)
    assert len(vs) == 1, vs
    assert _named(vs, r"\bB\b", r"round 2", "MOQ", r"\b10\b"), vs


def test_production_outside_its_days_is_caught() -> None:
    plan = edit(valid_plan(), prod_day={2: 4})  # round 2 (day 3, lead 0) made on day 4
    vs = violations(plan)
    assert _named(vs, r"\bA\b", r"round 2", r"day 4"), vs


def test_production_not_matching_order_is_caught() -> None:
    plan = edit(valid_plan(), prod_units={0: 3})
    assert _named(violations(plan), r"\bA\b", r"round 1", "production 3"), violations(plan)


def test_selling_more_than_demand_is_caught() -> None:
    plan = edit(valid_plan(), sold={(0, 0): 3}, on_hand={(0, 0): 1, (0, 1): -1})
    vs = violations(plan)
    assert _named(vs, r"\bA\b", r"\bday 1\b", "demand 2"), vs


def test_unmet_demand_without_shortage_is_caught() -> None:
    plan = edit(valid_plan(), sold={(1, 1): 4}, on_hand={(1, 1): 1, (1, 2): 1, (1, 3): 1})
    vs = violations(plan, problem(shortage=Shortage.NONE))
    assert len(vs) == 1, vs
    assert _named(vs, r"\bB\b", r"\bday 2\b", "not met"), vs


def test_storage_and_budget_are_caught() -> None:
    vs = violations(valid_plan(), problem(storage_capacity=6.0))
    assert _named(vs, r"\bday 1\b", "storage", r"\b7\b"), vs  # 2 + 5 on hand on day 1
    vs = violations(valid_plan(), problem(budget=40.0))
    assert _named(vs, "budget", "46"), vs


def test_wrong_shape_is_caught() -> None:
    plan = dataclasses.replace(valid_plan(), order_units=np.zeros((2, 3)))
    assert _named(violations(plan), "shape")


def test_negative_order_is_caught() -> None:
    plan = edit(valid_plan(), order_units={(1, 1): -5}, prod_units={3: -5})
    assert violations(plan)


def test_negative_value_message_names_sku_and_day() -> None:
    # A sells -1 on day 4 (balance kept: on hand 2 + 1 = 3)
    plan = edit(valid_plan(), sold={(0, 3): -1}, on_hand={(0, 3): 3})
    vs = violations(plan)
    # the negative sale, and (a consequence) demand unserved while stock is on hand
    assert len(vs) == 2, vs
    assert _named(vs[:1], "negative", r"\bA\b", r"\bday 4\b"), vs


def test_fractional_value_message_names_sku_and_day() -> None:
    plan = edit(valid_plan(), sold={(0, 3): 1.5}, on_hand={(0, 3): 0.5})
    vs = violations(plan)
    assert _named(vs, "whole", r"\bA\b", r"\bday 4\b"), vs


def test_solver_plans_pass_the_checker() -> None:
    """Returned plans pass check_plan, and check_plan's cost is the reported objective."""
    for backend in ("cpsat", "scip", "cbc"):
        prob = problem()
        res = run(prob, backend, time_limit=30)
        assert res.arrays is not None, (backend, res.status)
        report = check_plan(prob, res.arrays)
        assert report.ok, (backend, report.violations)
        assert report.costs["total"] == pytest.approx(res.objective)
