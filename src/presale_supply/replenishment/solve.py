"""Solve a planning problem: pre-check, build, solve, extract, check, explain.

``solve(problem)`` is a free function built from public parts (:func:`precheck`,
:func:`~presale_supply.replenishment.formulation.build_formulation`,
:func:`~presale_supply.backends.base.get_backend`, :func:`extract_plan`,
:func:`~presale_supply.replenishment.checker.check_plan`, :func:`diagnose`), so a user can rebuild
it or stop after any step.
"""

from __future__ import annotations

import dataclasses
import math
import time
from concurrent.futures import Executor
from typing import Any

import numpy as np

from presale_supply.backends.base import (
    Backend,
    ProgressCallback,
    RawSolution,
    SolveOptions,
    Status,
    get_backend,
    relative_gap,
    run_backend,
)
from presale_supply.data import Problem, Shortage
from presale_supply.exceptions import InputError, PlanCheckError
from presale_supply.milp import MILP
from presale_supply.replenishment.checker import PlanArrays, check_plan
from presale_supply.replenishment.formulation import Formulation, build_formulation
from presale_supply.replenishment.plan import PlanResult
from presale_supply.validation import check_time_limit

__all__ = [
    "PORTFOLIO_MAX_INTEGERS",
    "diagnose",
    "extract_plan",
    "portfolio_applies",
    "precheck",
    "resolve_auto",
    "solve",
]


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:,.2f}"


def _days(days: list[int]) -> str:
    if not days:
        return "no days"
    return f"day {days[0]}" if len(days) == 1 else f"days {days[0]} to {days[-1]}"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def precheck(problem: Problem) -> list[str]:
    """Arithmetic checks that prove infeasibility before any solver runs.

    For each supplier: does the first (lock) round arrive within the campaign, and does the lock
    fit in the supplier's capacity (after the buffer) over the lock round's production days?

    Returns
    -------
    list of str
        One finding per problem found, in planner words; empty when nothing is wrong.
    """
    findings: list[str] = []
    sk, sp = problem.skus, problem.suppliers
    lock = problem.lock_units()
    limit = problem.capacity_limit()
    first = problem.first_day
    o = problem.rounds[0]
    buf = problem.policy.capacity_buffer
    ratio = problem.policy.lock_ratio
    for s in range(len(sp)):
        members = np.flatnonzero((problem.sku_supplier == s) & (lock > 0))
        if len(members) == 0:
            continue
        arrival = problem.arrival_day(o, s)
        if arrival > problem.n_days:
            findings.append(
                f"Supplier {sp.ids[s]}: the lock round is ordered on day {o} and with a lead "
                f"time of {int(sp.lead_time_days[s])} days arrives on day {arrival}, after the "
                f"campaign ends (day {problem.n_days}); its {_n(len(members), 'SKU')} cannot be "
                f"locked. Order the lock round on or before day "
                f"{problem.n_days - int(sp.lead_time_days[s])}."
            )
            continue
        days = list(problem.production_days(o, s))
        avail = float(sum(limit[s, t - first] for t in days))
        setup = float(sk.capacity_per_order[members].sum())
        per_unit = sk.capacity_per_unit[members]
        need = float((per_unit * lock[members]).sum()) + setup
        if need <= avail + 1e-9:
            continue
        agreement = bool(sp.capacity_guarantee[s])
        cap_words = (
            f"{1 - buf:.0%} of its capacity (the {buf:.0%} reserve is kept)"
            if agreement
            else "its capacity"
        )

        r = math.floor(ratio * 100) / 100
        while r > 0 and _lock_load(problem, members, r) > avail + 1e-9:
            r = round(r - 0.01, 2)
        share = (1 - buf) if agreement else 1.0
        n_days = len(days)
        cap = math.ceil(math.ceil(need / n_days) / share) if share > 0 else math.inf
        while math.isfinite(cap) and math.floor(cap * share + 1e-9) * n_days < need:
            cap += 1
        top = members[np.argsort(-(per_unit * lock[members]))][:5]
        names = ", ".join(f"{sk.ids[i]} ({_n(int(lock[i]), 'unit')})" for i in top)
        more = f" and {len(members) - len(top)} more" if len(members) > len(top) else ""
        options = [
            f"lower lock_ratio to at most {r:.2f}"
            if r > 0
            else "no lock ratio of 0.01 or more fits"
        ]
        if math.isfinite(cap):
            options.append(
                f"raise capacity_per_day to at least {_fmt(cap)} (every day of the "
                "lock round's production)"
            )
        options.append("move some of these SKUs to another supplier")
        over = (
            f"by {_fmt(need - avail)} units ({(need - avail) / avail:.0%})"
            if avail > 0
            else f"by {_fmt(need)} units (no capacity at all on those days)"
        )
        findings.append(
            f"Supplier {sp.ids[s]} cannot make the {ratio:.0%} lock: the first round (ordered "
            f"day {o}, arriving day {max(arrival, 1)}) needs {_fmt(need)} capacity units on "
            f"{_days(days)} for {_n(len(members), 'SKU')} [{names}{more}], but {cap_words} on "
            f"those days is {_fmt(avail)}. The lock exceeds it {over}. Options: "
            + "; ".join(options)
            + "."
        )
    return findings


