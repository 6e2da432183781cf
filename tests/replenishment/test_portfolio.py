"""The portfolio: ``solver="auto"`` races CP-SAT (aggregate) against SCIP (facility location).

The race itself is tested with stand-in backends whose timing is known; the planner's use of it
with the real solvers, on problems whose optimum the single backends also prove.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import time
from typing import Any

import numpy as np
import pytest

from presale_supply.backends.base import (
    Backend,
    ChildSolve,
    RawSolution,
    SolveOptions,
    Status,
    get_backend,
)
from presale_supply.backends.portfolio import race
from presale_supply.exceptions import SolverError
from presale_supply.milp import MILP, MILPBuilder
from presale_supply.replenishment import solve as solve_mod
from presale_supply.replenishment.checker import check_plan

from .helpers import lot_sizing, presale_problem, require_backend, run


def _tiny() -> MILP:
    b = MILPBuilder()
    b.add_vars(1, ub=1, integer=True, cost=1.0)
    return b.build()


class _Waits(Backend):
    """Runs until its stop event is set (or ``options.time_limit`` passes); FEASIBLE."""

    name = "waits"
    package = "numpy"

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        t0 = time.perf_counter()
        limit = options.time_limit or 60.0
        while time.perf_counter() - t0 < limit:
            if options.stop is not None and options.stop.is_set():
                break
            time.sleep(0.01)
        return RawSolution(
            Status.FEASIBLE, np.zeros(1), 0.0, -1.0, time.perf_counter() - t0, self.name
        )


class _Proves(Backend):
    """Proves optimality after ``delay`` seconds."""

    name = "proves"
    package = "numpy"

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        time.sleep(self.delay)
        return RawSolution(Status.OPTIMAL, np.zeros(1), 0.0, 0.0, self.delay, self.name)


class _Raises(Backend):
    name = "raises"
    package = "numpy"

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        raise RuntimeError("solver exploded")


def _no_children_left() -> None:
    assert mp.active_children() == []


def test_a_child_that_proves_optimality_stops_the_in_process_solver() -> None:
    t0 = time.perf_counter()
    first, child = race(
        [(_Waits(), _tiny(), SolveOptions(time_limit=30)), (_Proves(0.3), _tiny(), SolveOptions())]
    )
    assert child.status is Status.OPTIMAL
    assert first.status is Status.FEASIBLE
    assert time.perf_counter() - t0 < 15  # stopped, not run to its 30 s limit
    _no_children_left()


def test_the_in_process_solver_proving_optimality_kills_the_child() -> None:
    t0 = time.perf_counter()
    first, child = race(
        [(_Proves(0.2), _tiny(), SolveOptions()), (_Waits(), _tiny(), SolveOptions(time_limit=30))]
    )
    assert first.status is Status.OPTIMAL
    assert child.status is Status.NO_SOLUTION
    assert "settled the problem first" in child.message
    assert time.perf_counter() - t0 < 15
    _no_children_left()


def test_a_failing_child_is_an_error_result_not_a_crash() -> None:
    first, child = race(
        [(_Waits(), _tiny(), SolveOptions(time_limit=1.0)), (_Raises(), _tiny(), SolveOptions())]
    )
    assert first.status is Status.FEASIBLE
    assert child.status is Status.ERROR
    assert "solver exploded" in child.message
    _no_children_left()


def test_an_in_process_solver_that_raises_leaves_the_child_to_solve_it() -> None:
    first, child = race(
        [(_Raises(), _tiny(), SolveOptions()), (_Proves(0.2), _tiny(), SolveOptions())]
    )
    assert first.status is Status.ERROR and "solver exploded" in first.message
    assert child.status is Status.OPTIMAL
    _no_children_left()


def test_a_child_still_running_after_its_deadline_and_the_wait_is_stopped() -> None:
    """_Waits ignores the deadline (a solver that overruns): the race stops it at the deadline
    plus ``wait``, not at its 30 s limit."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + 1.0
    first, child = race(
        [
            (_Waits(), _tiny(), SolveOptions(time_limit=0.2)),
            (_Waits(), _tiny(), SolveOptions(time_limit=30, deadline=deadline)),
        ],
        wait=0.5,
    )
    took = time.perf_counter() - t0
    assert first.status is Status.FEASIBLE
    assert child.status is Status.NO_SOLUTION and "time was up" in child.message
    assert 1.0 <= took < 10  # waited for the deadline, then stopped the child
    _no_children_left()


