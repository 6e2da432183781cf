"""Infeasible problems are reported INFEASIBLE with an explanation in planner words: by the
arithmetic pre-check (lock vs capacity) or by the elastic re-solve (anything else)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from presale_supply.backends.base import Status
from presale_supply.data import Policy, Problem, Shortage
from presale_supply.exceptions import InputError
from presale_supply.replenishment.solve import diagnose, precheck

from .helpers import presale_problem, run

# 8-day campaign (warm-up 2, presale 3, replenishment 2, clearance 1); lead time 0, so the order
# rounds are day 3 (lock, the start of presale) and day 6 (start of replenishment).


# ---- lock larger than 85% of capacity: caught by the pre-check ---------------------------------
def lock_problem() -> Problem:
    """Supplier S2 (capacity 100, guarantee: 85/day) must lock 30% of 3 SKUs' demand on day 2
    (lead 1: ordered the day before presale, made on day 2). Demand 100, 110, 95 -> lock 30 + 33
    + 29 = 92 > 85. Supplier S1 (one small SKU) is fine."""
    demand = np.zeros((4, 8), dtype=int)
    demand[:, 2:7] = np.array([[20], [22], [19], [2]])
    return presale_problem(
        demand=demand,
        sku_supplier=[1, 1, 1, 0],
        capacity=[100.0, 100.0],
        lead=[1, 1],
    )


def test_lock_over_capacity_numbers() -> None:
    problem = lock_problem()
    d = problem.demand.units[0].sum(axis=1)
    assert d.tolist() == [100, 110, 95, 10]
    lock = [math.ceil(0.3 * x - 1e-9) for x in d]
    assert problem.rounds[0] == 2
    need, avail = sum(lock[:3]), math.floor(100 * 0.85)
    assert (need, avail) == (92, 85)


@pytest.mark.parametrize("backend", ["cpsat", "cbc"])
def test_lock_over_capacity_is_infeasible_with_explanation(backend: str) -> None:
    problem = lock_problem()
    res = run(problem, backend)
    assert res.status is Status.INFEASIBLE
    assert res.arrays is None and res.objective is None
    assert len(res.diagnosis) == 1, res.diagnosis
    text = res.diagnosis[0]
    assert "S2" in text and "S1" not in text
    assert re.search(r"\bday 2\b", text), text  # the lock round's production day
    assert re.search(r"\b92\b", text) and re.search(r"\b85\b", text), text  # need vs limit
    assert re.search(r"\bby 7 units\b", text), text  # the amount it exceeds
    for sku in ("A", "B", "C"):
        assert f"{sku} (" in text  # the SKUs locked, with their units
    summary = res.summary()
    assert summary["status"] == "INFEASIBLE" and summary["diagnosis"] == list(res.diagnosis)


def test_precheck_and_diagnose_agree() -> None:
    problem = lock_problem()
    assert precheck(problem) == diagnose(problem)
    assert len(precheck(problem)) == 1


def test_lock_that_fits_passes_precheck() -> None:
    """Capacity 110 -> limit 93 >= 92: nothing to report, and the plan is found."""
    demand = lock_problem().demand.units[0]
    problem = presale_problem(
        demand=demand, sku_supplier=[1, 1, 1, 0], capacity=[100.0, 110.0], lead=[1, 1]
    )
    assert precheck(problem) == []
    res = run(problem, "cpsat", time_limit=20)
    assert res.status is Status.OPTIMAL
    assert res.kpis()["peak_capacity_utilisation"] <= 0.85 + 1e-9


# ---- infeasible for reasons the pre-check cannot see: elastic re-solve --------------------------
def moq_problem(guarantee: bool = True, clearance: float = 1.0) -> Problem:
    """No shortage allowed. Capacity 300 on day 3, 100 on other days (85 after the buffer on
    day 6). Demand 10/day on days 3-5, 100/day on days 6-8; MOQ 120. The lock round (day 3)
    can make at most 255 (= floor(0.85 x 300)), so at least 75 must come from round 2 on day 6,
    which then orders >= 120 (MOQ) > 85: infeasible. Cheapest repair: overload day 6 by
    120 - 85 = 35 (overloading day 3 instead costs 330 - 255 = 75)."""
    capacity = np.full((1, 8), 100.0)
    capacity[0, 2] = 300.0
    return presale_problem(
        demand=np.array([[0, 0, 10, 10, 10, 100, 100, 100]]),
        sku_supplier=[0],
        capacity=[100.0],
        lead=[0],
        moq=[120.0],
        clearance=[clearance],
        guarantee=[guarantee],
        capacity_days=capacity,
        policy=Policy(shortage=Shortage.NONE),
    )


def storage_problem(clearance: float = 1.0) -> Problem:
    """No shortage, 10 units/day on days 3-8, storage for 5 units. Each round (days 3 and 6)
    must bring the next 3 days' 30 units, leaving 20 and 10 on hand: over by 15 + 5 twice = 40."""
    return presale_problem(
        demand=np.array([[0, 0, 10, 10, 10, 10, 10, 10]]),
        sku_supplier=[0],
        capacity=[100.0],
        lead=[0],
        clearance=[clearance],
        policy=Policy(shortage=Shortage.NONE, storage_capacity=5.0),
    )


@pytest.mark.parametrize("backend", ["scip", "cbc", "highs"])
def test_moq_over_capacity_is_explained_by_elastic_resolve(backend: str) -> None:
    problem = moq_problem()
    assert problem.rounds == (3, 6)
    assert precheck(problem) == []  # the lock (99 units) fits on day 3
    res = run(problem, backend, time_limit=30)
    assert res.status is Status.INFEASIBLE
    assert res.diagnosis, "no explanation"
    text = " ".join(res.diagnosis)
    assert "S1" in text
    assert re.search(r"\(6\)|\bday 6\b", text), text
    assert re.search(r"\b35\b", text), text
    assert "A" in text


@pytest.mark.parametrize("backend", ["scip", "cbc"])
def test_storage_limit_is_explained_by_elastic_resolve(backend: str) -> None:
    problem = storage_problem()
    assert precheck(problem) == []
    res = run(problem, backend, time_limit=30)
    assert res.status is Status.INFEASIBLE
    text = " ".join(res.diagnosis)
    assert "storage" in text and re.search(r"\b40\b", text), res.diagnosis


def test_elastic_diagnosis_with_default_solver() -> None:
    res = run(moq_problem(), "cpsat", time_limit=30)
    assert res.status is Status.INFEASIBLE
    assert any("35" in line for line in res.diagnosis)


def test_clearance_above_unit_cost_is_rejected() -> None:
    """A clearance price above the unit cost would make buying to clear pay (an unbounded or
    capacity-filling plan): the input is rejected, naming the SKU and column."""
    with pytest.raises(InputError) as info:
        storage_problem(clearance=6.0)  # unit cost 5
    msg = str(info.value)
    assert "clearance_price" in msg and "row 1" in msg and "unit cost" in msg


def test_overload_wording_without_agreement() -> None:
    res = run(moq_problem(guarantee=False), "cbc", time_limit=30)
    assert res.status is Status.INFEASIBLE
    text = " ".join(res.diagnosis)
    assert re.search(r"\b20\b", text), text  # 120 - 100
    assert "85%" not in text and "full capacity" in text, text