def _lock_load(problem: Problem, members: np.ndarray, ratio: float) -> float:
    """Capacity units the lock of ``members`` needs at ``ratio`` (packs and setups included)."""
    sk = problem.skus
    expected = problem.demand.expected().sum(axis=1)[members]
    pack = sk.pack_size[members]
    units = np.ceil(np.ceil(ratio * expected - 1e-9) / pack - 1e-9) * pack
    if problem.policy.lock_net_of_stock:
        units = np.maximum(units - sk.initial_stock[members], 0)
    setups = sk.capacity_per_order[members][units > 0].sum()
    return float((sk.capacity_per_unit[members] * units).sum() + setups)


def cover_hint(problem: Problem, form: Formulation) -> dict[int, float]:
    """A warm start for the order variables: each round orders the demand from its arrival to
    the next round's arrival (the lock round at least the lock), in whole packs, at least the
    MOQ, at most the big-M. It ignores capacity, so it may be infeasible; a solver uses it only
    as a starting point."""
    sk = problem.skus
    d = problem.demand.units[0]
    T = problem.n_days
    cum = np.concatenate([np.zeros((d.shape[0], 1)), np.cumsum(d, axis=1)], axis=1)
    lead = problem.suppliers.lead_time_days[problem.sku_supplier]
    rounds = np.asarray(problem.rounds)
    lock = problem.lock_units()
    hint: dict[int, float] = {}
    for k in range(len(form.order_sku)):
        i, r = int(form.order_sku[k]), int(form.order_round[k])
        a = max(int(rounds[r] + lead[i]), 1)
        nxt = T + 1 if r + 1 >= len(rounds) else max(int(rounds[r + 1] + lead[i]), 1)
        need = float(cum[i, min(max(nxt, a), T + 1) - 1] - cum[i, a - 1])
        if r == 0:
            need = max(need - float(sk.initial_stock[i]), float(lock[i]))
        pack = float(sk.pack_size[i])
        packs = math.ceil(need / pack - 1e-9) if need > 0 else 0
        if packs > 0:
            packs = max(packs, math.ceil(float(sk.moq[i]) / pack - 1e-9))
        m = int(form.big_m[k])
        if m >= 0:
            packs = min(packs, m)
        hint[int(form.order_n[k])] = float(packs)
        hint[int(form.order_y[k])] = 1.0 if packs > 0 else 0.0
    return hint


