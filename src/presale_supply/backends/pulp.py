"""PuLP backends: CBC (the binary PuLP ships) and HiGHS (through highspy).

Status is read from the solver, not from ``LpStatus``: PuLP reports "Optimal" for a CBC run that
stopped at a time limit with a solution (its ``sol_status`` is then 2, "integer feasible"), and
maps HiGHS's "unbounded or infeasible" to "Infeasible". PuLP does not expose CBC's bound, so CBC
writes its log to a file that is parsed for the lower bound. For HiGHS the live ``highspy.Highs``
object is read (``mip_dual_bound``). No thread count is passed to HiGHS: its thread pool is fixed
by the first run in a process and a later, different count makes it return without solving.

CBC 2.10 says "Pre-processing says infeasible or unbounded" when its time limit runs out during
pre-processing, on models that have plans (seen on a 625-SKU campaign subproblem whose root LP
took most of the limit). Such a claim, made when the limit has run out, is reported as
``NO_SOLUTION``, not as a proof of infeasibility.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from presale_supply.backends.base import Backend, RawSolution, SolveOptions, Status
from presale_supply.exceptions import SolverError
from presale_supply.milp import MILP

__all__ = ["CbcBackend", "PulpHighsBackend", "cbc_status", "parse_cbc_log"]


def _build(model: MILP) -> tuple[Any, list[Any]]:
    import pulp

    prob = pulp.LpProblem(model.name, pulp.LpMinimize)
    xs = []
    for j in range(model.n_vars):
        lo = float(model.lb[j]) if math.isfinite(model.lb[j]) else None
        hi = float(model.ub[j]) if math.isfinite(model.ub[j]) else None
        cat = pulp.LpInteger if model.integer[j] else pulp.LpContinuous
        # zero-padded names: PuLP orders columns by name, so this keeps them in index order
        xs.append(prob.add_variable(f"x{j:09d}", lowBound=lo, upBound=hi, cat=cat))
    nz = np.flatnonzero(model.c)
    prob.setObjective(
        pulp.LpAffineExpression(
            [(xs[j], float(model.c[j])) for j in nz.tolist()], constant=float(model.c0)
        )
    )
    for k in range(model.n_rows):
        cols, vals = model.row(k)
        expr = pulp.LpAffineExpression(
            [(xs[j], v) for j, v in zip(cols.tolist(), vals.tolist(), strict=True)]
        )
        lo, hi = float(model.row_lb[k]), float(model.row_ub[k])
        if len(cols) == 0:
            if lo > 1e-9 or hi < -1e-9:  # an empty row that cannot hold: keep it visible
                dummy = prob.add_variable(f"empty{k}", lowBound=0, upBound=0)
                expr = pulp.LpAffineExpression([(dummy, 1.0)])
            else:
                continue
        name = f"r{k}"
        if math.isfinite(lo) and math.isfinite(hi) and abs(lo - hi) <= 1e-12:
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, name, lo))
            continue
        if math.isfinite(lo):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, name + "l", lo))
        if math.isfinite(hi):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, name + "u", hi))
    return prob, xs


def _values(xs: list[Any]) -> np.ndarray:
    return np.array([0.0 if v.varValue is None else float(v.varValue) for v in xs])


def _highs_values(prob: Any, n: int) -> np.ndarray:
    """Column values straight from the live ``highspy.Highs`` (PuLP's own read-back fails on
    some statuses, e.g. a node limit)."""
    col = list(prob.solverModel.getSolution().col_value)
    x = np.zeros(n)
    for k, v in enumerate(prob.variables()):
        if v.name.startswith("x") and k < len(col):
            x[int(v.name[1:])] = col[k]
    return x


def parse_cbc_log(text: str) -> dict[str, Any]:
    """Read CBC's final summary: result line, objective value, lower bound, gap.

    Returns
    -------
    dict
        Keys ``result`` (str), ``objective`` and ``bound`` (float or None),
        ``wallclock`` (CBC's total wall-clock seconds, float or None) and
        ``preprocessing_infeasible`` (bool: pre-processing claimed infeasibility).
    """
    out: dict[str, Any] = {
        "result": "",
        "objective": None,
        "bound": None,
        "wallclock": None,
        "preprocessing_infeasible": "Pre-processing says infeasible" in text,
    }
    m = re.findall(r"^Result - (.+)$", text, flags=re.M)
    if m:
        out["result"] = m[-1].strip()
    m = re.findall(r"^Objective value:\s+([-+0-9.eE]+)", text, flags=re.M)
    if m:
        out["objective"] = float(m[-1])
    m = re.findall(r"^Lower bound:\s+([-+0-9.eE]+)", text, flags=re.M)
    if m:
        out["bound"] = float(m[-1])
    m = re.findall(r"\(Wallclock seconds\):\s+([0-9.eE+]+)", text)
    if m:
        out["wallclock"] = float(m[-1])
    return out


def cbc_status(
    sol_status: int, lp_status: int, info: dict[str, Any], time_limit: float | None
) -> tuple[Status, str]:
    """Our status for a CBC run, from PuLP's two statuses and the parsed log.

    Parameters
    ----------
    sol_status, lp_status : int
        PuLP's ``prob.sol_status`` and ``prob.status`` after the solve.
    info : dict
        :func:`parse_cbc_log`'s result.
    time_limit : float or None
        The limit CBC was given, in seconds.

    Returns
    -------
    tuple of (Status, str)
        The status and a note for the message ("" when there is nothing to add).
    """
    import pulp

    result = info["result"].lower()
    if (
        sol_status == pulp.LpSolutionOptimal
        and lp_status == pulp.LpStatusOptimal
        and ("optimal" in result or not result)
    ):
        return Status.OPTIMAL, ""
    if sol_status in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal):
        return Status.FEASIBLE, ""
    if sol_status == pulp.LpSolutionInfeasible or lp_status == pulp.LpStatusInfeasible:
        spent = info.get("wallclock")
        if (
            info.get("preprocessing_infeasible")
            and time_limit is not None
            and spent is not None
            and spent >= 0.95 * time_limit
        ):
            return Status.NO_SOLUTION, (
                f"pre-processing said infeasible as the time limit ran out ({spent:.1f} s of "
                f"{time_limit:.1f} s); CBC 2.10 says so when the limit interrupts "
                "pre-processing, so it is not taken as a proof"
            )
        return Status.INFEASIBLE, ""
    if sol_status == pulp.LpSolutionUnbounded or lp_status == pulp.LpStatusUnbounded:
        return Status.UNBOUNDED, ""
    if "stopped" in result:
        return Status.NO_SOLUTION, ""
    return Status.ERROR, ""


class CbcBackend(Backend):
    """CBC through PuLP (the CBC binary that PuLP ships)."""

    name = "cbc"
    package = "pulp"
    description = "CBC via PuLP"

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        """Solve ``model`` with CBC; the bound comes from CBC's log."""
        import pulp

        t0 = time.perf_counter()
        prob, xs = _build(model)
        with tempfile.TemporaryDirectory(prefix="presale_cbc_") as tmp:
            log_path = Path(tmp) / "cbc.log"
            extra = [
                f"randomSeed {int(options.seed) + 1}",
                f"randomCbcSeed {int(options.seed) + 1}",
            ]
            cmd = pulp.PULP_CBC_CMD(
                msg=bool(options.log),
                timeLimit=options.time_limit,
                threads=int(options.threads) if options.threads > 1 else None,
                gapRel=float(options.gap),
                gapAbs=1e-9,
                maxNodes=options.node_limit,
                logPath=str(log_path),
                options=extra,
            )
            if not cmd.available():
                raise SolverError("PuLP's CBC binary is not available on this machine.")
            try:
                prob.solve(cmd)
            except pulp.PulpSolverError as exc:
                raise SolverError(f"CBC failed: {exc}") from exc
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
        seconds = time.perf_counter() - t0
        info = parse_cbc_log(log)
        status, note = cbc_status(prob.sol_status, prob.status, info, options.time_limit)
        x = obj = bound = None
        if status.has_solution:
            x = _values(xs)
            obj = model.objective(x)
            # CBC's log excludes the objective's constant term
            bound = None if info["bound"] is None else info["bound"] + model.c0
            if status is Status.OPTIMAL and bound is None:
                bound = obj
        message = f"CBC: {info['result'] or pulp.LpStatus[prob.status]}"
        if note:
            message += f"; {note}"
        return RawSolution(status, x, obj, bound, seconds, self.version(), message)


class PulpHighsBackend(Backend):
    """HiGHS through PuLP's ``HiGHS`` class (highspy in process)."""

    name = "pulp-highs"
    package = "highspy"
    description = "HiGHS via PuLP (highspy)"
    soft_time_limit = True

    def solve(self, model: MILP, options: SolveOptions) -> RawSolution:
        """Solve ``model`` with HiGHS through PuLP; reads status and bound from highspy."""
        import highspy
        import pulp

        t0 = time.perf_counter()
        prob, _xs = _build(model)
        params: dict[str, Any] = {"random_seed": int(options.seed)}
        if options.node_limit is not None:
            params["mip_max_nodes"] = int(options.node_limit)
        solver = pulp.HiGHS(
            msg=bool(options.log),
            timeLimit=options.time_limit,
            gapRel=float(options.gap),
            gapAbs=1e-9,
            **params,
        )
        try:
            prob.solve(solver)
        except KeyError:
            # PuLP has no mapping for some HiGHS statuses (kSolutionLimit after a node limit);
            # the live Highs object still holds the status and solution, read below.
            pass
        except Exception as exc:
            raise SolverError(f"HiGHS via PuLP failed: {exc}") from exc
        seconds = time.perf_counter() - t0
        h = getattr(prob, "solverModel", None)
        if h is None:
            raise SolverError("HiGHS via PuLP returned no model")
        ms = h.getModelStatus()
        info = h.getInfo()
        MS = highspy.HighsModelStatus
        has_sol = info.primal_solution_status == 2
        if ms == MS.kOptimal:
            status = Status.OPTIMAL
        elif ms == MS.kInfeasible:
            status = Status.INFEASIBLE
        elif ms == MS.kUnbounded:
            status = Status.UNBOUNDED
        elif ms in (
            MS.kTimeLimit,
            MS.kIterationLimit,
            MS.kSolutionLimit,
            MS.kInterrupt,
            MS.kObjectiveBound,
            MS.kObjectiveTarget,
        ):
            status = Status.FEASIBLE if has_sol else Status.NO_SOLUTION
        else:
            status = Status.ERROR
        x = obj = bound = None
        if status.has_solution:
            x = _highs_values(prob, model.n_vars)
            obj = model.objective(x)
            db = float(info.mip_dual_bound)  # excludes the objective's constant term
            bound = (
                db + model.c0 if math.isfinite(db) else (obj if status is Status.OPTIMAL else None)
            )
        message = f"HiGHS via PuLP: {h.modelStatusToString(ms)}"
        return RawSolution(status, x, obj, bound, seconds, self.version(), message)
