"""OR-Tools CP-SAT backend (the default).

CP-SAT needs integer variables and integer constraint coefficients. Each row whose coefficients
are not whole numbers is multiplied by the smallest power of ten (up to 10^9) that makes them
whole; its bounds are then rounded inward, which is exact because the row's activity is an
integer. The objective is scaled the same way (costs in cents become whole numbers exactly), by
``m x 10^k`` with ``m <= 128`` so that expected costs over scenarios of weight 1/3 or 1/7 are
exact too; if no such factor makes every cost whole, CP-SAT's floating-point objective is used
and the result says so. The planner always re-evaluates the objective in floating point.

The model is written straight into CP-SAT's protocol buffer (no expression objects), which keeps
building fast for large models.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import Any

import numpy as np

from presale_supply.backends.base import Backend, RawSolution, SolveOptions, Status
from presale_supply.exceptions import SolverError
from presale_supply.milp import MILP

__all__ = ["CpSatBackend", "integer_scale", "objective_scale"]

_BIG = 2**40  # stands in for an infinite variable bound (CP-SAT domains must be finite)


def integer_scale(values: np.ndarray, max_power: int = 9, tol: float = 1e-9) -> int | None:
    """Smallest ``10**k`` (k <= max_power) making every value whole (within ``tol``), or None."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return 1
    for k in range(max_power + 1):
        s = 10**k
        w = v * s
        if np.all(np.abs(w - np.round(w)) <= tol * np.maximum(1.0, np.abs(w))):
            return s
    return None


def objective_scale(costs: np.ndarray, max_power: int = 6, max_factor: int = 128) -> int | None:
    """Smallest ``m * 10**k`` (``m <= max_factor``, ``k <= max_power``) making every cost whole.

    The factor ``m`` covers scenario probabilities such as 1/3 or 1/7 (expected costs of a
    stochastic plan), which no power of ten makes whole.
    """
    best: int | None = None
    for m in range(1, max_factor + 1):
        k = integer_scale(np.asarray(costs, dtype=float) * m, max_power=max_power)
        if k is not None and (best is None or m * k < best):
            best = m * k
        if best is not None and best <= m:
            break
    return best