def extract_plan(problem: Problem, form: Formulation, x: np.ndarray) -> PlanArrays:
    """Turn a solution vector of ``form`` into :class:`PlanArrays`.

    Orders and production are read from ``x`` (rounded to whole numbers). Sales are then
    recomputed first come, first served from the arrivals: each day sells
    ``min(demand (+ backlog), stock)``. With a shortage penalty at least the clearance price and
    non-negative holding cost (both validated), this never costs more than the solver's own
    sales, and it removes ties in which a solver leaves demand unserved with stock on the shelf.
    The checker verifies the result.
    """
    whole = problem.policy.integer_quantities
    dt: Any = np.int64 if whole else float
    xf = np.asarray(x, dtype=float)
    # whole units: round the solver's near-integers; continuous: drop float noise only
    xr = np.rint(xf).astype(np.int64) if whole else np.maximum(np.round(xf, 9), 0.0)
    sk = problem.skus
    N, T = len(sk), problem.n_days
    R = len(problem.rounds)
    units = np.zeros((N, R), dtype=dt)
    packs = xr[form.order_n]
    units[form.order_sku, form.order_round] = packs * sk.pack_size[form.order_sku]
    k = form.prod_order
    prod_units = np.where(
        form.prod_var >= 0,
        xr[np.maximum(form.prod_var, 0)],
        units[form.order_sku[k], form.order_round[k]],
    )
    d = problem.demand.units[0]
    shortage = problem.policy.shortage
    if shortage is Shortage.NONE:
        sold = d.copy()
        on_hand = xr[form.inv]
        backlog = np.zeros((N, T), dtype=dt)
    else:
        lead = problem.suppliers.lead_time_days[problem.sku_supplier]
        arrivals = np.zeros((N, T), dtype=dt)
        for r, o in enumerate(problem.rounds):
            day = np.maximum(o + lead, 1)
            ok = day <= T
            np.add.at(arrivals, (np.flatnonzero(ok), day[ok] - 1), units[ok, r])
        sold = np.zeros((N, T), dtype=dt)
        on_hand = np.zeros((N, T), dtype=dt)
        backlog = np.zeros((N, T), dtype=dt)
        stock = sk.initial_stock.astype(dt).copy()
        waiting = np.zeros(N, dtype=dt)
        for t in range(T):
            stock = stock + arrivals[:, t]
            owed = d[:, t] + (waiting if shortage is Shortage.BACKLOG else 0)
            sold[:, t] = np.minimum(owed, stock)
            stock = stock - sold[:, t]
            on_hand[:, t] = stock
            if shortage is Shortage.BACKLOG:
                waiting = owed - sold[:, t]
                backlog[:, t] = waiting
    return PlanArrays(
        order_units=units,
        prod_sku=form.order_sku[k],
        prod_round=form.order_round[k],
        prod_day=form.prod_day,
        prod_units=prod_units,
        sold=sold,
        on_hand=on_hand,
        backlog=backlog,
    )


def diagnose(problem: Problem, solver: str = "cpsat", time_limit: float = 30.0) -> list[str]:
    """Explain an infeasible problem by an elastic re-solve.

    Capacity, lock, storage and budget rows get non-negative slack; the elastic model minimises
    total slack. Every positive slack is reported in planner words: which supplier and days are
    overloaded and by how much (and which SKUs are made then), which SKUs' locks are short.

    Returns
    -------
    list of str
        Findings; empty if the elastic model needs no slack (then the cause is elsewhere).
    """
    findings = precheck(problem)
    if findings:
        return findings
    form = build_formulation(problem, elastic=True)
    backend = get_backend(solver)
    opts = SolveOptions(time_limit=time_limit)
    raw = run_backend(backend, form.model, opts)
    if raw.x is None:
        return [f"the elastic re-solve found no solution either ({raw.message})."]
    x = raw.x
    sk, sp = problem.skus, problem.suppliers
    plan = extract_plan(problem, form, x)
    slack_of = {}
    for kind, cols in form.elastic_vars.items():
        for c in cols:
            slack_of[c] = kind
    model = form.model
    by_supplier: dict[int, list[tuple[int, float]]] = {}
    for (s, t), row in form.cap_rows.items():
        row_cols = model.row(row)[0]
        slack = sum(x[c] for c in row_cols if slack_of.get(int(c)) == "capacity")
        if slack > 1e-6:
            by_supplier.setdefault(s, []).append((t, float(slack)))
    limit = problem.capacity_limit()
    for s, items in sorted(by_supplier.items()):
        days = [t for t, _ in items]
        total = sum(v for _, v in items)
        made = {
            i
            for i, t, u in zip(
                plan.prod_sku.tolist(),
                plan.prod_day.tolist(),
                plan.prod_units.tolist(),
                strict=True,
            )
            if t in days and u > 0 and problem.sku_supplier[i] == s
        }
        names = ", ".join(sorted(sk.ids[i] for i in made)[:8])
        lim = limit[s, days[0] - problem.first_day]
        share = (
            f"{1 - problem.policy.capacity_buffer:.0%} of capacity under agreement"
            if sp.capacity_guarantee[s]
            else "full capacity, no agreement"
        )
        findings.append(
            f"Supplier {sp.ids[s]} is overloaded on {len(days)} day(s) "
            f"({', '.join(map(str, days[:10]))}"
            f"{'...' if len(days) > 10 else ''}) by {_fmt(total)} capacity units in total over a "
            f"limit of {_fmt(lim)} per day ({share}); SKUs made then: {names or 'none'}."
        )
    for i, row in form.lock_rows.items():
        row_cols = model.row(row)[0]
        slack = sum(x[c] for c in row_cols if slack_of.get(int(c)) == "lock")
        if slack > 1e-6:
            findings.append(
                f"SKU {sk.ids[i]}: the lock cannot be met; {_fmt(slack)} units short of "
                f"{_fmt(problem.lock_units()[i])}."
            )
    for kind in ("storage", "budget"):
        tot = sum(x[c] for c in form.elastic_vars[kind])
        if tot > 1e-6:
            findings.append(f"The {kind} limit is exceeded by {_fmt(tot)} in total.")
    return findings


