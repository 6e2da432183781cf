"""Hypothesis properties of the planner on small random presale problems (2-4 SKUs, 1-2
suppliers, an 8-day campaign: warm-up 2, presale 3, replenishment 2, clearance 1; lead times 0-2).

Every rule is re-derived here from the raw numbers (lock = ceil(0.3 x demand) in whole packs,
daily load <= floor(0.85 x capacity) under a capacity guarantee), not read from the library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from presale_supply.backends.base import Status
from presale_supply.data import Policy, Problem, Shortage
from presale_supply.replenishment.checker import check_plan
from presale_supply.replenishment.plan import PlanResult
from presale_supply.replenishment.solve import precheck

from .helpers import presale_problem, run

T = 8
PROPS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass(frozen=True)
class Case:
    """Plain numbers of a random problem (``build`` turns them into a Problem)."""

    kwargs: dict[str, Any]

    def build(self, capacity_factor: float = 1.0) -> Problem:
        kw = dict(self.kwargs)
        kw["capacity"] = [c * capacity_factor for c in kw["capacity"]]
        return presale_problem(**kw)


@st.composite
def cases(draw: st.DrawFn, capacity: tuple[int, int] = (25, 90), backlog: bool = True) -> Case:
    n = draw(st.integers(2, 4))
    n_sup = draw(st.integers(1, 2))
    shortages = [Shortage.LOST_SALES, Shortage.NONE] + ([Shortage.BACKLOG] if backlog else [])
    shortage = draw(st.sampled_from(shortages))
    unit = [float(draw(st.integers(1, 9))) for _ in range(n)]
    penalty = [u + draw(st.integers(0, 20)) for u in unit]
    ints = st.integers
    demand = np.array([[draw(ints(0, 9)) for _ in range(T)] for _ in range(n)])
    if shortage is Shortage.NONE:
        demand[:, :2] = 0  # no deliveries in warm-up: the lock round arrives on day 3 at best
    kwargs: dict[str, Any] = {
        "demand": demand,
        "sku_supplier": [draw(ints(0, n_sup - 1)) for _ in range(n)],
        "capacity": [float(draw(ints(*capacity))) for _ in range(n_sup)],
        "lead": [draw(ints(0, 2)) for _ in range(n_sup)],
        "guarantee": [draw(st.booleans()) for _ in range(n_sup)],
        "fixed_order_cost": [float(draw(ints(0, 10))) for _ in range(n_sup)],
        "unit_cost": unit,
        "penalty": penalty,
        "holding": [draw(st.sampled_from([0.0, 0.1, 0.3, 0.5])) for _ in range(n)],
        "backlog_cost": [draw(st.sampled_from([0.0, 0.2, 1.0])) for _ in range(n)],
        "clearance": [u * draw(st.sampled_from([0.0, 0.3])) for u in unit],
        "order_cost": [float(draw(ints(0, 30))) for _ in range(n)],
        "pack": [draw(ints(1, 3)) for _ in range(n)],
        "moq": [float(draw(st.sampled_from([0, 0, 4, 6]))) for _ in range(n)],
        "initial": [draw(ints(0, 4)) for _ in range(n)],
        "capacity_per_order": [float(draw(ints(0, 2))) for _ in range(n)],
        "policy": Policy(shortage=shortage),
    }
    return Case(kwargs)


def lock_units(problem: Problem) -> np.ndarray:
    """ceil(30% of campaign demand), rounded up to whole packs (integer arithmetic)."""
    assert problem.policy.lock_ratio == 0.3
    demand = problem.demand.units[0].sum(axis=1)
    need = [(3 * int(d) + 9) // 10 for d in demand]
    packs = problem.skus.pack_size.astype(int)
    return np.array([math.ceil(q / p) * p for q, p in zip(need, packs, strict=True)])


def daily_limit(problem: Problem, s: int) -> int:
    cap = int(problem.suppliers.capacity_per_day[s])
    return (cap * 85) // 100 if problem.suppliers.capacity_guarantee[s] else cap


def recomputed_load(problem: Problem, res: PlanResult) -> dict[tuple[str, int], float]:
    """Capacity used per (supplier, day) from the production and order tables."""
    sk = problem.skus
    index = {s: k for k, s in enumerate(sk.ids)}
    load: dict[tuple[str, int], float] = {}
    for row in res.production.itertuples():
        key = (row.supplier, int(row.day))
        load[key] = load.get(key, 0.0) + sk.capacity_per_unit[index[row.sku]] * row.units
    for row in res.orders.itertuples():
        key = (row.supplier, int(row.order_day))
        load[key] = load.get(key, 0.0) + sk.capacity_per_order[index[row.sku]]
    return load


def assert_plan_obeys_rules(problem: Problem, res: PlanResult) -> None:
    assert res.arrays is not None
    report = check_plan(problem, res.arrays)
    assert report.ok, report.violations
    sk = problem.skus
    # lock: the first round orders at least ceil(30% of demand) in whole packs
    first = res.arrays.order_units[:, 0]
    assert (first >= lock_units(problem)).all(), (first, lock_units(problem))
    # packs and MOQ
    for row in res.orders.itertuples():
        i = sk.ids.index(row.sku)
        assert row.quantity % int(sk.pack_size[i]) == 0
        assert row.quantity >= sk.moq[i]
        assert row.quantity == row.packs * sk.pack_size[i]
    # buffer: daily load <= floor(0.85 x capacity) under a guarantee, <= capacity otherwise
    for (sup, day), used in recomputed_load(problem, res).items():
        s = problem.suppliers.ids.index(sup)
        assert used <= daily_limit(problem, s) + 1e-9, (sup, day, used)
    table = res.capacity
    for row in table.itertuples():
        s = problem.suppliers.ids.index(row.supplier)
        assert row.used <= daily_limit(problem, s) + 1e-9
        assert row.limit == daily_limit(problem, s)


@PROPS
@given(case=cases())
def test_returned_plans_obey_checker_lock_and_buffer(case: Case) -> None:
    problem = case.build()
    res = run(problem, "cpsat", time_limit=10, explain=False)
    event(f"{problem.policy.shortage.value}: {res.status.value}")
    assert res.status in (Status.OPTIMAL, Status.FEASIBLE, Status.INFEASIBLE), res.message
    if res.status.has_solution:
        assert_plan_obeys_rules(problem, res)
        assert res.bound is not None and res.objective is not None
        assert res.bound <= res.objective + 1e-6 * max(1.0, abs(res.objective))
    else:
        assert res.arrays is None and res.objective is None


@PROPS
@given(case=cases(), factor=st.sampled_from([1.25, 2.0, 4.0]))
def test_raising_capacity_never_raises_the_optimum(case: Case, factor: float) -> None:
    low = run(case.build(), "cpsat", time_limit=10, explain=False)
    high = run(case.build(factor), "cpsat", time_limit=10, explain=False)
    if low.status.has_solution:
        # more capacity keeps every plan feasible
        assert high.status.has_solution, (high.status, high.message)
    assume(low.status is Status.OPTIMAL and high.status is Status.OPTIMAL)
    assert low.objective is not None and high.objective is not None
    assert high.objective <= low.objective + 1e-6 * max(1.0, abs(low.objective))


@PROPS
@given(case=cases(capacity=(2, 30)))
def test_precheck_infeasibility_is_reported_with_the_supplier(case: Case) -> None:
    problem = case.build()
    findings = precheck(problem)
    # independent lock arithmetic: lock load over the lock round's production days
    lock = lock_units(problem)
    sk = problem.skus
    short = set()
    for s, sup in enumerate(problem.suppliers.ids):
        members = [i for i in range(len(sk)) if problem.sku_supplier[i] == s and lock[i] > 0]
        if not members:
            continue
        days = max(int(problem.suppliers.lead_time_days[s]), 1)
        need = sum(sk.capacity_per_unit[i] * lock[i] + sk.capacity_per_order[i] for i in members)
        if need > daily_limit(problem, s) * days + 1e-9:
            short.add(sup)
    event(f"suppliers short of the lock: {len(short)}")
    named = {sup for sup in problem.suppliers.ids if any(f"Supplier {sup} " in f for f in findings)}
    assert named == short, (findings, short)
    if findings:
        res = run(problem, "cpsat", time_limit=10)
        assert res.status is Status.INFEASIBLE
        assert res.diagnosis, "an infeasible result must say why"
        assert res.arrays is None
        for sup in short:
            assert any(sup in line for line in res.diagnosis), res.diagnosis


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_backends_agree_on_random_problems(case: Case) -> None:
    """CP-SAT (aggregate model) and SCIP (facility-location model) find the same optimum."""
    problem = case.build()
    a = run(problem, "cpsat", time_limit=10, explain=False)
    b = run(problem, "scip", time_limit=10, explain=False)
    assert a.status.has_solution == b.status.has_solution, (a.status, b.status)
    assume(a.status is Status.OPTIMAL and b.status is Status.OPTIMAL)
    assert a.objective == pytest.approx(b.objective, rel=1e-7, abs=1e-6)


# ---- backlog: a unit may not be delivered twice -------------------------------------------------
def _backlog_problem(**overrides: Any) -> Problem:
    kw: dict[str, Any] = {
        "demand": np.array([[0, 0, 3, 3, 3, 3, 3, 3]]),
        "sku_supplier": [0],
        "capacity": [50.0],
        "lead": [1],
        "unit_cost": [5.0],
        "holding": [0.0],
        "penalty": [2.0],
        "clearance": [2.0],  # ties: keeping stock for clearance costs the same as serving
        "policy": Policy(shortage=Shortage.BACKLOG),
    }
    kw.update(overrides)
    return presale_problem(**kw)


@pytest.mark.parametrize("backend", ["cpsat", "scip"])
def test_backlog_plan_never_delivers_negative_units(backend: str) -> None:
    problem = _backlog_problem()
    res = run(problem, backend, time_limit=10)
    assert res.status is Status.OPTIMAL
    assert res.arrays is not None and (res.arrays.sold >= 0).all()


def test_backlog_with_costly_waiting_is_valid() -> None:
    """Holding and backlog costs > 0, clearance below the penalty."""
    problem = _backlog_problem(holding=[0.1], backlog_cost=[0.5], clearance=[0.5])
    res = run(problem, "cpsat", time_limit=10)
    assert res.status is Status.OPTIMAL
    assert res.arrays is not None and (res.arrays.sold >= 0).all()
    inv = res.inventory
    # every unit waiting at the end is a unit of demand that was never delivered
    assert inv["sold"].sum() + inv[inv["day"] == T]["short"].sum() == inv["demand"].sum()
