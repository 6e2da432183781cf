"""OR-Tools MathOpt backends: SCIP and HiGHS.

The model is written as a MathOpt ``ModelProto`` from the MILP's arrays. SCIP always runs with
one thread: with more, it runs in concurrent mode and has been seen to stop at a looser gap than
asked while reporting optimal. MathOpt's HiGHS rejects a thread count, so none is passed.
Termination reasons map to :class:`~presale_supply.backends.base.Status`; a limit is FEASIBLE
(with a solution) or NO_SOLUTION, never OPTIMAL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from typing import Any, ClassVar

import numpy as np

from presale_supply.backends.base import Backend, RawSolution, SolveOptions, Status
from presale_supply.exceptions import SolverError
from presale_supply.milp import MILP

__all__ = ["GlopBackend", "HighsBackend", "ScipBackend"]


def _to_proto(model: MILP) -> Any:
    from ortools.math_opt import model_pb2

    proto = model_pb2.ModelProto(name=model.name)
    n = model.n_vars
    v = proto.variables
    v.ids.extend(range(n))
    v.lower_bounds.extend(model.lb.tolist())
    v.upper_bounds.extend(model.ub.tolist())
    v.integers.extend(model.integer.tolist())
    nz = np.flatnonzero(model.c)
    proto.objective.offset = float(model.c0)
    proto.objective.linear_coefficients.ids.extend(nz.tolist())
    proto.objective.linear_coefficients.values.extend(model.c[nz].tolist())
    m = model.n_rows
    lc = proto.linear_constraints
    lc.ids.extend(range(m))
    lc.lower_bounds.extend(model.row_lb.tolist())
    lc.upper_bounds.extend(model.row_ub.tolist())
    rows = np.repeat(np.arange(m), np.diff(model.indptr))
    order = np.lexsort((model.indices, rows))  # row-major, columns sorted within a row
    mat = proto.linear_constraint_matrix
    mat.row_ids.extend(rows[order].tolist())
    mat.column_ids.extend(model.indices[order].tolist())
    mat.coefficients.extend(model.data[order].tolist())
    return proto


class _MathOptBackend(Backend):
    package = "ortools"
    solver_type: ClassVar[str]
    pass_threads: ClassVar[bool] = True

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        """Solve ``model`` through MathOpt."""
        from ortools.math_opt.python import mathopt

        t0 = time.perf_counter()
        proto = _to_proto(model)
        mo = mathopt.Model.from_model_proto(proto)
        params: dict[str, Any] = {
            "random_seed": int(options.seed),
            "relative_gap_tolerance": float(options.gap),
            "absolute_gap_tolerance": 1e-9,
            "enable_output": bool(options.log),
        }
        seconds = options.solver_seconds()
        if seconds is not None:
            params["time_limit"] = dt.timedelta(seconds=float(seconds))
        if options.node_limit is not None:
            params["node_limit"] = int(options.node_limit)
        if self.pass_threads:
            params["threads"] = 1 if self.name == "scip" else int(options.threads)
        stype = getattr(mathopt.SolverType, self.solver_type)
        try:
            result = mathopt.solve(mo, stype, params=mathopt.SolveParameters(**params))
        except Exception as exc:  # MathOpt wraps its status; the real message is the context
            inner = exc.__context__ or exc
            raise SolverError(f"{self.name} via MathOpt failed: {inner}") from exc
        seconds = time.perf_counter() - t0
        reason = result.termination.reason
        TR = mathopt.TerminationReason
        has_sol = result.has_primal_feasible_solution()
        if reason == TR.OPTIMAL:
            status = Status.OPTIMAL
        elif reason == TR.INFEASIBLE:
            status = Status.INFEASIBLE
        elif reason in (TR.UNBOUNDED, TR.INFEASIBLE_OR_UNBOUNDED):
            status = Status.UNBOUNDED if reason == TR.UNBOUNDED else Status.ERROR
        elif reason in (TR.FEASIBLE, TR.NO_SOLUTION_FOUND):
            status = Status.FEASIBLE if has_sol else Status.NO_SOLUTION
        else:
            status = Status.FEASIBLE if has_sol else Status.ERROR
        x = obj = None
        if has_sol and status.has_solution:
            values = result.variable_values()
            x = np.zeros(model.n_vars)
            for var, val in values.items():
                x[var.id] = val
            obj = float(result.objective_value())
        dual = result.termination.objective_bounds.dual_bound
        bound = float(dual) if dual is not None and math.isfinite(dual) else None
        message = f"{self.name} via MathOpt: {reason.name}"
        if result.termination.detail:
            message += f" ({result.termination.detail})"
        return RawSolution(status, x, obj, bound, seconds, self.version(), message)


class ScipBackend(_MathOptBackend):
    """SCIP through OR-Tools MathOpt (always one thread)."""

    name = "scip"
    description = "SCIP via OR-Tools MathOpt (one thread)"
    solver_type = "GSCIP"


class HighsBackend(_MathOptBackend):
    """HiGHS through OR-Tools MathOpt."""

    name = "highs"
    description = "HiGHS via OR-Tools MathOpt"
    solver_type = "HIGHS"
    pass_threads = False
    soft_time_limit = True


class GlopBackend(_MathOptBackend):
    """GLOP (OR-Tools' simplex LP solver) through MathOpt, for LP relaxations only.

    Used to separate cuts on the LP relaxation: it runs in process (no HiGHS library clash with
    PuLP) and needs no watchdog.
    """

    name = "glop"
    description = "GLOP LP solver via OR-Tools MathOpt (LP relaxations only)"
    solver_type = "GLOP"
    pass_threads = False

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        """Solve the LP ``model`` (no integer variables allowed)."""
        if model.integer.any():
            raise SolverError("GLOP solves linear programs only; relax integrality first.")
        return super().solve(model, dataclasses.replace(options, node_limit=None))
