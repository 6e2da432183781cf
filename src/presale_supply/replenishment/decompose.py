"""Exact decomposition by supplier.

Without a budget or a storage limit, no constraint links SKUs of different suppliers: the
capacity rows are per supplier, every other row is per SKU, and the objective is a sum. The plan
then splits into one independent subproblem per supplier, and the optimum is the sum of the
subproblems' optima. The sum of their bounds is a valid bound for the whole, so the merged
result is OPTIMAL only when every subproblem is, and otherwise FEASIBLE with the combined gap.
The merged plan is checked by the independent checker against the whole problem.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from presale_supply.backends.base import Status, relative_gap
from presale_supply.data import Demand, Problem, Skus, Suppliers
from presale_supply.exceptions import PlanCheckError, PresaleSupplyError
from presale_supply.parallel import executor_workers
from presale_supply.replenishment.checker import PlanArrays, check_plan
from presale_supply.replenishment.plan import PlanResult
from presale_supply.replenishment.solve import MIN_SOLVER_SECONDS, _n

__all__ = ["decomposable", "merge_plans", "solve_by_supplier", "split_by_supplier"]


def decomposable(problem: Problem) -> bool:
    """True when suppliers share no constraint and there is more than one with SKUs."""
    p = problem.policy
    if p.budget is not None or p.storage_capacity is not None:
        return False
    return len(np.unique(problem.sku_supplier)) > 1


def _take_skus(skus: Skus, idx: np.ndarray) -> Skus:
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(skus):
        v = getattr(skus, f.name)
        if isinstance(v, np.ndarray):
            changes[f.name] = v[idx]
        elif isinstance(v, tuple):
            changes[f.name] = tuple(v[i] for i in idx)
    return dataclasses.replace(skus, **changes)


def _attempt(call: Callable[[], PlanResult]) -> PlanResult | Exception:
    """``call()``, or the exception it raised; the library's own errors (bad input, a plan that
    fails the checker, a missing solver) are deterministic and propagate unchanged."""
    try:
        return call()
    except PresaleSupplyError:
        raise
    except Exception as exc:
        return exc


def _failed(res: PlanResult | Exception) -> bool:
    """An exception, or no plan without a proof of infeasibility (a limit, a solver error)."""
    return isinstance(res, Exception) or (
        res.arrays is None and res.status is not Status.INFEASIBLE
    )


def _why(res: PlanResult | Exception) -> str:
    if isinstance(res, Exception):
        return f"{type(res).__name__}: {res}"
    return f"{res.status.value} ({res.message})"


def split_by_supplier(problem: Problem) -> list[tuple[int, np.ndarray, Problem]]:
    """One ``(supplier index, SKU indices, subproblem)`` per supplier that has SKUs.

    Each subproblem keeps the whole problem's order rounds (so a subproblem's default rounds do
    not shift with its own lead time) and its supplier's capacity row.
    """
    out = []
    policy = dataclasses.replace(problem.policy, rounds=tuple(problem.rounds))
    sp = problem.suppliers
    cap = np.asarray(problem.capacity)
    for s in np.unique(problem.sku_supplier).tolist():
        idx = np.flatnonzero(problem.sku_supplier == s)
        sub_sup = Suppliers(
            ids=(sp.ids[s],),
            capacity_per_day=sp.capacity_per_day[s : s + 1].copy(),
            lead_time_days=sp.lead_time_days[s : s + 1].copy(),
            fixed_order_cost=sp.fixed_order_cost[s : s + 1].copy(),
            capacity_guarantee=sp.capacity_guarantee[s : s + 1].copy(),
        )
        demand = Demand(problem.demand.units[:, idx, :], problem.demand.weights)
        sub = Problem(
            problem.campaign,
            _take_skus(problem.skus, idx),
            sub_sup,
            demand,
            policy,
            capacity=cap[s : s + 1].copy(),
            lock=None if problem.lock is None else np.asarray(problem.lock)[idx],
        )
        out.append((int(s), idx, sub))
    return out


def merge_plans(problem: Problem, pieces: Sequence[tuple[np.ndarray, PlanArrays]]) -> PlanArrays:
    """One plan for ``problem`` from the plans of disjoint sets of its SKUs.

    Parameters
    ----------
    problem : Problem
        The whole problem.
    pieces : sequence of (ndarray, PlanArrays)
        Each piece's SKU positions in ``problem`` and its plan (at least one piece).

    Returns
    -------
    PlanArrays
        Whole units, or continuous quantities kept as they are when the problem's policy
        allows them.
    """
    N, T, R = len(problem.skus), problem.n_days, len(problem.rounds)
    dt: Any = np.int64 if problem.policy.integer_quantities else float
    units = np.zeros((N, R), dtype=dt)
    sold = np.zeros((N, T), dtype=dt)
    on_hand = np.zeros((N, T), dtype=dt)
    backlog = np.zeros((N, T), dtype=dt)
    prod: list[tuple[np.ndarray, ...]] = []
    for idx, a in pieces:
        units[idx] = a.order_units
        sold[idx] = a.sold
        on_hand[idx] = a.on_hand
        backlog[idx] = a.backlog
        prod.append((idx[a.prod_sku], a.prod_round, a.prod_day, a.prod_units))
    cat = [np.concatenate(col) for col in zip(*prod, strict=True)]
    return PlanArrays(
        order_units=units,
        prod_sku=cat[0],
        prod_round=cat[1],
        prod_day=cat[2],
        prod_units=cat[3],
        sold=sold,
        on_hand=on_hand,
        backlog=backlog,
    )


def solve_by_supplier(
    problem: Problem,
    solve_one: Callable[..., PlanResult],
    *,
    time_limit: float | None,
    progress: Callable[[float, float, float | None], None] | None = None,
    executor: Executor | None = None,
    **kwargs: Any,
) -> PlanResult:
    """Solve every supplier's subproblem with ``solve_one`` and merge the results.

    The time limit is a budget for the whole call. One after the other, each subproblem gets
    the budget left when it starts, in proportion to its SKUs among those not yet started (so
    time one leaves unused goes to the next, and time one overruns is taken from the rest);
    with an ``executor`` (any ``concurrent.futures.Executor``, e.g. a process pool or a Dask
    client's executor) the subproblems run concurrently and each gets its share of the budget
    times the executor's worker count (at most what is left). Each gets at least ``min(1 s,
    max(a tenth of its share, min(budget, 0.5 s)))``, and its own model building comes out of
    its limit.

    ``progress``, if given, is called after each subproblem with the running totals of cost
    and bound over the suppliers solved so far.

    A subproblem that raises or ends without a plan (a limit or a solver error, not a proof of
    infeasibility) is solved once more, with at least the first attempt's limit (on the
    executor if it still takes work, else in this process); the message names every supplier
    retried. If the retry fails
    too, the result has no plan and the message names the supplier and both failures. The
    library's own errors (:class:`~presale_supply.exceptions.PresaleSupplyError`: bad input, a
    missing solver, a plan that fails the checker) are deterministic and propagate unchanged.
    """
    t0 = time.perf_counter()
    parts = split_by_supplier(problem)
    n_total = len(problem.skus)
    pieces: list[tuple[np.ndarray, PlanArrays]] = []
    statuses: list[Status] = []
    bounds: list[float | None] = []
    objectives: list[float] = []
    messages: list[str] = []
    diagnosis: list[str] = []
    size: dict[str, int | str] = {}
    solver = ""
    sp_ids = problem.suppliers.ids
    workers = executor_workers(executor)

    plan_from: dict[str, int] = {}  # the portfolio's winner per subproblem
    started = np.zeros(len(parts), dtype=bool)
    first_limit: list[float | None] = [None] * len(parts)

    def limit_of(pos: int, *, together: bool = False) -> float | None:
        """A share of the budget left now, in proportion to the part's SKUs among those still
        to start (all parts when they are submitted ``together``), times the workers that run
        at once; never above what is left, never below ``min(1 s, max(a tenth of the part's
        share of the whole budget, min(budget, 0.5 s)))``; a retry gets at least what the
        first attempt had."""
        if time_limit is None:
            return None
        idx = parts[pos][1]
        left = time_limit - (time.perf_counter() - t0)
        if together:
            pending = n_total
        else:
            pending = sum(len(parts[k][1]) for k in range(len(parts)) if not started[k] or k == pos)
        started[pos] = True
        share = left * min(workers, len(parts)) * len(idx) / max(pending, 1)
        floor = min(
            1.0, max(0.1 * time_limit * len(idx) / n_total, min(time_limit, MIN_SOLVER_SECONDS))
        )
        limit = max(floor, min(left, share))
        if first_limit[pos] is None:
            first_limit[pos] = limit
        else:  # a retry gets at least what the first attempt had
            limit = max(limit, first_limit[pos] or 0.0)
        return limit

    def direct(pos: int) -> Callable[[], PlanResult]:
        return functools.partial(solve_one, parts[pos][2], time_limit=limit_of(pos), **kwargs)

    futures = None
    if executor is not None:
        futures = [
            executor.submit(solve_one, sub, time_limit=limit_of(k, together=True), **kwargs)
            for k, (_, _, sub) in enumerate(parts)
        ]
    for pos, (s, idx, sub) in enumerate(parts):
        first = _attempt(futures[pos].result if futures is not None else direct(pos))
        got = first
        if _failed(first):  # one retry: on the executor if it still takes work, else here
            again = None
            if executor is not None:
                try:
                    again = executor.submit(solve_one, sub, time_limit=limit_of(pos), **kwargs)
                except RuntimeError:  # shut down or broken
                    again = None
            got = _attempt(again.result if again is not None else direct(pos))
            if _failed(got):
                messages.append(
                    f"supplier {sp_ids[s]} ({len(idx)} SKUs) failed twice: {_why(first)}; "
                    f"then {_why(got)}"
                )
            else:
                messages.append(f"supplier {sp_ids[s]}: retried after {_why(first)}")
        if isinstance(got, Exception):
            statuses.append(Status.ERROR)
            bounds.append(None)
            continue
        res = got
        solver = res.solver
        statuses.append(res.status)
        for k, v in res.model_size.items():
            if isinstance(v, int):
                size[k] = int(size.get(k, 0)) + v
            elif k not in size:
                size[k] = v
            elif str(v) not in str(size[k]).split("+"):
                size[k] = f"{size[k]}+{v}"  # e.g. the portfolio kept each formulation's plan
        if res.diagnosis:
            diagnosis.extend(res.diagnosis)
        if res.arrays is None:
            if not _failed(first) or res.status is Status.INFEASIBLE:
                messages.append(f"supplier {sp_ids[s]}: {res.status.value} ({res.message})")
            bounds.append(res.bound)
            continue
        a = res.arrays
        kept = re.search(r"portfolio, plan from (\S+?);", res.message)
        if kept:
            plan_from[kept.group(1)] = plan_from.get(kept.group(1), 0) + 1
        pieces.append((idx, a))
        objectives.append(float(res.objective or 0.0))
        bounds.append(res.bound)
        if res.status is not Status.OPTIMAL:
            messages.append(f"supplier {sp_ids[s]}: {res.status.value}, gap {(res.gap or 0):.3%}")
        if progress is not None:
            known = [b for b in bounds if b is not None]
            progress(time.perf_counter() - t0, sum(objectives), sum(known) if known else None)
    size["subproblems"] = len(parts)
    seconds = time.perf_counter() - t0
    head = f"decomposed by supplier into {len(parts)} independent subproblems"
    if plan_from:
        head += "; portfolio plans kept: " + ", ".join(
            f"{name} for {_n(k, 'supplier')}" for name, k in plan_from.items()
        )
    if any(st is Status.INFEASIBLE for st in statuses):
        return PlanResult(
            status=Status.INFEASIBLE,
            objective=None,
            bound=None,
            gap=None,
            solver=solver,
            seconds=seconds,
            message=head + "; " + "; ".join(messages),
            problem=problem,
            model_size=size,
            diagnosis=tuple(diagnosis),
        )
    failed = [st for st in statuses if not st.has_solution]
    if failed:
        worst = Status.ERROR if Status.ERROR in failed else failed[0]
        return PlanResult(
            status=worst,
            objective=None,
            bound=None,
            gap=None,
            solver=solver,
            seconds=seconds,
            message=head + "; no plan for " + "; ".join(messages),
            problem=problem,
            model_size=size,
        )
    arrays = merge_plans(problem, pieces)
    report = check_plan(problem, arrays)
    if not report.ok:
        raise PlanCheckError("the merged plan fails the independent check", report.violations)
    objective = report.costs["total"]
    bound = None if any(b is None for b in bounds) else float(sum(b for b in bounds if b))
    gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if all(st is Status.OPTIMAL for st in statuses) else Status.FEASIBLE
    if status is Status.OPTIMAL and gap is not None and gap > kwargs.get("gap", 1e-6) + 1e-9:
        status = Status.FEASIBLE
    message = head + ("; " + "; ".join(messages) if messages else "; every one proven optimal")
    if not math.isclose(objective, sum(objectives), rel_tol=1e-9, abs_tol=1e-6):
        message += f"; merged cost {objective:,.2f} (sum of parts {sum(objectives):,.2f})"
    return PlanResult(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        solver=solver,
        seconds=seconds,
        message=message,
        problem=problem,
        arrays=arrays,
        check=report,
        model_size=size,
    )
