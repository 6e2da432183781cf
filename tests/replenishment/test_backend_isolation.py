"""Backends that must share a process: MathOpt HiGHS after PuLP, and the watchdog's report when a
solver process dies.

Each crash-prone case runs in a fresh interpreter (subprocess), so a SIGSEGV fails the test
instead of killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from presale_supply.backends.base import (
    Backend,
    RawSolution,
    SolveOptions,
    Status,
    solve_with_watchdog,
)
from presale_supply.exceptions import SolverError
from presale_supply.milp import MILP

from .helpers import require_backend

_SCRIPT = textwrap.dedent(
    """
    import sys
    if sys.argv[1] == "pulp":
        import pulp  # noqa: F401
    import numpy as np
    from presale_supply.lotsizing import LotSizingInstance, lot_sizing_problem
    from presale_supply.replenishment.solve import solve
    inst = LotSizingInstance("ww", np.array([[90, 120, 80, 70]]), np.full(4, 1000.0),
                             np.ones(1), np.array([2.0]), np.zeros(1), np.array([500.0]),
                             np.zeros(1))
    limit = None if sys.argv[2] == "none" else float(sys.argv[2])
    res = solve(lot_sizing_problem(inst), "highs", time_limit=limit)
    print("RESULT", res.status.value, res.objective, "|", res.message)
    """
)


def _run_highs(first_import: str, time_limit: str) -> subprocess.CompletedProcess[str]:
    require_backend("highs")
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, first_import, time_limit],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _result_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    return lines[-1] if lines else ""


@pytest.mark.parametrize("time_limit", ["none", "30"])
def test_highs_alone_solves_textbook(time_limit: str) -> None:
    """Control: in a process without PuLP, MathOpt HiGHS solves Wagner-Whitin (1380)."""
    proc = _run_highs("none", time_limit)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert _result_line(proc).startswith("RESULT OPTIMAL 1380.0"), proc.stdout


def test_highs_after_pulp_import_without_time_limit() -> None:
    proc = _run_highs("pulp", "none")
    assert proc.returncode == 0, f"return code {proc.returncode}: {proc.stderr[-800:]}"
    assert _result_line(proc).startswith("RESULT OPTIMAL 1380.0")


def test_highs_after_pulp_import_with_time_limit() -> None:
    proc = _run_highs("pulp", "30")
    assert proc.returncode == 0, proc.stderr[-800:]
    assert _result_line(proc).startswith("RESULT OPTIMAL 1380.0"), proc.stdout


class _DyingBackend(Backend):
    """A backend whose solver process dies at once (as a segfaulting solver does)."""

    name = "dying"
    package = "numpy"

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        os._exit(3)


def test_watchdog_reports_a_dead_solver_as_error() -> None:
    from presale_supply.milp import MILPBuilder

    b = MILPBuilder()
    b.add_vars(1, ub=1, integer=True, cost=1.0)
    try:
        raw = solve_with_watchdog(_DyingBackend(), b.build(), SolveOptions(time_limit=10))
    except SolverError:
        return  # raising is an honest report too
    assert raw.status is Status.ERROR
    assert "did not return within" not in raw.message