#: The least a solver is given, whatever the budget left (or the whole budget when smaller).
MIN_SOLVER_SECONDS = 0.5


def solver_time_limit(time_limit: float | None, since: float) -> float | None:
    """The solver's share of a ``time_limit`` whose clock started at ``since`` (a
    :func:`time.perf_counter` reading): what is left of it, but at least a tenth of it and at
    least ``min(time_limit, MIN_SOLVER_SECONDS)``, so that a slow model build overruns the
    limit rather than leaves the solver no time. ``None`` (no limit) stays ``None``."""
    if time_limit is None:
        return None
    keep = max(0.1 * time_limit, min(time_limit, MIN_SOLVER_SECONDS))
    return max(keep, time_limit - (time.perf_counter() - since))


def solve(
    problem: Problem,
    solver: str = "auto",
    *,
    time_limit: float | None = 60.0,
    threads: int = 1,
    seed: int = 0,
    gap: float = 1e-6,
    node_limit: int | None = None,
    work_limit: float | None = None,
    log: bool = False,
    progress: ProgressCallback | None = None,
    explain: bool = True,
    formulation: str = "auto",
    decompose: bool | None = None,
    executor: Executor | None = None,
) -> PlanResult:
    """Plan ``problem`` with the chosen backend and return a checked :class:`PlanResult`.

    Parameters
    ----------
    problem : Problem
    solver : str
        ``"auto"`` (default), ``"cpsat"``, ``"scip"``, ``"highs"`` (OR-Tools MathOpt),
        ``"cbc"`` or ``"pulp-highs"`` (PuLP). ``"auto"`` with ``threads >= 2`` and
        ``formulation="auto"`` is a portfolio: CP-SAT on the aggregate model (``threads - 1``
        workers, in this process) races SCIP on the facility-location model (one thread, a
        child process); the first to prove optimality stops the other, and otherwise the
        result is the better plan with the larger bound (see :func:`portfolio_applies` for
        when it does not race). ``"auto"`` is CP-SAT otherwise, and SCIP when quantities are
        continuous. A portfolio result is OPTIMAL when one solver proved its plan optimal, or
        when the best plan's checked cost meets the other solver's proven bound.
    time_limit, threads, seed, gap, node_limit, work_limit, log, progress
        See :class:`~presale_supply.backends.base.SolveOptions`. ``time_limit`` is a budget for
        the whole call: the time spent building the model is taken out of the solver's limit
        (which keeps at least a tenth of it, and at least
        ``min(time_limit, 0.5 s)``), and with subproblems each gets a share of what is
        left when it starts. Checking and assembling the plan come on top (well under a second
        per 1,000 SKUs).
    formulation : {"auto", "aggregate", "facility_location", "aggregate_ls"}
        Model variant (see :mod:`~presale_supply.replenishment.formulation`;
        ``"aggregate_ls"`` adds (l,S) cuts separated on the LP relaxation, see
        :mod:`~presale_supply.replenishment.cuts`). ``"auto"``: the
        aggregate model for CP-SAT, the facility-location strengthening for the LP-based MIP
        solvers (SCIP, HiGHS, CBC), whose bound it closes.
    explain : bool
        When the problem is infeasible, run :func:`diagnose` and put the findings in
        ``result.diagnosis``.
    decompose : bool, optional
        Solve one independent subproblem per supplier and merge them (exact; see
        :mod:`~presale_supply.replenishment.decompose`). With a budget or storage limit
        linking several suppliers, ``True`` means the Lagrangian decomposition
        (:func:`~presale_supply.replenishment.lagrange.solve_lagrangian`), which reports a
        valid bound and its gap, OPTIMAL only within ``gap``. ``None`` (default): the exact
        split when no budget or storage limit links the suppliers and there is more than
        one; the Lagrangian decomposition when they are linked and there are at least
        :data:`~presale_supply.replenishment.lagrange.LAGRANGE_MIN_SKUS` (10,000) SKUs; one
        model otherwise.
    executor : concurrent.futures.Executor, optional
        Run the per-supplier subproblems concurrently on it (a process pool, or a Dask
        ``distributed`` client's ``get_executor()``). Default: one after the other in this
        process. The progress callback is not called from other processes.

    Returns
    -------
    PlanResult
        Status OPTIMAL only when proven within ``gap``; a run stopped at a limit is FEASIBLE
        with its gap (in a portfolio: unless the other solver's proven bound meets its plan's
        checked cost, which proves it optimal).

    Raises
    ------
    PlanCheckError
        If a solver returned a plan that fails the independent checker (never returned).
    SolverUnavailableError
        Unknown solver name or solver package missing.
    """
    t0 = time.perf_counter()
    from presale_supply.replenishment.decompose import decomposable, solve_by_supplier

    check_time_limit(time_limit)
    solver = resolve_auto(problem, solver)

    if decompose is None:
        from presale_supply.replenishment.lagrange import lagrangian_by_default

        decompose = decomposable(problem) or lagrangian_by_default(problem)
    if decompose and decomposable(problem):
        return solve_by_supplier(
            problem,
            solve,
            time_limit=time_limit,
            progress=progress,
            threads=threads,
            seed=seed,
            gap=gap,
            node_limit=node_limit,
            work_limit=work_limit,
            log=log,
            explain=explain,
            formulation=formulation,
            decompose=False,
            solver=solver,
            executor=executor,
        )
    if decompose:
        from presale_supply.replenishment.lagrange import coupled_by_limits, solve_lagrangian

        if coupled_by_limits(problem):
            return solve_lagrangian(
                problem,
                solver,
                time_limit=time_limit,
                threads=threads,
                seed=seed,
                gap=gap,
                node_limit=node_limit,
                work_limit=work_limit,
                log=log,
                progress=progress,
                explain=explain,
                formulation=formulation,
                executor=executor,
            )
    options = SolveOptions(
        time_limit=time_limit,
        threads=threads,
        seed=seed,
        gap=gap,
        node_limit=node_limit,
        work_limit=work_limit,
        log=log,
        progress=progress,
    )
    racing = formulation == "auto" and portfolio_applies(
        problem, solver, threads, node_limit, work_limit
    )
    backend = get_backend(solver)
    if not problem.policy.integer_quantities and not getattr(backend, "supports_continuous", True):
        raise InputError(
            f"continuous quantities (integer_quantities = false) need an LP-based backend "
            f"(scip, highs, cbc, pulp-highs); {backend.name} solves integer programs only.",
            column="solver",
            value=backend.name,
        )
    findings = precheck(problem)
    if findings:
        return PlanResult(
            status=Status.INFEASIBLE,
            objective=None,
            bound=None,
            gap=None,
            solver=backend.version(),
            seconds=time.perf_counter() - t0,
            message="infeasible by the pre-check of the lock against capacity and lead times "
            "(no solver run)",
            problem=problem,
            diagnosis=tuple(findings),
        )
    if racing:
        raw, form, size, racing = _solve_portfolio(problem, options, t0)
        cut_note = ""
    else:
        raw, form, size, cut_note = _solve_one(problem, backend, formulation, options, t0)
    if not raw.status.has_solution or raw.x is None:
        diag: tuple[str, ...] = ()
        if raw.status is Status.INFEASIBLE and explain:
            diag = tuple(diagnose(problem, backend.name, time_limit=min(time_limit or 60.0, 60.0)))
        return PlanResult(
            status=raw.status if raw.status is not Status.OPTIMAL else Status.ERROR,
            objective=None,
            bound=raw.bound,
            gap=None,
            solver=raw.solver,
            seconds=time.perf_counter() - t0,
            message=raw.message,
            problem=problem,
            model_size=size,
            diagnosis=diag,
        )
    arrays = extract_plan(problem, form, raw.x)
    message_extra = cut_note
    report = check_plan(problem, arrays)
    if not report.ok:
        raise PlanCheckError(
            f"the plan returned by {raw.solver} fails the independent check "
            f"({len(report.violations)} violations); it is not returned.",
            report.violations,
        )
    objective = report.costs["total"]
    message = raw.message + message_extra
    if raw.objective is not None and abs(raw.objective - objective) > 1e-6 * max(
        1.0, abs(objective)
    ):
        message += (
            f"; sales re-served first come, first served: cost {objective:,.2f} "
            f"(the solver's own sales: {raw.objective:,.2f})"
        )
    bound = raw.bound
    if bound is not None and bound > objective:
        bound = (
            min(bound, objective) if bound - objective <= 1e-6 * max(1, abs(objective)) else bound
        )
    status = raw.status
    g = relative_gap(objective, bound)
    if status is Status.OPTIMAL and g is not None and g > gap + 1e-9:
        status = Status.FEASIBLE
        message += f"; the solver stopped at a gap of {g:.3%}, above the tolerance {gap:g}"
    elif (
        status is Status.FEASIBLE
        and racing
        and bound is not None
        and bound <= objective
        and g is not None
        and g <= gap + 1e-9
    ):
        status = Status.OPTIMAL
        message += "; the best plan and the best bound together close the gap"
    return PlanResult(
        status=status,
        objective=objective,
        bound=bound,
        gap=g,
        solver=raw.solver,
        seconds=time.perf_counter() - t0,
        message=message,
        problem=problem,
        arrays=arrays,
        check=report,
        model_size=size,
    )