def test_an_early_failure_in_process_leaves_the_child_its_whole_time() -> None:
    """CP-SAT failing at once (e.g. coefficients it cannot scale) must not cut the child short:
    ``wait`` counts from the child's own deadline, not from the first entry's return."""
    first, child = race(
        [
            (_Raises(), _tiny(), SolveOptions()),
            (_Proves(2.0), _tiny(), SolveOptions(time_limit=20)),
        ],
        wait=1.0,
    )
    assert first.status is Status.ERROR
    assert child.status is Status.OPTIMAL
    _no_children_left()


def test_cpsat_stop_set_before_the_solve_starts_still_stops_it() -> None:
    require_backend("cpsat")
    import threading

    rng = np.random.default_rng(1)
    n = 300
    b = MILPBuilder()
    b.add_vars(n, ub=1, integer=True, cost=-rng.integers(1000, 100_000, size=n).astype(float))
    for _ in range(20):
        a = rng.integers(1000, 100_000, size=n)
        b.add_row(np.arange(n), a.astype(float), hi=float(a.sum() // 2))
    stop = threading.Event()
    stop.set()
    t0 = time.perf_counter()
    get_backend("cpsat").solve(b.build(), SolveOptions(time_limit=60, threads=1, stop=stop))
    assert time.perf_counter() - t0 < 10


def test_auto_is_cpsat_for_get_backend() -> None:
    require_backend("cpsat")
    assert get_backend("auto").name == "cpsat"


def test_a_daemon_process_may_not_start_a_solver_child(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Daemon:
        daemon = True

    require_backend("scip")
    monkeypatch.setattr(mp, "current_process", lambda: _Daemon())
    with pytest.raises(SolverError, match="daemon"):
        ChildSolve(_Proves(0.0), _tiny(), SolveOptions())
    p = lot_sizing([[5, 0, 7]], holding=[1.0], setup_cost=[10.0])
    assert not solve_mod.portfolio_applies(p, "auto", 2, None, None)


def test_cpsat_stops_when_its_stop_event_is_set() -> None:
    require_backend("cpsat")
    import threading

    # a knapsack-like model CP-SAT cannot prove within a second
    rng = np.random.default_rng(0)
    n = 400
    b = MILPBuilder()
    w = rng.integers(1000, 100_000, size=n)
    b.add_vars(n, ub=1, integer=True, cost=-w.astype(float))
    cols = np.arange(n)
    for _ in range(30):
        a = rng.integers(1000, 100_000, size=n)
        b.add_row(cols, a.astype(float), hi=float(a.sum() // 2))
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    t0 = time.perf_counter()
    try:
        raw = get_backend("cpsat").solve(
            b.build(), SolveOptions(time_limit=60, threads=1, stop=stop)
        )
    finally:
        timer.cancel()
    # without the event it runs to its 60 s limit (25 s measured at a 25 s limit)
    assert time.perf_counter() - t0 < 10
    assert raw.status is Status.FEASIBLE


# ---- the planner's portfolio --------------------------------------------------------------------
def _campaign(seed: int) -> Any:
    rng = np.random.default_rng(seed)
    n = 4
    return presale_problem(
        demand=rng.integers(0, 12, size=(n, 8)),
        sku_supplier=[0, 0, 0, 0],
        capacity=[70.0],
        lead=[1],
        unit_cost=[5.0, 4.0, 6.0, 3.0],
        order_cost=[3.0] * n,
        penalty=[9.0] * n,
        pack=[1, 2, 1, 3],
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_portfolio_finds_the_single_backends_optimum(seed: int) -> None:
    require_backend("cpsat")
    require_backend("scip")
    p = _campaign(seed)
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.solver.startswith("portfolio"), res.solver
    assert "scip/facility_location: ERROR" not in res.message, res.message
    assert res.status is Status.OPTIMAL, res.message
    assert res.arrays is not None and check_plan(p, res.arrays).ok
    ref = run(p, "cpsat", threads=1, time_limit=30)
    assert ref.status is Status.OPTIMAL
    assert res.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-6)


def test_one_thread_or_a_reproducible_limit_means_cpsat_alone() -> None:
    require_backend("scip")
    p = _campaign(0)
    assert solve_mod.portfolio_applies(p, "auto", 2, None, None)
    assert not solve_mod.portfolio_applies(p, "auto", 1, None, None)
    assert not solve_mod.portfolio_applies(p, "auto", 2, 100, None)
    assert not solve_mod.portfolio_applies(p, "auto", 2, None, 5.0)
    assert not solve_mod.portfolio_applies(p, "cpsat", 2, None, None)
    res = run(p, "auto", threads=1, time_limit=30)
    assert not res.solver.startswith("portfolio")
    assert res.status is Status.OPTIMAL


def _patched_race(
    monkeypatch: pytest.MonkeyPatch, cp_bound_drop: float, scip_bound_drop: float
) -> None:
    """Make both racers stop short: FEASIBLE (or NO_SOLUTION for one stopped without a plan),
    their bounds the optimum lowered by the given amounts. (A killed SCIP child has no bound
    in reality; here it gets one, to test how the two results are combined.)"""
    import presale_supply.backends.portfolio as portfolio

    real = portfolio.race

    def fake(entries: Any, **kw: Any) -> list[RawSolution]:
        out = real(entries, **kw)
        best = min(r.objective for r in out if r.objective is not None)
        drops = (cp_bound_drop, scip_bound_drop)
        return [
            dataclasses.replace(
                r,
                status=Status.FEASIBLE if r.x is not None else Status.NO_SOLUTION,
                bound=best - d,
            )
            for r, d in zip(out, drops, strict=True)
        ]

    monkeypatch.setattr(portfolio, "race", fake)


def test_portfolio_keeps_the_larger_bound_of_two_unfinished_solvers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_backend("scip")
    p = _campaign(0)
    ref = run(p, "cpsat", threads=1, time_limit=30)
    _patched_race(monkeypatch, cp_bound_drop=10.0, scip_bound_drop=4.0)
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.status is Status.FEASIBLE
    assert ref.objective is not None
    assert res.bound == pytest.approx(ref.objective - 4.0)


def test_portfolio_is_optimal_when_one_bound_meets_the_other_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_backend("scip")
    p = _campaign(1)
    _patched_race(monkeypatch, cp_bound_drop=10.0, scip_bound_drop=0.0)
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.status is Status.OPTIMAL
    assert "together close the gap" in res.message


def test_scips_plan_is_kept_when_cpsat_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    require_backend("scip")
    import presale_supply.backends.portfolio as portfolio

    p = _campaign(2)
    ref = run(p, "scip", time_limit=30)
    real = portfolio.race

    def fake(entries: Any, **kw: Any) -> list[RawSolution]:
        # CP-SAT "finds nothing"; SCIP runs alone
        cp = RawSolution(Status.NO_SOLUTION, None, None, None, 0.1, "cpsat", "nothing")
        return [cp, *real(entries[1:], **kw)]

    monkeypatch.setattr(portfolio, "race", fake)
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.status is Status.OPTIMAL
    assert "plan from scip/facility_location" in res.message
    assert res.model_size["formulation"] == "facility_location"
    assert res.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-6)
    assert res.arrays is not None and check_plan(p, res.arrays).ok


def test_a_zero_cost_plan_is_the_best_plan() -> None:
    """No demand and no lock: the empty plan costs 0 and must win over any other."""
    require_backend("scip")
    p = presale_problem(
        demand=np.zeros((2, 8), dtype=int), sku_supplier=[0, 0], capacity=[50.0], lead=[1]
    )
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(0.0, abs=1e-9)


def test_an_infeasible_problem_through_the_portfolio() -> None:
    """Lot sizing must meet demand: 125 units in 3 periods of 30 cannot be made. The pre-check
    (lock against capacity) does not see this, so the race itself must say INFEASIBLE."""
    require_backend("scip")
    p = lot_sizing([[5, 60, 60]], holding=[1.0], setup_cost=[10.0], capacity=30.0)
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.solver.startswith("portfolio"), res.solver
    assert res.status is Status.INFEASIBLE, res.message
    assert res.objective is None


def test_a_floating_point_objective_is_optimal_only_with_a_bound() -> None:
    """A holding cost of 1/997 is not whole at any power of ten, so CP-SAT uses its
    floating-point objective: an OPTIMAL result must still come with a bound and a zero gap."""
    require_backend("scip")
    p = lot_sizing([[5, 0, 7, 3]], holding=[1 / 997], setup_cost=[10.0])
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.solver.startswith("portfolio")
    assert res.status is Status.OPTIMAL, res.message
    assert res.bound is not None and res.gap is not None and res.gap <= 1e-6
    ref = run(p, "scip", time_limit=30)
    assert res.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-9)


def test_a_bound_from_a_run_whose_plan_fails_the_check_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CP-SAT claims OPTIMAL with a plan the checker rejects: SCIP's plan is returned, and
    neither CP-SAT's claim nor its bound may certify it."""
    require_backend("scip")
    import presale_supply.backends.portfolio as portfolio

    p = _campaign(0)
    real = portfolio.race

    def fake(entries: Any, **kw: Any) -> list[RawSolution]:
        (sc,) = real(entries[1:], **kw)  # SCIP alone: no race to lose
        assert sc.objective is not None
        n = entries[0][1].n_vars
        bad = RawSolution(Status.OPTIMAL, np.full(n, 1e6), 0.0, sc.objective, 0.1, "cpsat")
        sc = dataclasses.replace(sc, status=Status.FEASIBLE, bound=sc.objective - 5.0)
        return [bad, sc]

    monkeypatch.setattr(portfolio, "race", fake)
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.status is Status.FEASIBLE, res.message
    assert "set aside with its bound" in res.message
    assert res.objective is not None and res.bound == pytest.approx(res.objective - 5.0)


def test_both_racers_get_one_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    require_backend("scip")
    import presale_supply.backends.portfolio as portfolio

    real = portfolio.race
    seen: list[SolveOptions] = []

    def spy(entries: Any, **kw: Any) -> list[RawSolution]:
        seen.extend(o for _, _, o in entries)
        return real(entries, **kw)

    monkeypatch.setattr(portfolio, "race", spy)
    t = time.monotonic()
    run(_campaign(0), "auto", threads=2, time_limit=20)
    assert len(seen) == 2
    assert seen[0].deadline is not None and seen[0].deadline == seen[1].deadline
    assert t < seen[0].deadline <= t + 20.5  # the budget, less model building


class _Reports(_Proves):
    """Spends ``delay`` seconds (its model building), then reports the limit its solver would
    get as its objective."""

    name = "reports"

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        time.sleep(self.delay)
        left = options.solver_seconds()
        return RawSolution(Status.FEASIBLE, np.zeros(1), left, None, self.delay, self.name)


def test_a_child_solver_clock_is_cut_to_the_deadline() -> None:
    deadline = time.monotonic() + 4.0
    _, child = race(
        [
            (_Waits(), _tiny(), SolveOptions(time_limit=0.1)),
            (_Reports(1.0), _tiny(), SolveOptions(time_limit=30, deadline=deadline)),
        ],
        wait=1.0,
    )
    assert child.status is Status.FEASIBLE, child.message
    assert child.objective is not None and 2.0 < child.objective < 3.2  # 4 s less the 1 s build
    _no_children_left()


def test_above_the_size_limit_cpsat_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    require_backend("scip")
    monkeypatch.setattr(solve_mod, "PORTFOLIO_MAX_INTEGERS", 0)
    res = run(_campaign(0), "auto", threads=2, time_limit=30)
    assert "so CP-SAT ran alone with 2 workers" in res.message
    assert res.status is Status.OPTIMAL


def test_a_named_formulation_means_no_race() -> None:
    require_backend("scip")
    res = run(_campaign(0), "auto", threads=2, time_limit=30, formulation="facility_location")
    assert not res.solver.startswith("portfolio")
    assert res.model_size["formulation"] == "facility_location"


def test_auto_with_continuous_quantities_is_scip() -> None:
    require_backend("scip")
    p = lot_sizing([[5, 0, 7, 3]], holding=[1.0], setup_cost=[10.0])
    p = dataclasses.replace(p, policy=dataclasses.replace(p.policy, integer_quantities=False))
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.solver.startswith("scip"), res.solver
    assert res.status is Status.OPTIMAL
    assert solve_mod.resolve_auto(p, "auto") == "scip"
    assert solve_mod.resolve_auto(p, "highs") == "highs"


def test_a_worker_thread_does_not_race() -> None:
    require_backend("scip")
    import threading

    p = _campaign(0)
    seen: list[bool] = []
    th = threading.Thread(
        target=lambda: seen.append(solve_mod.portfolio_applies(p, "auto", 2, None, None))
    )
    th.start()
    th.join()
    assert seen == [False]


def test_the_portfolio_keeps_to_its_time_budget() -> None:
    """Lot sizing that neither solver settles within 3 s: the call ends near its budget."""
    require_backend("scip")
    rng = np.random.default_rng(7)
    n, t = 20, 20  # about a 1% gap for both solvers at 3 s (measured)
    demand = rng.integers(0, 120, size=(n, t))
    p = lot_sizing(
        demand,
        holding=rng.uniform(1, 5, n).round(1).tolist(),
        setup_cost=rng.uniform(200, 900, n).round().tolist(),
        capacity=float(demand.sum() / t * 1.3),
        setup_time=rng.uniform(3, 10, n).round().tolist(),
    )
    t0 = time.perf_counter()
    res = run(p, "auto", threads=2, time_limit=3)
    # one deadline for both solvers (3.1 s measured; 4-4.5 s before it); slack on top
    assert time.perf_counter() - t0 < 3 + 2
    assert res.solver.startswith("portfolio")
    assert res.status.has_solution, res.message  # FEASIBLE here: a 1% gap at the limit


def test_a_decomposed_campaign_says_which_plans_the_portfolio_kept() -> None:
    require_backend("scip")
    from presale_supply.datasets import ExampleParams, example_campaign

    p = example_campaign(0, ExampleParams(n_skus=16)).to_problem()
    res = run(p, "auto", threads=2, time_limit=30)
    assert res.solver.startswith("portfolio")
    assert "portfolio plans kept: " in res.message, res.message
    kept = res.message.split("portfolio plans kept: ")[1].split(";")[0]
    total = sum(int(part.split(" for ")[1].split()[0]) for part in kept.split(", "))
    assert total == res.model_size["subproblems"]
    forms = str(res.model_size["formulation"]).split("+")
    assert sorted(forms) == sorted(
        {part.split(" for ")[0].split("/")[1] for part in kept.split(", ")}
    )


def test_a_deadline_cuts_the_solver_clock() -> None:
    assert SolveOptions(time_limit=30).solver_seconds() == 30
    soon = SolveOptions(time_limit=30, deadline=time.monotonic() + 2.0).solver_seconds()
    assert soon is not None and 1.0 < soon <= 2.0
    past = SolveOptions(time_limit=30, deadline=time.monotonic() - 5.0).solver_seconds()
    assert past == 0.05  # still a positive limit: the solver returns what it has
    assert SolveOptions(time_limit=None, deadline=time.monotonic() + 3.0).solver_seconds() <= 3.0
