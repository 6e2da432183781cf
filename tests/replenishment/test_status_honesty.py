"""Status honesty: a run stopped by a limit is never OPTIMAL; the gap is relative_gap(objective,
bound); a reported bound is a lower bound (it includes the objective's constant term)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from presale_supply.backends.base import (
    Backend,
    RawSolution,
    SolveOptions,
    Status,
    get_backend,
    relative_gap,
)
from presale_supply.lotsizing import lot_sizing_problem, read_trigeiro
from presale_supply.milp import MILP
from presale_supply.replenishment import solve as solve_module
from presale_supply.replenishment.checker import check_plan
from presale_supply.replenishment.plan import PlanResult

from .helpers import ALL_BACKENDS, TRIGEIRO, lot_sizing, presale_problem, run


def _trigeiro(name: str, unit_times: bool = False):  # -> Problem
    path = TRIGEIRO / f"{name}.DAT"
    if not path.is_file():
        pytest.skip(f"shared Trigeiro data not found: {path}")
    return lot_sizing_problem(read_trigeiro(path), unit_times=unit_times)


def assert_honest_limit_result(res: PlanResult) -> None:
    """A limit-stopped run: FEASIBLE with a positive gap and bound <= objective, or NO_SOLUTION."""
    assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION), (res.status, res.message)
    if res.status is Status.NO_SOLUTION:
        assert res.objective is None and res.arrays is None
        return
    assert res.objective is not None and res.bound is not None, res.message
    assert res.bound <= res.objective + 1e-9 * abs(res.objective)
    assert res.gap is not None and res.gap > 0
    assert res.gap == pytest.approx(relative_gap(res.objective, res.bound), rel=1e-12)
    assert res.gap == pytest.approx((res.objective - res.bound) / abs(res.objective), rel=1e-9)
    assert res.arrays is not None and check_plan(res.problem, res.arrays).ok


# ---- limits -------------------------------------------------------------------------------------
LIMITS = [
    pytest.param("cpsat", {"work_limit": 0.05}, id="cpsat-work_limit"),
    pytest.param("scip", {"node_limit": 1}, id="scip-node_limit"),
    pytest.param("highs", {"node_limit": 1}, id="highs-node_limit"),
    pytest.param("cbc", {"node_limit": 1}, id="cbc-node_limit"),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("backend", "limit"), LIMITS)
def test_reproducible_limit_is_never_optimal(backend: str, limit: dict[str, Any]) -> None:
    """G30 with unit times (optimum 37721) is not proven at the root or in 0.05 s of CP-SAT work."""
    res = run(_trigeiro("G30", unit_times=True), backend, **limit)
    assert_honest_limit_result(res)
    if res.objective is not None:
        assert res.objective >= 37721 - 1e-6  # no plan beats the published optimum
        assert res.bound is not None and res.bound <= 37721 + 1e-6


@pytest.mark.shared_data
def test_pulp_highs_node_limit_returns_a_status() -> None:
    res = run(_trigeiro("G30", unit_times=True), "pulp-highs", node_limit=1)
    assert_honest_limit_result(res)


@pytest.mark.shared_data
@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_time_limit_is_never_optimal(backend: str) -> None:
    """G53 needs tens of seconds to prove; half a second never proves it."""
    res = run(_trigeiro("G53"), backend, time_limit=0.5)
    assert_honest_limit_result(res)
    if res.objective is not None:
        assert res.objective >= 74634 - 1e-6


def test_optimal_with_loose_bound_is_downgraded(monkeypatch: pytest.MonkeyPatch) -> None:
    """solve() recomputes the gap itself: a backend that says OPTIMAL with a bound 10% below its
    objective is reported FEASIBLE with that gap."""
    real = get_backend("cpsat")

    class LooseBackend(Backend):
        name = "loose"
        package = "numpy"

        def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
            raw = real.solve(model, options)
            assert raw.status is Status.OPTIMAL and raw.objective is not None
            return RawSolution(
                Status.OPTIMAL,
                raw.x,
                raw.objective,
                raw.objective * 0.9,
                raw.seconds,
                "loose",
                "claims optimal",
            )

    monkeypatch.setattr(solve_module, "get_backend", lambda name: LooseBackend())
    problem = lot_sizing([[90, 120, 80, 70]], holding=[2.0], setup_cost=[500.0])
    res = solve_module.solve(problem, "loose")
    assert res.status is Status.FEASIBLE
    assert res.objective == pytest.approx(1380.0)
    assert res.gap == pytest.approx(0.1)
    assert "gap" in res.message


# ---- bounds include the objective constant ------------------------------------------------------
def _lost_sales_problem():  # -> Problem
    """Lost sales with a shortage penalty: the model's objective has a constant term (penalty x
    total demand), so a bound that forgets it is far below the true optimum."""
    rng = np.random.default_rng(7)
    return presale_problem(
        demand=rng.integers(0, 15, size=(3, 8)),
        sku_supplier=[0, 0, 1],
        capacity=[100.0, 100.0],
        lead=[1, 2],
        unit_cost=[5.0, 3.0, 4.0],
        holding=[0.1, 0.2, 0.1],
        order_cost=[10.0, 20.0, 5.0],
        pack=[1, 2, 5],
        moq=[0, 4, 10],
        penalty=[20.0, 20.0, 20.0],
    )


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_bound_includes_objective_constant(backend: str) -> None:
    problem = _lost_sales_problem()
    res = run(problem, backend, time_limit=30)
    assert res.status is Status.OPTIMAL, res.message
    assert res.bound is not None and res.objective is not None
    assert res.bound == pytest.approx(res.objective, rel=1e-6)
    assert res.gap is not None and res.gap <= 1e-6


def test_backends_agree_on_lost_sales_optimum() -> None:
    """Whatever the status, every backend finds the same optimal cost on this small problem."""
    problem = _lost_sales_problem()
    objs = {b: run(problem, b, time_limit=30).objective for b in ("cpsat", "scip", "cbc")}
    assert None not in objs.values()
    assert max(objs.values()) - min(objs.values()) <= 1e-6, objs  # type: ignore[type-var]


def test_cbc_zero_cost_problem() -> None:
    problem = lot_sizing([[3, 0, 2]], holding=[0.0], setup_cost=[0.0])
    res = run(problem, "cbc")
    assert res.status is Status.OPTIMAL
    assert res.objective == 0.0


# CBC's closing lines when its time limit ran out in pre-processing (seen on a 625-SKU
# campaign subproblem with a limit of 11.5 s): the claim is not a proof.
_CBC_PREPROCESS_TIMEOUT = """Continuous objective value is -3.36234e+08 - 10.16 seconds
Cgl0000I Cut generators found to be infeasible! (or unbounded)
Pre-processing says infeasible or unbounded
Option for printingOptions changed from normal to all
Total time (CPU seconds):       12.56   (Wallclock seconds):       12.93
"""


def test_cbc_log_parse_reads_wallclock_and_preprocessing_claim() -> None:
    from presale_supply.backends.pulp import parse_cbc_log

    info = parse_cbc_log(_CBC_PREPROCESS_TIMEOUT)
    assert info["wallclock"] == pytest.approx(12.93)
    assert info["preprocessing_infeasible"] is True
    assert info["result"] == "" and info["bound"] is None
    assert parse_cbc_log("Result - Optimal solution found\n")["preprocessing_infeasible"] is False


@pytest.mark.parametrize(
    ("time_limit", "expected"),
    [(11.5, Status.NO_SOLUTION), (60.0, Status.INFEASIBLE), (None, Status.INFEASIBLE)],
)
def test_cbc_infeasible_claim_at_the_time_limit_is_not_a_proof(
    time_limit: float | None, expected: Status
) -> None:
    import pulp

    from presale_supply.backends.pulp import cbc_status, parse_cbc_log

    info = parse_cbc_log(_CBC_PREPROCESS_TIMEOUT)
    status, note = cbc_status(pulp.LpSolutionInfeasible, pulp.LpStatusInfeasible, info, time_limit)
    assert status is expected
    assert ("not taken as a proof" in note) == (expected is Status.NO_SOLUTION)


def test_cbc_status_maps_pulp_statuses() -> None:
    import pulp

    from presale_supply.backends.pulp import cbc_status

    info = {"result": "Stopped on time limit", "wallclock": 60.0}
    assert cbc_status(pulp.LpSolutionIntegerFeasible, 1, info, 60.0)[0] is Status.FEASIBLE
    assert cbc_status(pulp.LpSolutionNoSolutionFound, 0, info, 60.0)[0] is Status.NO_SOLUTION
    opt = {"result": "Optimal solution found"}
    assert cbc_status(pulp.LpSolutionOptimal, pulp.LpStatusOptimal, opt, 60.0)[0] is (
        Status.OPTIMAL
    )
    # a proof of infeasibility without the pre-processing claim stays a proof
    inf = {"result": "Linear relaxation infeasible", "wallclock": 60.0}
    assert cbc_status(pulp.LpSolutionInfeasible, -1, inf, 60.0)[0] is Status.INFEASIBLE


def test_zero_cost_problem_other_backends() -> None:
    problem = lot_sizing([[3, 0, 2]], holding=[0.0], setup_cost=[0.0])
    for backend in ("cpsat", "scip"):
        res = run(problem, backend)
        assert res.status is Status.OPTIMAL
        assert res.objective == 0.0 and res.gap == 0.0


# ---- relative_gap -------------------------------------------------------------------------------
def test_relative_gap_definition() -> None:
    assert relative_gap(100.0, 90.0) == pytest.approx(0.1)
    assert relative_gap(-100.0, -110.0) == pytest.approx(0.1)
    assert relative_gap(0.0, 0.0) == 0.0
    assert relative_gap(5.0, 5.0) == 0.0
    assert relative_gap(None, 1.0) is None
    assert relative_gap(1.0, None) is None
    assert relative_gap(1.0, -math.inf) is None
    assert relative_gap(0.0, -1.0) == pytest.approx(1.0 / 1e-9)