def _solve_one(
    problem: Problem, backend: Backend, formulation: str, options: SolveOptions, t0: float
) -> tuple[RawSolution, Formulation, dict[str, int | str], str]:
    """Build the chosen formulation and solve it with one backend."""
    if formulation == "auto":
        formulation = "aggregate" if backend.name == "cpsat" else "facility_location"
    form = build_formulation(problem, formulation=formulation)
    m = form.model
    cut_note = ""
    if formulation == "aggregate_ls":
        from presale_supply.replenishment.cuts import separate_ls

        m, stats = separate_ls(problem, form)
        cut_note = (
            f"; {int(stats['cuts'])} (l,S) cuts in {int(stats['rounds'])} rounds, LP "
            f"bound {stats.get('lp_bound_before', 0):,.2f} -> "
            f"{stats.get('lp_bound_after', 0):,.2f}"
        )
    size = _size(m, formulation)
    if backend.name == "cpsat":
        m = dataclasses.replace(m, hint=cover_hint(problem, form))
    # The limit is the whole call's: building the model (and any cuts) comes out of it.
    options = dataclasses.replace(options, time_limit=solver_time_limit(options.time_limit, t0))
    raw: RawSolution = run_backend(backend, m, options)
    return raw, form, size, cut_note


def resolve_auto(problem: Problem, solver: str) -> str:
    """``"auto"`` with continuous quantities means SCIP (CP-SAT takes integer programs only);
    any other name, or ``"auto"`` with integer quantities, is returned as it is.

    Parameters
    ----------
    problem : Problem
        The problem to solve.
    solver : str
        The solver name asked for.

    Returns
    -------
    str
        The solver name to use.
    """
    if solver.strip().lower() == "auto" and not problem.policy.integer_quantities:
        return "scip"
    return solver