class CpSatBackend(Backend):
    """OR-Tools CP-SAT."""

    name = "cpsat"
    package = "ortools"
    description = "OR-Tools CP-SAT (integer programs; costs scaled to integers)"
    supports_continuous = False

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        """Solve ``model`` with CP-SAT; see the module docstring for the scaling rules."""
        from ortools.sat.python import cp_model

        t0 = time.perf_counter()
        continuous = ~(model.integer | model.implied_integer)
        if continuous.any():
            raise SolverError(
                "CP-SAT solves integer programs only; this model has "
                f"{int(continuous.sum())} continuous variables."
            )
        cp = cp_model.CpModel()
        proto = cp.proto
        lb = np.where(np.isfinite(model.lb), np.ceil(model.lb - 1e-9), -_BIG).astype(np.int64)
        ub = np.where(np.isfinite(model.ub), np.floor(model.ub + 1e-9), _BIG).astype(np.int64)
        ub = np.minimum(ub, _BIG)
        for lo, hi in zip(lb.tolist(), ub.tolist(), strict=True):
            proto.variables.add().domain.extend([lo, hi])
        for k in range(model.n_rows):
            cols, vals = model.row(k)
            lo, hi = float(model.row_lb[k]), float(model.row_ub[k])
            scale = integer_scale(vals)
            if scale is None:
                raise SolverError(
                    f"CP-SAT needs whole-number coefficients; row {model.row_names[k]!r} has "
                    f"coefficients that no power of ten up to 1e9 makes whole: {vals[:5]}."
                )
            iv = np.round(vals * scale).astype(np.int64)
            ilo = math.ceil(lo * scale - 1e-6) if math.isfinite(lo) else -(2**62)
            ihi = math.floor(hi * scale + 1e-6) if math.isfinite(hi) else 2**62
            if len(cols) == 0:
                if ilo > 0 or ihi < 0:
                    proto.constraints.add().bool_or.literals.extend([])  # always false
                continue
            lin = proto.constraints.add().linear
            lin.vars.extend(cols.tolist())
            lin.coeffs.extend(iv.tolist())
            lin.domain.extend([ilo, ihi])
        nz = np.flatnonzero(model.c)
        obj_scale = objective_scale(model.c[nz])
        if obj_scale is not None:
            proto.objective.vars.extend(nz.tolist())
            proto.objective.coeffs.extend(
                np.round(model.c[nz] * obj_scale).astype(np.int64).tolist()
            )
            # The constant goes into CP-SAT's objective, so that its relative gap limit is
            # measured on the true cost, not on the cost without the constant.
            proto.objective.offset = float(model.c0) * obj_scale
            note = f"costs scaled by {obj_scale:,} to whole numbers (exact)"
        else:
            fobj = proto.floating_point_objective
            fobj.vars.extend(nz.tolist())
            fobj.coeffs.extend(model.c[nz].tolist())
            fobj.offset = float(model.c0)
            obj_scale = 1
            note = "costs are not whole at 1e-6 precision: CP-SAT's floating-point objective used"

        if model.hint:
            h = proto.solution_hint
            keys = sorted(model.hint)
            h.vars.extend(keys)
            h.values.extend(round(model.hint[k]) for k in keys)

        solver = cp_model.CpSolver()
        p = solver.parameters
        seconds = options.solver_seconds()
        if seconds is not None:
            p.max_time_in_seconds = float(seconds)
        if options.work_limit is not None:
            p.max_deterministic_time = float(options.work_limit)
        p.num_workers = int(options.threads)
        p.random_seed = int(options.seed)
        p.relative_gap_limit = float(options.gap)
        p.absolute_gap_limit = 1e-9
        if options.log:
            p.log_search_progress = True
            p.log_to_stdout = False
            solver.log_callback = lambda line: print(line, file=sys.stderr)

        oscale = float(obj_scale or 1)
        callback: Any = None
        if options.progress is not None:
            report = options.progress

            class _Progress(cp_model.CpSolverSolutionCallback):
                def on_solution_callback(self) -> None:
                    bound = self.best_objective_bound / oscale
                    report(self.wall_time, self.objective_value / oscale, bound)

            callback = _Progress()
        watcher = None
        done = threading.Event()
        if options.stop is not None:
            stop = options.stop

            def _watch() -> None:
                # stop_search only acts on a running search: repeat it until the solve returns
                while not done.wait(0.05):
                    if stop.is_set():
                        solver.stop_search()

            watcher = threading.Thread(target=_watch, daemon=True)
            watcher.start()
        try:
            status = solver.solve(cp, callback)
        finally:
            done.set()
            if watcher is not None:
                watcher.join()
        seconds = time.perf_counter() - t0
        name = solver.status_name(status)
        mapped = {
            cp_model.OPTIMAL: Status.OPTIMAL,
            cp_model.FEASIBLE: Status.FEASIBLE,
            cp_model.INFEASIBLE: Status.INFEASIBLE,
            cp_model.MODEL_INVALID: Status.ERROR,
            cp_model.UNKNOWN: Status.NO_SOLUTION,
        }.get(status, Status.ERROR)
        x = None
        obj = bound = None
        if mapped.has_solution:
            x = np.asarray(solver.response_proto.solution, dtype=float)
            obj = solver.objective_value / oscale
            bound = solver.best_objective_bound / oscale
        elif mapped is Status.NO_SOLUTION and math.isfinite(solver.best_objective_bound):
            bound = solver.best_objective_bound / oscale
        message = f"CP-SAT {name}; {note}"
        if mapped is Status.ERROR:
            message += f"; {cp.validate()}"
        return RawSolution(mapped, x, obj, bound, seconds, self.version(), message)
