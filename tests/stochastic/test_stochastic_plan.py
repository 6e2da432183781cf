"""The two-stage stochastic planner: enumeration on a tiny campaign, and the textbook
inequalities WS <= RP <= EEV (perfect foresight <= stochastic plan <= deterministic plan
evaluated on the same scenarios) on random tiny campaigns."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presale_supply.backends.base import Status
from presale_supply.campaign import Stage
from presale_supply.data import Demand, Policy, Problem
from presale_supply.exceptions import InputError, PlanCheckError
from presale_supply.replenishment.formulation import Risk, build_formulation
from presale_supply.stochastic import check_scenario_plans, cvar, solve_stochastic
from replenishment.helpers import presale_problem

T = 4
ROUNDS = (1, 3)


def tiny(
    scen: np.ndarray,
    weights: np.ndarray,
    *,
    unit: float = 4.0,
    hold: float = 0.5,
    setup: float = 6.0,
    penalty: float = 12.0,
    clearance: float = 1.0,
    pack: int = 1,
    lock_ratio: float = 0.3,
    capacity: float = 1000.0,
) -> Problem:
    """One SKU, one supplier with lead time 0, rounds on days 1 and 3, lost sales."""
    base = presale_problem(
        demand=scen[0],
        sku_supplier=[0],
        capacity=[capacity],
        lead=[0],
        unit_cost=[unit],
        holding=[hold],
        order_cost=[setup],
        penalty=[penalty],
        clearance=[clearance],
        pack=[pack],
        stages=(Stage("horizon", T),),
        policy=Policy(rounds=ROUNDS, lock_ratio=lock_ratio),
    )
    return dataclasses.replace(base, demand=Demand(scen, weights))


def cost_of(d: np.ndarray, q0: int, q1: int, **c: float) -> float:
    """Cost of ordering q0 on day 1 and q1 on day 3 (arriving the same day), first come first
    served, lost sales: written out by hand, independent of the planner."""
    stock, cost = 0, 0.0
    for q in (q0, q1):
        if q > 0:
            cost += c["unit"] * q + c["setup"]
    for t in range(T):
        if t == 0:
            stock += q0
        if t == 2:
            stock += q1
        sold = min(stock, int(d[t]))
        cost += c["penalty"] * (int(d[t]) - sold)
        stock -= sold
        cost += c["hold"] * stock
    return cost - c["clearance"] * stock


def enumerate_best(scen: np.ndarray, w: np.ndarray, pack: int, lock: int, **c: float) -> float:
    top = int(scen.sum(axis=2).max()) + pack
    best = math.inf
    for q0 in range(0, top + 1, pack):
        if q0 < lock:
            continue
        exp = 0.0
        for s in range(len(w)):
            exp += w[s] * min(cost_of(scen[s, 0], q0, q1, **c) for q1 in range(0, top + 1, pack))
        best = min(best, exp)
    return best


COSTS = {"unit": 4.0, "hold": 0.5, "setup": 6.0, "penalty": 12.0, "clearance": 1.0}


@pytest.mark.parametrize("pack", [1, 3])
def test_stochastic_lock_matches_enumeration(pack: int) -> None:
    scen = np.array([[[2, 5, 1, 6]], [[4, 9, 3, 12]], [[1, 2, 0, 3]]], dtype=np.int64)
    w = np.array([0.5, 0.3, 0.2])
    p = tiny(scen, w, pack=pack)
    lock = int(p.lock_units()[0])
    assert lock == math.ceil(math.ceil(0.3 * float(w @ scen.sum(axis=2)[:, 0])) / pack) * pack
    res = solve_stochastic(p, "cpsat", gap=0.0, time_limit=30)
    assert res.status is Status.OPTIMAL
    best = enumerate_best(scen, w, pack, lock, **COSTS)
    assert res.expected_cost == pytest.approx(best, abs=1e-6)
    # the lock round is one decision; later rounds differ by scenario
    q0 = res.first_stage_units[0, 0]
    assert q0 >= lock and q0 % pack == 0
    assert all(plan.order_units[0, 0] == q0 for plan in res.plans)
    # each scenario's recorded cost is that of the hand simulation with its own round 2
    for s, plan in enumerate(res.plans):
        c = cost_of(scen[s, 0], int(plan.order_units[0, 0]), int(plan.order_units[0, 1]), **COSTS)
        assert res.scenario_costs[s] == pytest.approx(c, abs=1e-6)


def test_one_scenario_is_the_deterministic_model() -> None:
    scen = np.array([[[2, 5, 1, 6]]], dtype=np.int64)
    p = tiny(scen, np.ones(1))
    from presale_supply.replenishment.formulation import build_scenario_formulation

    a = build_formulation(p).model
    b = build_scenario_formulation(p).model
    assert np.array_equal(a.c, b.c) and np.array_equal(a.data, b.data) and a.c0 == b.c0
    res = solve_stochastic(p, gap=0.0)
    best = enumerate_best(scen, np.ones(1), 1, int(p.lock_units()[0]), **COSTS)
    assert res.status is Status.OPTIMAL and res.expected_cost == pytest.approx(best)


def test_fixed_orders_are_kept_and_checked() -> None:
    scen = np.array([[[2, 5, 1, 6]], [[4, 9, 3, 12]]], dtype=np.int64)
    p = tiny(scen, np.array([0.5, 0.5]))
    res = solve_stochastic(p, stage=1, fixed={(0, 0): 9})
    assert all(plan.order_units[0, 0] == 9 for plan in res.plans)
    # stage 1: both rounds are shared
    assert res.plans[0].order_units[0, 1] == res.plans[1].order_units[0, 1]
    # the independent check catches a plan that breaks non-anticipativity
    broken = list(res.plans)
    u = broken[1].order_units.copy()
    u[0, 0] += 1
    broken[1] = dataclasses.replace(broken[1], order_units=u)
    bad, _ = check_scenario_plans(p, tuple(broken), stage=0)
    assert any("same in every scenario" in v for v in bad)


def test_service_level_and_cvar() -> None:
    scen = np.array([[[2, 5, 1, 6]], [[4, 9, 3, 12]], [[1, 2, 0, 3]]], dtype=np.int64)
    w = np.array([1 / 3, 1 / 3, 1 / 3])
    # a penalty below the unit cost makes shortage pay: the service level must bind
    p = tiny(scen, w, penalty=3.0, clearance=0.5)
    free = solve_stochastic(p, gap=0.0)
    served = solve_stochastic(p, gap=0.0, risk=Risk(service_level=0.9))
    assert served.status is Status.OPTIMAL
    d = scen.sum(axis=2)[:, 0]
    for s, plan in enumerate(served.plans):
        assert plan.sold.sum() >= math.ceil(0.9 * d[s])
    assert served.expected_cost >= free.expected_cost - 1e-6
    chance = solve_stochastic(p, gap=0.0, risk=Risk(service_level=0.9, chance=0.34))
    assert free.expected_cost - 1e-6 <= chance.expected_cost <= served.expected_cost + 1e-6
    risky = solve_stochastic(p, "highs", gap=0.0, risk=Risk(cvar_weight=1.0, cvar_alpha=0.5))
    assert risky.status is Status.OPTIMAL
    assert cvar(risky.scenario_costs, w, 0.5) <= cvar(free.scenario_costs, w, 0.5) + 1e-6


def test_cvar_definition() -> None:
    c = np.array([1.0, 2.0, 3.0, 10.0])
    w = np.full(4, 0.25)
    assert cvar(c, w, 0.75) == pytest.approx(10.0)
    assert cvar(c, w, 0.5) == pytest.approx(6.5)
    assert cvar(c, w, 0.0) == pytest.approx(c.mean())


def test_bad_stage_is_a_clear_error() -> None:
    scen = np.array([[[2, 5, 1, 6]]], dtype=np.int64)
    with pytest.raises(InputError, match="stage"):
        solve_stochastic(tiny(scen, np.ones(1)), stage=5)
    with pytest.raises(InputError, match="service_level"):
        Risk(service_level=1.5)
    assert issubclass(PlanCheckError, Exception)


@st.composite
def campaigns(draw: st.DrawFn) -> tuple[Problem, np.ndarray]:
    S = draw(st.integers(2, 4))
    n = draw(st.integers(1, 2))
    base = np.array(draw(st.lists(st.integers(0, 6), min_size=n * T, max_size=n * T)))
    base = base.reshape(n, T)
    scale = np.array(draw(st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0]), min_size=S, max_size=S)))
    scen = np.rint(scale[:, None, None] * base[None]).astype(np.int64)
    w = np.array(draw(st.lists(st.integers(1, 4), min_size=S, max_size=S)), dtype=float)
    w = w / w.sum()
    p = presale_problem(
        demand=scen[0],
        sku_supplier=[0] * n,
        capacity=[float(draw(st.integers(8, 40)))],
        lead=[draw(st.integers(0, 1))],
        unit_cost=[4.0] * n,
        holding=[draw(st.sampled_from([0.1, 0.5]))] * n,
        order_cost=[float(draw(st.integers(1, 10)))] * n,
        penalty=[float(draw(st.integers(5, 15)))] * n,
        clearance=[1.0] * n,
        pack=[draw(st.sampled_from([1, 2]))] * n,
        stages=(Stage("horizon", T),),
        policy=Policy(rounds=(0, 2, 3)),
    )
    return dataclasses.replace(p, demand=Demand(scen, w)), w


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_perfect_foresight_le_stochastic_le_deterministic(case: tuple[Problem, np.ndarray]) -> None:
    p, w = case
    rp = solve_stochastic(p, gap=0.0, time_limit=20)
    if rp.status is Status.INFEASIBLE:
        return
    assert rp.status is Status.OPTIMAL and rp.expected_cost is not None
    lock = p.lock_units()
    # deterministic plan on the expected demand, with the same lock
    mean = np.rint(np.tensordot(w, p.demand.units, axes=1)).astype(np.int64)
    det_p = dataclasses.replace(p, demand=Demand(mean[None], np.ones(1)), lock=lock)
    det = solve_stochastic(det_p, gap=0.0, time_limit=20)
    if det.plans:  # its lock round, fixed, then the best recourse per scenario
        u0 = det.first_stage_units[:, 0] // p.skus.pack_size
        eev = solve_stochastic(p, gap=0.0, fixed={(i, 0): int(u0[i]) for i in range(len(u0))})
        if eev.plans:
            assert eev.status is Status.OPTIMAL
            assert rp.expected_cost <= eev.expected_cost + 1e-6
    # perfect foresight: each scenario planned knowing its demand
    ws = 0.0
    for s in range(len(w)):
        one = dataclasses.replace(
            p, demand=Demand(p.demand.units[s : s + 1], np.ones(1)), lock=lock
        )
        r = solve_stochastic(one, gap=0.0, time_limit=20)
        assert r.status is Status.OPTIMAL and r.expected_cost is not None
        ws += w[s] * r.expected_cost
    assert ws <= rp.expected_cost + 1e-6


def test_plan_command_on_scenario_demand(tmp_path) -> None:
    import json

    import pandas as pd

    from presale_supply.cli import main
    from presale_supply.datasets import ExampleParams, example_campaign
    from presale_supply.io import write_problem_dir

    ex = example_campaign(1, ExampleParams(n_skus=6))
    rng = np.random.default_rng(0)
    frames = []
    for s in range(3):
        d = ex.demand.copy()
        d["units"] = np.rint(d["units"] * rng.gamma(6, 1 / 6)).astype(int)
        frames.append(d.assign(scenario=f"s{s}", weight=[0.5, 0.3, 0.2][s]))
    write_problem_dir(tmp_path / "c", ex.campaign, ex.skus, ex.suppliers, pd.concat(frames))
    code = main(["plan", str(tmp_path / "c"), "--quiet", "--time-limit", "20"])
    assert code == 0
    out = tmp_path / "c" / "plan"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenarios"] == 3 and summary["status"] in ("OPTIMAL", "FEASIBLE")
    costs = pd.read_csv(out / "scenario_costs.csv")
    assert summary["expected_cost"] == pytest.approx(float(costs["weight"] @ costs["cost"]))
    now = pd.read_csv(out / "orders_now.csv")
    assert (now["round"] == 0).all() and len(now) > 0
    per = pd.read_csv(out / "scenario_orders.csv")
    first = per[per["round"] == 0].pivot(index="sku", columns="scenario", values="units")
    assert (first.nunique(axis=1) == 1).all()  # one lock for every scenario