#: The portfolio (``solver="auto"`` with two or more threads) races CP-SAT and SCIP only on
#: models with at most this many integer variables; larger ones go to CP-SAT alone with every
#: thread (see ``docs/benchmarks.md`` for the measurements behind it).
PORTFOLIO_MAX_INTEGERS = 20_000


def portfolio_applies(
    problem: Problem, solver: str, threads: int, node_limit: int | None, work_limit: float | None
) -> bool:
    """Whether :func:`solve` races CP-SAT against SCIP: ``solver="auto"``, at least two threads,
    integer quantities, no reproducible (node or work) limit, SCIP installed, and a process
    that may fork a child safely: the main thread of a process that is not a daemon (not a
    default Dask worker, nor a thread pool's worker), on a system with ``fork``."""
    import multiprocessing as mp
    import threading

    from presale_supply.backends.base import backend_available

    if solver.strip().lower() != "auto" or threads < 2:
        return False
    if not problem.policy.integer_quantities or node_limit is not None or work_limit is not None:
        return False
    if mp.current_process().daemon or threading.current_thread() is not threading.main_thread():
        return False
    if "fork" not in mp.get_all_start_methods():
        return False
    return backend_available("scip")


def _size(m: MILP, name: str) -> dict[str, int | str]:
    """The model-size record of a result: the formulation's name and the model's counts."""
    return {
        "formulation": name,
        "variables": m.n_vars,
        "integer_variables": m.n_integer,
        "rows": m.n_rows,
        "nonzeros": len(m.data),
    }


