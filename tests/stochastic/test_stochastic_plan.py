"""The two-stage stochastic planner: enumeration on a tiny campaign, and the textbook
inequalities WS <= RP <= EEV (perfect foresight <= stochastic plan <= deterministic plan
evaluated on the same scenarios) on random tiny campaigns."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presale_supply.backends.base import Status
from presale_supply.campaign import Stage
from presale_supply.data import Demand, Policy, Problem
from presale_supply.exceptions import InputError
from presale_supply.replenishment.formulation import Risk
from presale_supply.stochastic import check_scenario_plans, cvar, solve_stochastic
from replenishment.helpers import fractional_two_suppliers, presale_problem

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


def simulate(d: np.ndarray, q0: int, q1: int, **c: float) -> tuple[float, int]:
    """Cost and units sold when ordering q0 on day 1 and q1 on day 3 (arriving the same day),
    first come first served, lost sales: written out by hand, independent of the planner."""
    stock, cost, sold_total = 0, 0.0, 0
    for q in (q0, q1):
        if q > 0:
            cost += c["unit"] * q + c["setup"]
    for t in range(T):
        if t == 0:
            stock += q0
        if t == 2:
            stock += q1
        sold = min(stock, int(d[t]))
        sold_total += sold
        cost += c["penalty"] * (int(d[t]) - sold)
        stock -= sold
        cost += c["hold"] * stock
    return cost - c["clearance"] * stock, sold_total


def cost_of(d: np.ndarray, q0: int, q1: int, **c: float) -> float:
    return simulate(d, q0, q1, **c)[0]


def enumerate_best(
    scen: np.ndarray,
    w: np.ndarray,
    pack: int,
    lock: int,
    *,
    cap: int | None = None,
    service: float | None = None,
    misses: int = 0,
    **c: float,
) -> float:
    """The best expected cost by enumeration: the lock-round quantity q0 is shared, the second
    round q1 is chosen per scenario; at most ``cap`` units per order (capacity, lead time 0);
    with ``service``, each scenario sells at least that share of its demand, except in at most
    ``misses`` scenarios (equal weights), chosen where exempting saves most."""
    top = int(scen.sum(axis=2).max()) + pack
    if cap is not None:
        top = min(top, cap)
    qs = range(0, top + 1, pack)
    best = math.inf
    for q0 in qs:
        if q0 < lock:
            continue
        free, served = [], []
        for s in range(len(w)):
            d = scen[s, 0]
            need = math.ceil(service * d.sum() - 1e-9) if service else 0
            runs = [simulate(d, q0, q1, **c) for q1 in qs]
            free.append(min(cost for cost, _ in runs))
            served.append(min((cost for cost, sold in runs if sold >= need), default=math.inf))
        for k in range(misses + 1):  # every set of at most `misses` exempt scenarios
            for exempt in itertools.combinations(range(len(w)), k):
                exp = sum(w[s] * (free[s] if s in exempt else served[s]) for s in range(len(w)))
                best = min(best, exp)
    return best


COSTS = {"unit": 4.0, "hold": 0.5, "setup": 6.0, "penalty": 12.0, "clearance": 1.0}
SCEN = np.array([[[2, 5, 1, 6]], [[4, 9, 3, 12]], [[1, 2, 0, 3]]], dtype=np.int64)


@pytest.mark.parametrize(("pack", "cap"), [(1, None), (3, None), (1, 8)])
def test_stochastic_lock_matches_enumeration(pack: int, cap: int | None) -> None:
    w = np.array([0.5, 0.3, 0.2])
    p = tiny(SCEN, w, pack=pack, capacity=1000.0 if cap is None else float(cap))
    lock = int(p.lock_units()[0])
    assert lock == math.ceil(math.ceil(0.3 * float(w @ SCEN.sum(axis=2)[:, 0])) / pack) * pack
    res = solve_stochastic(p, "cpsat", gap=0.0, time_limit=30)
    assert res.status is Status.OPTIMAL
    # the supplier has a capacity agreement: at most floor(0.85 x capacity) units a day
    limit = None if cap is None else math.floor(0.85 * cap + 1e-9)
    best = enumerate_best(SCEN, w, pack, lock, cap=limit, **COSTS)
    assert res.expected_cost == pytest.approx(best, abs=1e-6)
    # the lock round is one decision; later rounds differ by scenario
    q0 = res.first_stage_units[0, 0]
    assert q0 >= lock and q0 % pack == 0
    assert all(plan.order_units[0, 0] == q0 for plan in res.plans)
    if cap is not None:  # capacity binds: the largest scenario cannot be served in full
        assert max(plan.order_units.max() for plan in res.plans) <= limit
        assert best > enumerate_best(SCEN, w, pack, lock, **COSTS) + 1e-9
    # each scenario's recorded cost is that of the hand simulation with its own round 2
    for s, plan in enumerate(res.plans):
        c = cost_of(SCEN[s, 0], int(plan.order_units[0, 0]), int(plan.order_units[0, 1]), **COSTS)
        assert res.scenario_costs[s] == pytest.approx(c, abs=1e-6)


def test_one_scenario_matches_enumeration_and_the_deterministic_planner() -> None:
    scen = SCEN[:1]
    p = tiny(scen, np.ones(1))
    res = solve_stochastic(p, gap=0.0)
    best = enumerate_best(scen, np.ones(1), 1, int(p.lock_units()[0]), **COSTS)
    assert res.status is Status.OPTIMAL and res.expected_cost == pytest.approx(best)
    from presale_supply import solve

    det = solve(p, gap=0.0)
    assert det.objective == pytest.approx(best)


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


def test_service_level_and_chance_match_enumeration() -> None:
    w = np.full(3, 1 / 3)
    # a penalty below the unit cost makes shortage pay: the service level must bind
    c = dict(COSTS, penalty=3.0, clearance=0.5)
    p = tiny(SCEN, w, penalty=3.0, clearance=0.5)
    lock = int(p.lock_units()[0])
    for risk, kw in (
        (Risk(), {}),
        (Risk(service_level=0.9), {"service": 0.9}),
        (Risk(service_level=0.9, chance=0.34), {"service": 0.9, "misses": 1}),
        (Risk(service_level=0.9, chance=0.67), {"service": 0.9, "misses": 2}),
    ):
        res = solve_stochastic(p, gap=0.0, risk=risk)
        assert res.status is Status.OPTIMAL, risk
        assert res.expected_cost == pytest.approx(enumerate_best(SCEN, w, 1, lock, **kw, **c)), risk
    # unequal weights that no power of ten makes whole still give CP-SAT whole coefficients
    w2 = np.array([1 / 3, 1 / 6, 1 / 2])
    p2 = tiny(SCEN, w2, penalty=3.0, clearance=0.5)
    res = solve_stochastic(p2, "cpsat", gap=0.0, risk=Risk(service_level=0.9, chance=0.2))
    assert res.status is Status.OPTIMAL
    d = SCEN.sum(axis=2)[:, 0]
    missed = [plan.sold.sum() < math.ceil(0.9 * d[s]) for s, plan in enumerate(res.plans)]
    assert float(w2 @ np.array(missed)) <= 0.2 + 1e-9


def test_cvar_lowers_the_tail() -> None:
    w = np.full(3, 1 / 3)
    p = tiny(SCEN, w, penalty=3.0, clearance=0.5)
    free = solve_stochastic(p, "highs", gap=0.0)
    risky = solve_stochastic(p, "highs", gap=0.0, risk=Risk(cvar_weight=1.0, cvar_alpha=0.5))
    assert risky.status is Status.OPTIMAL
    # minimising CVaR alone: its CVaR is the least; its expected cost is not below the free one
    assert cvar(risky.scenario_costs, w, 0.5) <= cvar(free.scenario_costs, w, 0.5) + 1e-6
    assert risky.expected_cost >= free.expected_cost - 1e-6
    assert risky.objective == pytest.approx(cvar(risky.scenario_costs, w, 0.5))


def test_cvar_definition() -> None:
    c = np.array([1.0, 2.0, 3.0, 10.0])
    w = np.full(4, 0.25)
    assert cvar(c, w, 0.75) == pytest.approx(10.0)
    assert cvar(c, w, 0.5) == pytest.approx(6.5)
    assert cvar(c, w, 0.0) == pytest.approx(c.mean())


def test_bad_input_is_a_clear_error() -> None:
    p = tiny(SCEN[:1], np.ones(1))
    with pytest.raises(InputError, match="stage"):
        solve_stochastic(p, stage=5)
    with pytest.raises(InputError, match="service_level"):
        Risk(service_level=1.5)
    with pytest.raises(InputError, match="needs a service_level"):
        Risk(chance=0.1)
    lock = int(p.lock_units()[0])
    for fixed, match in (
        ({(0, 0): lock - 1}, "below the lock"),
        ({(0, 0): -2}, "whole number of packs"),
        ({(0, 1): 2.5}, "whole number of packs"),
        ({(5, 0): 3}, "keyed"),
        ({(0, 7): 3}, "keyed"),
    ):
        with pytest.raises(InputError, match=match):
            solve_stochastic(p, fixed=fixed)


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

    _scenario_folder(tmp_path / "c")
    code = main(["plan", str(tmp_path / "c"), "--quiet", "--time-limit", "20"])
    assert code == 0
    out = tmp_path / "c" / "plan"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenarios"] == 3 and summary["status"] in ("OPTIMAL", "FEASIBLE")
    costs = pd.read_csv(out / "scenario_costs.csv")
    assert summary["expected_cost"] == pytest.approx(float(costs["weight"] @ costs["cost"]))
    now = pd.read_csv(out / "orders_now.csv")
    assert (now["round"] == 1).all() and len(now) > 0
    plan_cols = ["sku", "supplier", "round", "order_day", "arrival_day", "quantity", "packs"]
    assert list(now.columns) == plan_cols  # the deterministic plan's orders.csv columns
    per = pd.read_csv(out / "scenario_orders.csv")
    assert list(per.columns) == ["scenario", *plan_cols]
    assert set(per["scenario"]) == {"s0", "s1", "s2"}  # labels as in demand.csv
    assert set(costs["scenario"]) == {"s0", "s1", "s2"}
    first = per[per["round"] == 1].pivot(index="sku", columns="scenario", values="quantity")
    assert (first.nunique(axis=1) == 1).all()  # one lock for every scenario
    assert (per["arrival_day"] >= per["order_day"]).all()
    assert (per["quantity"] > 0).all() and (per["packs"] >= 1).all()


def _scenario_folder(path) -> str:
    import pandas as pd

    from presale_supply.datasets import ExampleParams, example_campaign
    from presale_supply.io import write_problem_dir

    ex = example_campaign(1, ExampleParams(n_skus=6))
    rng = np.random.default_rng(0)
    frames = []
    for s in range(3):
        d = ex.demand.copy()
        d["units"] = np.rint(d["units"] * rng.gamma(6, 1 / 6)).astype(int)
        frames.append(d.assign(scenario=f"s{s}", weight=[0.5, 0.3, 0.2][s]))
    write_problem_dir(path, ex.campaign, ex.skus, ex.suppliers, pd.concat(frames))
    return str(path)


def test_plan_command_prints_the_cvar_objective_apart_from_the_expected_cost(
    tmp_path, capsys
) -> None:
    """With --cvar-weight the solver's bound and gap are on the weighted objective: printed
    next to it, and the expected cost on its own line."""
    import json

    from presale_supply.cli import main

    folder = _scenario_folder(tmp_path / "c")
    args = ["plan", folder, "--quiet", "--solver", "highs", "--time-limit", "20"]
    code = main([*args, "--cvar-weight", "0.5", "--cvar-alpha", "0.8"])
    assert code == 0
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "c" / "plan" / "summary.json").read_text())
    obj = next(line for line in out.splitlines() if line.startswith("objective"))
    exp = next(line for line in out.splitlines() if line.startswith("expected"))
    assert f"{summary['objective']:,.2f}" in obj and "bound" in obj and "gap" in obj
    assert obj.endswith("expected cost x 0.5 + CVaR80% x 0.5")
    assert exp.split() == ["expected", f"{summary['expected_cost']:,.2f}"]
    assert summary["objective"] != pytest.approx(summary["expected_cost"])


def test_plan_command_cvar_with_cpsat_says_which_solver_to_use(tmp_path, capsys) -> None:
    from presale_supply.cli import main

    folder = _scenario_folder(tmp_path / "c")
    code = main(["plan", folder, "--quiet", "--cvar-weight", "0.3", "--solver", "cpsat"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "--cvar-weight needs a MIP solver" in err and "--solver highs" in err
    assert not (tmp_path / "c" / "plan" / "summary.json").exists()  # failed before solving


def test_plan_command_cvar_with_the_default_solver_picks_a_mip_solver(tmp_path, capsys) -> None:
    import json

    from presale_supply.cli import main

    folder = _scenario_folder(tmp_path / "c")
    code = main(["plan", folder, "--quiet", "--cvar-weight", "0.3", "--time-limit", "30"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "c" / "plan" / "summary.json").read_text())
    assert "highs" in summary["solver"]


def test_continuous_quantities_survive_the_merge_of_supplier_subproblems() -> None:
    """Two suppliers with 0.7 and 0.9 capacity units per unit: the orders are fractional
    (51 / 0.7 = 72.86 a round), and the merged plan keeps them (it once cut them to whole
    units, which the scenario check rejected)."""
    p = fractional_two_suppliers()
    res = solve_stochastic(p, "auto", time_limit=30)
    assert res.status.has_solution, res.message
    units = res.plans[0].order_units
    assert np.any(np.abs(units - np.rint(units)) > 1e-6), units
