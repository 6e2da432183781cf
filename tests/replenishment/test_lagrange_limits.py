"""Time limits handed to the Lagrangian subproblems, and a bound that cannot be valid.

The subproblem solve is replaced by a wrapper that records the options it is given (and then
solves for real), so the tests see exactly the limits each subproblem gets.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from presale_supply.backends.base import RawSolution, SolveOptions, Status
from presale_supply.data import Policy
from presale_supply.replenishment import lagrange
from presale_supply.replenishment.lagrange import _sub_limit, solve_lagrangian

from .test_lagrange import _free_usage, _problem


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """Replace the subproblem solve by one that records ``options.time_limit``."""
    real = lagrange._solve_raw
    limits: list[float | None] = []
    lock = threading.Lock()

    def record(solver: str, model: Any, options: SolveOptions) -> RawSolution:
        with lock:
            limits.append(options.time_limit)
        return real(solver, model, options)

    monkeypatch.setattr(lagrange, "_solve_raw", record)
    return limits


def test_sub_limit_is_capped_by_the_round_and_the_parts_that_run_at_once() -> None:
    # 2 suppliers of 2 SKUs each on an 8-worker pool, 4 s for the round: 2 run at once, so
    # each gets 4 * 2 * 2/4 = 4 s, the round's time (the old rule gave 4 * 8 * 2/4 = 16 s)
    assert _sub_limit(4.0, min(8, 2), 2, 4) == pytest.approx(4.0)
    assert _sub_limit(4.0, 1, 1, 4) == pytest.approx(1.0)
    assert _sub_limit(4.0, 1, 1, 8) == pytest.approx(1.0)  # 0.5 s raised to the 1 s floor
    assert _sub_limit(10.0, 3, 1, 10) == pytest.approx(3.0)
    assert _sub_limit(10.0, 3, 9, 10) == pytest.approx(10.0)  # 27 s capped at the round's 10 s


def test_subproblem_limits_never_exceed_the_call_with_a_large_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2 suppliers, 8 threads, 8 s in all: no subproblem may get more than the round's time
    (the old rule multiplied by all 8 workers and gave up to ~32 s, four times the call)."""
    purchase, _ = _free_usage(0)
    p = _problem(0, policy=Policy(budget=round(0.8 * purchase, 2)))
    limits = _recording(monkeypatch)
    with ThreadPoolExecutor(max_workers=8) as pool:
        res = solve_lagrangian(p, "cpsat", time_limit=8, iterations=1, executor=pool)
    assert res.arrays is not None, res.message
    assert limits and all(v is not None for v in limits)
    known = [v for v in limits if v is not None]
    assert max(known) <= 8.0 + 1e-9, known
    # the relaxed round (the first two solves) has 8 / (2 * 1) = 4 s at most
    assert all(v <= 4.0 + 1e-9 for v in known[:2]), known


def test_subproblem_limits_share_the_round_without_an_executor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One after the other, the relaxed round's shares add up to at most the round's time."""
    purchase, _ = _free_usage(0)
    p = _problem(0, policy=Policy(budget=round(0.8 * purchase, 2)))
    limits = _recording(monkeypatch)
    solve_lagrangian(p, "cpsat", time_limit=8, iterations=1)
    first = [v for v in limits[:2] if v is not None]
    assert len(first) == 2
    assert sum(first) <= 4.0 + 1e-9, first


def test_a_bound_above_the_plan_cost_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subproblem bounds raised far above their incumbents give a 'bound' above the checked
    plan's cost: it is reported with a warning and never called OPTIMAL."""
    purchase, _ = _free_usage(0)
    p = _problem(0, policy=Policy(budget=round(0.8 * purchase, 2)))
    real = lagrange._solve_raw

    def too_high(solver: str, model: Any, options: Any) -> RawSolution:
        raw = real(solver, model, options)
        if raw.bound is None:
            return raw
        return RawSolution(
            raw.status, raw.x, raw.objective, raw.bound + 1e6, raw.seconds, raw.solver, raw.message
        )

    monkeypatch.setattr(lagrange, "_solve_raw", too_high)
    res = solve_lagrangian(p, "cpsat", time_limit=20, iterations=2)
    assert res.objective is not None and res.bound is not None
    assert res.bound > res.objective
    assert res.status is Status.FEASIBLE
    assert "WARNING" in res.message and "above the checked plan's cost" in res.message