#: Statuses whose bound a portfolio keeps (an ERROR's bound is not trusted).
_BOUND_STATUSES = (Status.OPTIMAL, Status.FEASIBLE, Status.NO_SOLUTION)


def _solve_portfolio(
    problem: Problem, options: SolveOptions, t0: float
) -> tuple[RawSolution, Formulation, dict[str, int | str], bool]:
    """CP-SAT on the aggregate model (this process, ``threads - 1`` workers) against SCIP on the
    facility-location model (a forked child, one thread, no log).

    Returns the combined solution, the formulation its ``x`` belongs to, the model size, and
    whether a race ran (False: the model was too large and CP-SAT ran alone).

    The combined solution is the plan with the lowest *checked* cost (CP-SAT's on a tie), with
    the largest trusted bound: from a run that ended OPTIMAL, FEASIBLE or NO_SOLUTION and whose
    own plan, if it had one, passed the check (both models have the problem's optimum, so each
    such bound is valid); CP-SAT's bound with a floating-point objective only for CP-SAT's own
    plan. Its status is OPTIMAL when the run whose plan is kept proved it, else FEASIBLE;
    :func:`solve` re-checks the gap against the bound either way, and makes a FEASIBLE result
    OPTIMAL when the plan meets the bound. INFEASIBLE only when no run has a plan.
    """
    from presale_supply.backends.portfolio import race

    cpsat = get_backend("cpsat")
    agg = build_formulation(problem, formulation="aggregate")
    size = _size(agg.model, "aggregate")
    m_agg = dataclasses.replace(agg.model, hint=cover_hint(problem, agg))
    if m_agg.n_integer > PORTFOLIO_MAX_INTEGERS:
        opts = dataclasses.replace(options, time_limit=solver_time_limit(options.time_limit, t0))
        raw = run_backend(cpsat, m_agg, opts)
        note = (
            f"; portfolio: the model has {m_agg.n_integer:,} integer variables, more than "
            f"{PORTFOLIO_MAX_INTEGERS:,}, so CP-SAT ran alone with {options.threads} workers"
        )
        return dataclasses.replace(raw, message=raw.message + note), agg, size, False
    scip = get_backend("scip")
    fl = build_formulation(problem, formulation="facility_location")
    fl_name = "aggregate" if problem.policy.shortage is Shortage.BACKLOG else "facility_location"
    limit = solver_time_limit(options.time_limit, t0)
    # one deadline for both: each solver's clock is cut to it just before it starts, so model
    # building in either process comes out of the budget; the child gets a little past it
    # to send back what it has, then it is stopped
    deadline = None if limit is None else time.monotonic() + limit
    cp_opts = dataclasses.replace(
        options, time_limit=limit, threads=options.threads - 1, deadline=deadline
    )
    scip_opts = dataclasses.replace(
        options, time_limit=limit, threads=1, log=False, deadline=deadline
    )
    wait = None if limit is None else max(1.0, 0.05 * limit)
    cp_raw, scip_raw = race(
        [(cpsat, m_agg, cp_opts), (scip, fl.model, scip_opts)], wait=wait, start_method="fork"
    )
    runs = ((cp_raw, agg, "cpsat/aggregate"), (scip_raw, fl, f"scip/{fl_name}"))
    parts = "; ".join(
        f"{name}: {r.status.value}"
        + (f" {r.objective:,.2f}" if r.objective is not None else "")
        + (f", bound {r.bound:,.2f}" if r.bound is not None else "")
        + f" in {r.seconds:.1f} s"
        + (f" ({r.message})" if r.status is Status.ERROR or (r.x is None and r.message) else "")
        for r, _, name in runs
    )
    solver_name = f"portfolio: {cp_raw.solver} + {scip_raw.solver}"
    seconds = max(r.seconds for r, _, _ in runs)
    # every plan is checked; the cheapest that passes is kept
    checked: list[tuple[float, int, RawSolution, Formulation, str]] = []
    failed: list[str] = []
    violations: list[str] = []
    trusted: list[RawSolution] = []  # runs whose plan, if any, passed the check
    for order, (r, form, name) in enumerate(runs):
        if not r.status.has_solution or r.x is None:
            trusted.append(r)
            continue
        report = check_plan(problem, extract_plan(problem, form, r.x))
        if report.ok:
            checked.append((float(report.costs["total"]), order, r, form, name))
            trusted.append(r)
        else:
            failed.append(
                f"{name}'s plan failed the independent check ({len(report.violations)} "
                "violations) and was set aside with its bound"
            )
            violations.extend(report.violations)

    def bounds_for(plan_from: RawSolution | None) -> list[float]:
        """Bounds that may certify the plan of ``plan_from``: those of runs whose own plan
        passed the check (or that had none), ended OPTIMAL, FEASIBLE or NO_SOLUTION, and, for
        CP-SAT with a floating-point objective (whose bound is only as exact as its scaling),
        only for its own plan."""
        return [
            r.bound
            for r in trusted
            if r.status in _BOUND_STATUSES
            and r.bound is not None
            and math.isfinite(r.bound)
            and (r is plan_from or not (r is cp_raw and "floating-point objective" in r.message))
        ]

    if not checked:
        if failed:
            raise PlanCheckError("; ".join(failed) + "; no plan is returned.", violations)
        statuses = [r.status for r, _, _ in runs]
        if Status.INFEASIBLE in statuses:
            status = Status.INFEASIBLE
        elif Status.UNBOUNDED in statuses:
            status = Status.UNBOUNDED
        elif all(st is Status.ERROR for st in statuses):
            status = Status.ERROR
        else:
            status = Status.NO_SOLUTION
        no_plan_bounds = bounds_for(None)
        best_bound = (
            max(no_plan_bounds) if no_plan_bounds and status is Status.NO_SOLUTION else None
        )
        raw = RawSolution(status, None, None, best_bound, seconds, solver_name, parts)
        return raw, agg, size, True
    cost, _, best, form, name = min(checked, key=lambda c: (c[0], c[1]))
    bounds = bounds_for(best)
    bound = max(bounds) if bounds else None
    notes = [f"portfolio, plan from {name}", parts, *failed]
    if bound is not None and bound > cost + 1e-6 * max(1.0, abs(cost)):
        valid = [b for b in bounds if b <= cost + 1e-6 * max(1.0, abs(cost))]
        notes.append(
            f"the solvers' bounds are inconsistent (largest {bound:,.2f} above the plan's "
            f"checked cost {cost:,.2f}); the largest bound not above it is kept"
        )
        bound = max(valid) if valid else None
    if any(r.status is Status.INFEASIBLE for r, _, _ in runs):
        notes.append("one solver reported the problem infeasible, but the plan passes the check")
    # OPTIMAL only when the run whose plan is kept proved it; otherwise solve() finds out
    # whether the best plan and the best bound together close the gap
    status = (
        Status.OPTIMAL if best.status is Status.OPTIMAL and bound is not None else Status.FEASIBLE
    )
    if name.startswith("scip"):
        size = _size(fl.model, fl_name)
    raw = RawSolution(status, best.x, best.objective, bound, seconds, solver_name, "; ".join(notes))
    return raw, form, size, True
