r"""Lagrangian decomposition by supplier for campaigns with a budget or a storage limit.

A budget or a storage limit is the only constraint that links the SKUs of different suppliers
(capacity rows are per supplier, every other row is per SKU). :func:`solve_lagrangian` relaxes
those linking rows into the objective with non-negative multipliers, solves one subproblem per
supplier, and repairs the result into a plan that is feasible for the whole problem.

Relaxation
----------
Write the model of ``docs/model.md`` as :math:`\min \sum_s f_s(x_s)` over :math:`x_s \in X_s`
(supplier :math:`s`'s SKUs, its capacity rows and every per-SKU row), plus the linking rows

.. math::

    \sum_s P_s(x_s) \le B \quad (P_s = \sum_{i: s(i)=s} \sum_r c_i P_i n_{ir},
    \text{ the purchase cost}), \qquad
    \sum_s I_{st}(x_s) \le S \quad (I_{st} = \sum_{i: s(i)=s} I_{it}), \; t = 1..T.

Each supplier's subproblem :math:`X_s` also keeps its own copy of the limits,
:math:`P_s \le B` and :math:`I_{st} \le S` (valid: costs and stock are non-negative, so no
supplier alone can exceed what all of them together may use). With multipliers
:math:`\lambda \ge 0` (budget) and :math:`\mu_t \ge 0` (storage, one per day) the Lagrangian
function is

.. math::

    L(\lambda, \mu) = \sum_s z_s(\lambda, \mu) - \lambda B - S \sum_t \mu_t, \qquad
    z_s(\lambda, \mu) = \min_{x_s \in X_s} f_s(x_s) + \lambda P_s(x_s)
        + \sum_t \mu_t I_{st}(x_s).

So subproblem :math:`s` is supplier :math:`s`'s own model with two cost changes: the purchase
cost of every pack becomes :math:`(1 + \lambda) c_i P_i`, and the holding cost of SKU :math:`i`
on day :math:`t` becomes :math:`h_i + \mu_t` (on day :math:`T` the clearance credit stays:
:math:`h_i + \mu_T - \gamma_i`). Every other coefficient and row is unchanged.

**Valid bound.** For any :math:`\lambda, \mu \ge 0`, :math:`L(\lambda, \mu)` is at most the
optimum (weak duality). A solver that stops at a limit returns an incumbent :math:`\ge z_s` and
a proven bound :math:`\underline z_s \le z_s`; the bound reported here is

.. math::

    \underline L(\lambda, \mu) = \sum_s \underline z_s(\lambda, \mu) - \lambda B
        - S \sum_t \mu_t \;\le\; L(\lambda, \mu) \;\le\; \text{optimum},

built from the subproblems' proven **bounds**, never their incumbents, and the best value over
the iterations is kept. If any subproblem returns no bound, that iteration gives no bound.

Multiplier update (subgradient, Polyak step)
--------------------------------------------
Rows are normalised by their right-hand sides (:math:`\hat B = \max(B, 1)`,
:math:`\hat S = \max(S, 1)`), so the budget and the storage rows move at comparable speeds. With
the relaxed plan's purchase cost :math:`P` and stock :math:`I_t`, the normalised subgradient is
:math:`g_B = (P - B)/\hat B`, :math:`g_t = (I_t - S)/\hat S`; components whose multiplier is 0
and whose row is slack are set to 0 (projection). The step is

.. math::

    \theta_k \frac{U - \underline L_k}{\lVert g \rVert^2}, \qquad
    \hat B\lambda \leftarrow \max(0, \hat B\lambda + \text{step}\, g_B), \quad
    \hat S\mu_t \leftarrow \max(0, \hat S\mu_t + \text{step}\, g_t),

with :math:`U` the best feasible cost found so far (before one is found:
:math:`\underline L_k + 0.05 \max(|\underline L_k|, 1)`). :math:`\theta` starts at
``step`` (1.0) and halves after ``patience`` (3) iterations without a better bound. For CP-SAT the
multipliers are rounded down to a grid of :math:`10^{-4}` (coarser if needed) so that the
changed costs still scale exactly to whole numbers; any non-negative multiplier gives a valid
bound, so rounding costs nothing in validity.

Repair (a feasible plan every iteration)
----------------------------------------
The relaxed plan may break the budget or the storage limit. The repair splits each limit into
per-supplier shares that add up to it and re-solves every supplier with its share as a hard row
and the **original** costs, starting from the relaxed solution (a hint):

.. math::

    B_s = m_s + (B - \textstyle\sum_k m_k)\, w_s, \qquad
    w_s = \frac{(P_s - m_s)^+}{\sum_k (P_k - m_k)^+},

and the same per day for storage (:math:`S_{st}` from :math:`I_{st}` and :math:`m_{st}`).
:math:`m_s` is what supplier :math:`s` needs at least: the purchase cost of its SKUs' locks (in
whole packs, at least the MOQ), and for storage, day by day, the stock its SKUs hold when
nothing but the initial stock and the lock arrives and every demand is served. These minima are
valid for every feasible plan, so when they alone exceed a limit the problem is proven
infeasible (and reported so). Because :math:`\sum_s B_s = B` and :math:`\sum_s S_{st} = S`, the
merged plan meets both limits; it is checked by the independent checker against the whole
problem. When the relaxed plan already meets the limits, the shares are at least its usage, so
the repair can only improve on it. A supplier whose share is too small (for instance because its
capacity forces stock to be built early) has no feasible repair in that iteration; the next
iteration's shares differ. If no iteration produced a feasible plan, the whole problem is
solved as one model with the time left (at least a tenth of the limit, with the planner's usual
warm start), and its bound is combined with the Lagrangian one (the larger is kept).

Status
------
OPTIMAL only when the gap between the best plan and the best bound is within ``gap``; otherwise
FEASIBLE with the bound and the gap; INFEASIBLE when a subproblem (a relaxation) is infeasible
or the minima above exceed a limit.
"""

from __future__ import annotations

import dataclasses
import math
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from presale_supply.backends.base import (
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
from presale_supply.parallel import executor_workers
from presale_supply.replenishment.checker import PlanArrays, check_plan
from presale_supply.replenishment.decompose import merge_plans, split_by_supplier
from presale_supply.replenishment.formulation import Formulation, build_formulation
from presale_supply.replenishment.plan import PlanResult

__all__ = [
    "LAGRANGE_MIN_SKUS",
    "LagrangeIteration",
    "coupled_by_limits",
    "lagrangian_by_default",
    "minimum_usage",
    "solve_lagrangian",
]

_GRIDS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)

#: From this many SKUs, ``solve(..., decompose=None)`` uses :func:`solve_lagrangian` for a
#: problem whose suppliers share a budget or storage limit. Measured with CP-SAT on the
#: generated campaign with a budget of 85% of the unconstrained purchase cost
#: (``benchmarks/scale_plan.py --lagrange``, docs/scale.md):
#:
#: - 10,000 SKUs, 400 suppliers, 240 s (``benchmarks/results/scale_plan.json``, 2026-12-04):
#:   the one model found no plan (NO_SOLUTION after 257 s), the Lagrangian decomposition a
#:   checked plan at a 10.1% gap after 1 iteration (in 562 s, over the limit);
#: - 1,000 SKUs, 40 suppliers, 180 s (``benchmarks/results/scale_plan_2026-12-03.json``): the
#:   one model was better, FEASIBLE at a 0.049% gap, against the Lagrangian's 0.306% after
#:   2 iterations.
#:
#: So the decomposition is the default only where the one model was measured to find no plan.
#: Between 1,000 and 10,000 SKUs nothing was measured; pass ``decompose=True`` to try it.
LAGRANGE_MIN_SKUS = 10_000


def coupled_by_limits(problem: Problem) -> bool:
    """True when a budget or a storage limit links more than one supplier with SKUs."""
    p = problem.policy
    if p.budget is None and p.storage_capacity is None:
        return False
    return len(np.unique(problem.sku_supplier)) > 1


def lagrangian_by_default(problem: Problem) -> bool:
    """Whether ``solve(..., decompose=None)`` uses the Lagrangian decomposition: suppliers
    coupled by a budget or storage limit and at least :data:`LAGRANGE_MIN_SKUS` SKUs."""
    return coupled_by_limits(problem) and len(problem.skus) >= LAGRANGE_MIN_SKUS


@dataclass(frozen=True)
class LagrangeIteration:
    """One iteration of :func:`solve_lagrangian` (pass a list as ``trace`` to collect them).

    Attributes
    ----------
    iteration : int
        0 for the first (all multipliers 0).
    seconds : float
        Elapsed since the start of the call, at the end of the iteration.
    budget_multiplier : float
        :math:`\\lambda` used in this iteration (0 without a budget).
    storage_multipliers : tuple of float
        :math:`\\mu_t` used in this iteration, one per day (empty without a storage limit).
    dual_bound : float or None
        :math:`\\underline L` of this iteration (None when a subproblem gave no bound).
    best_bound : float or None
        Best bound so far.
    relaxed_feasible : bool
        Whether the relaxed plan already met the budget and the storage limit.
    plan_cost : float or None
        Cost of the feasible plan built in this iteration (relaxed plan or repair), if any.
    best_cost : float or None
        Best feasible cost so far.
    violation : float
        Largest normalised excess of the relaxed plan over a limit (0 when it meets them).
    step : float
        Polyak step taken after this iteration (0 when none was taken).
    note : str
        What happened to the repair, in words.
    """

    iteration: int
    seconds: float
    budget_multiplier: float
    storage_multipliers: tuple[float, ...]
    dual_bound: float | None
    best_bound: float | None
    relaxed_feasible: bool
    plan_cost: float | None
    best_cost: float | None
    violation: float
    step: float
    note: str = ""


@dataclass
class _Part:
    supplier: int
    idx: np.ndarray
    sub: Problem
    form: Formulation
    base: MILP
    purchase: np.ndarray  # per offered order: c_i P_i (the budget row's coefficient)
    budget_row: int
    storage_rows: np.ndarray  # row index per day, or empty
    hint: dict[int, float] | None = None


def minimum_usage(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """What each SKU uses at least in every feasible plan: purchase cost and stock per day.

    Purchase: the lock in whole packs, raised to the MOQ, times the unit cost. Stock: the
    on-hand units when only the initial stock and the lock arrive and demand is served as far
    as stock allows (any other order only adds stock; selling less only keeps more).

    Returns
    -------
    (ndarray (N,), ndarray (N, T))
    """
    sk = problem.skus
    N, T = len(sk), problem.n_days
    lock = problem.lock_units().astype(float)
    pack = sk.pack_size.astype(float)
    moq_units = np.ceil(sk.moq / pack - 1e-9) * pack
    units = np.where(lock > 0, np.maximum(lock, moq_units), 0.0)
    purchase = units * sk.unit_cost
    lead = problem.suppliers.lead_time_days[problem.sku_supplier]
    arrive = np.maximum(problem.rounds[0] + lead, 1)
    d = problem.demand.units[0].astype(float)
    stock = sk.initial_stock.astype(float).copy()
    waiting = np.zeros(N)
    out = np.zeros((N, T))
    backlog = problem.policy.shortage is Shortage.BACKLOG
    for t in range(1, T + 1):
        stock = stock + np.where(arrive == t, units, 0.0)
        owed = d[:, t - 1] + (waiting if backlog else 0.0)
        sold = np.minimum(owed, stock)
        stock = stock - sold
        if backlog:
            waiting = owed - sold
        out[:, t - 1] = stock
    return purchase, out


def _shares(limit: float, need: np.ndarray, use: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Split ``limit`` into shares ``need + (limit - sum need) * w`` (see the module docs)."""
    extra = np.maximum(use - need, 0.0)
    total = float(extra.sum())
    w = extra / total if total > 0 else weight / float(weight.sum())
    return need + (limit - float(need.sum())) * w


def _sub_limit(round_limit: float, concurrent: int, n_part: int, n_all: int) -> float:
    """Seconds for one subproblem of a round: the round's time shared in proportion to SKU
    counts, times the subproblems that run at once, at most the round's time, and at least 1 s
    (which may exceed a round's time below 1 s).

    Parameters
    ----------
    round_limit : float
        Seconds for the whole round.
    concurrent : int
        Subproblems solved at the same time: ``min(executor workers, subproblems)`` (1 without
        an executor).
    n_part, n_all : int
        SKUs of this subproblem and of the whole problem.

    Returns
    -------
    float
    """
    return max(1.0, min(round_limit, round_limit * concurrent * n_part / n_all))


def _round_down(x: np.ndarray, grid: float) -> np.ndarray:
    return np.floor(np.maximum(x, 0.0) / grid + 1e-9) * grid


def _solve_raw(solver: str, model: MILP, options: SolveOptions) -> RawSolution:
    """Solve one model (module level, so that a process pool can pickle it)."""
    return run_backend(get_backend(solver), model, options)


def _merge(problem: Problem, parts: list[_Part], plans: list[PlanArrays]) -> PlanArrays:
    return merge_plans(problem, [(p.idx, a) for p, a in zip(parts, plans, strict=True)])


def solve_lagrangian(
    problem: Problem,
    solver: str = "cpsat",
    *,
    time_limit: float | None = 60.0,
    iterations: int = 30,
    threads: int = 1,
    seed: int = 0,
    gap: float = 1e-6,
    sub_gap: float | None = None,
    work_limit: float | None = None,
    node_limit: int | None = None,
    log: bool = False,
    progress: ProgressCallback | None = None,
    explain: bool = True,
    formulation: str = "auto",
    executor: Executor | None = None,
    step: float = 1.0,
    patience: int = 3,
    trace: list[LagrangeIteration] | None = None,
) -> PlanResult:
    """Plan a problem whose suppliers share a budget or a storage limit, by Lagrangian
    decomposition (equations in the module docstring).

    Parameters
    ----------
    problem : Problem
        One demand scenario; a budget and/or a storage limit.
    solver, threads, seed, work_limit, node_limit, log, formulation
        As in :func:`~presale_supply.replenishment.solve.solve`, applied to every subproblem
        (``work_limit`` and ``node_limit`` per subproblem solve).
    time_limit : float, optional
        Wall-clock seconds for the whole call. Each round of subproblem solves (relaxed, then
        repair) gets the time left over twice the smaller of 4 and the iterations left, shared
        in proportion to SKU counts (times the number of subproblems that run at once: the
        executor's workers, at most the number of suppliers), at most the round's time and at
        least 1 s per subproblem; a subproblem usually stops earlier, at ``sub_gap``. Once a
        plan exists, no iteration starts that would end after the limit if it took as long as
        the last one; the first iterations (before a plan exists) may overrun it.
    iterations : int
        Most multiplier updates.
    gap : float
        Stop, and report OPTIMAL, once the best plan is proven within this relative gap.
    sub_gap : float, optional
        Relative gap at which each subproblem solve may stop (default ``max(gap, 1e-4)``).
        The bound stays valid at any value, because the subproblems' proven bounds are used.
    progress : callable, optional
        Called after each iteration with (seconds, best cost, best bound) once a plan exists.
    explain : bool
        When a supplier's subproblem is infeasible, explain it by
        :func:`~presale_supply.replenishment.solve.diagnose` (``result.diagnosis``).
    executor : concurrent.futures.Executor, optional
        Solve the subproblems of a round concurrently on it (a process pool or a Dask client's
        executor).
    step, patience : float, int
        Initial Polyak factor :math:`\\theta`, halved after ``patience`` iterations without a
        better bound.
    trace : list, optional
        If given, one :class:`LagrangeIteration` is appended per iteration.

    Returns
    -------
    PlanResult
        A plan checked against the whole problem, with a valid bound and its gap; OPTIMAL only
        within ``gap``. ``model_size`` adds ``subproblems`` and ``lagrange_iterations``. A bound
        above the plan's cost by more than 1e-6 (relative), which no valid bound can be, is
        kept as reported, flagged by a WARNING in the message, and the status is FEASIBLE.

    Raises
    ------
    InputError
        No budget or storage limit, or bad ``iterations``, ``step``, ``patience``.
    PlanCheckError
        A merged plan failed the independent checker (never returned).
    """
    from presale_supply.replenishment.solve import (
        cover_hint,
        diagnose,
        extract_plan,
        precheck,
        resolve_auto,
        solve,
    )

    t0 = time.perf_counter()
    policy = problem.policy
    budget, storage = policy.budget, policy.storage_capacity
    if budget is None and storage is None:
        raise InputError(
            "solve_lagrangian needs a budget or a storage limit; without one the suppliers are "
            "independent (use solve(..., decompose=True)).",
            column="budget",
        )
    if not (isinstance(iterations, int) and iterations >= 1):
        raise InputError("iterations must be a whole number >= 1.", value=iterations)
    if not step > 0 or not (isinstance(patience, int) and patience >= 1):
        raise InputError("step must be > 0 and patience a whole number >= 1.", value=step)
    sub_gap = max(gap, 1e-4) if sub_gap is None else sub_gap
    solver = resolve_auto(problem, solver)
    backend = get_backend(solver)
    solver_name = backend.version()
    if formulation == "auto":
        formulation = "aggregate" if backend.name == "cpsat" else "facility_location"
    T = problem.n_days
    N = len(problem.skus)

    def result(status: Status, message: str, **kw: Any) -> PlanResult:
        fields: dict[str, Any] = {"objective": None, "bound": None, "gap": None}
        fields.update(kw)
        return PlanResult(
            status=status,
            solver=solver_name,
            seconds=time.perf_counter() - t0,
            message=message,
            problem=problem,
            **fields,
        )

    findings = precheck(problem)
    need_buy, need_stock = minimum_usage(problem)
    if budget is not None and need_buy.sum() > budget * (1 + 1e-9) + 1e-6:
        findings.append(
            f"The locks alone cost {need_buy.sum():,.2f} (in whole packs, at least the MOQ), "
            f"above the budget of {budget:,.2f}: raise the budget to at least "
            f"{need_buy.sum():,.2f} or lower lock_ratio."
        )
    if storage is not None:
        tot = need_stock.sum(axis=0)
        if tot.max() > storage + 1e-6:
            t = int(np.argmax(tot))
            findings.append(
                f"On day {t + 1} the initial stock and the lock orders alone leave "
                f"{tot[t]:,.0f} units on hand even if every demand is served, above the storage "
                f"capacity of {storage:,.0f}: raise storage_capacity to at least {tot.max():,.0f}."
            )
    if findings:
        return result(
            Status.INFEASIBLE,
            "infeasible by the pre-check (locks against capacity, budget and storage; no solver "
            "run)",
            diagnosis=tuple(findings),
        )

    # ---- subproblems (built once; each round changes costs or row bounds only) -------------
    parts: list[_Part] = []
    size: dict[str, int | str] = {"formulation": formulation}
    for s, idx, sub in split_by_supplier(problem):
        form = build_formulation(sub, formulation=formulation)
        m = form.model
        names = m.row_names
        budget_row = names.index("budget") if budget is not None and "budget" in names else -1
        storage_rows = (
            np.array([names.index(f"storage[{t}]") for t in range(1, T + 1)], dtype=np.int64)
            if storage is not None
            else np.zeros(0, dtype=np.int64)
        )
        sk = sub.skus
        purchase = (sk.unit_cost * sk.pack_size)[form.order_sku].astype(float)
        hint = cover_hint(sub, form) if backend.name == "cpsat" else None
        parts.append(_Part(s, idx, sub, form, m, purchase, budget_row, storage_rows, hint))
        for key, val in (
            ("variables", m.n_vars),
            ("integer_variables", m.n_integer),
            ("rows", m.n_rows),
            ("nonzeros", len(m.data)),
        ):
            size[key] = int(size.get(key, 0)) + int(val)
    size["subproblems"] = len(parts)
    sup_ids = problem.suppliers.ids
    n_skus = np.array([len(p.idx) for p in parts], dtype=float)
    buy_need = np.array([need_buy[p.idx].sum() for p in parts])
    stock_need = np.array([need_stock[p.idx].sum(axis=0) for p in parts])  # (n_parts, T)
    workers = executor_workers(executor)
    exact_scaling = backend.name == "cpsat"

    def run_round(
        models: list[MILP], round_limit: float | None
    ) -> list[RawSolution | BaseException]:
        """Solve one model per part (retrying a failure once); exceptions are returned."""
        opts = []
        for p in parts:
            limit = None
            if round_limit is not None:
                limit = _sub_limit(round_limit, min(workers, len(parts)), len(p.idx), N)
            opts.append(
                SolveOptions(
                    time_limit=limit,
                    threads=threads,
                    seed=seed,
                    gap=sub_gap,
                    node_limit=node_limit,
                    work_limit=work_limit,
                    log=log,
                )
            )

        def call(k: int) -> RawSolution | BaseException:
            try:
                return _solve_raw(solver, models[k], opts[k])
            except Exception as exc:
                return exc

        def failed(r: RawSolution | BaseException) -> bool:
            return isinstance(r, BaseException) or (
                r.x is None and r.status is not Status.INFEASIBLE
            )

        out: list[RawSolution | BaseException]
        if executor is not None:
            futs: list[Future[RawSolution]] = [
                executor.submit(_solve_raw, solver, models[k], opts[k]) for k in range(len(parts))
            ]
            out = []
            for f in futs:
                try:
                    out.append(f.result())
                except Exception as exc:
                    out.append(exc)
        else:
            out = [call(k) for k in range(len(parts))]
        for k in range(len(parts)):
            if failed(out[k]):
                out[k] = call(k)  # one retry, in this process
        return out

    def describe(r: RawSolution | BaseException) -> str:
        if isinstance(r, BaseException):
            return f"{type(r).__name__}: {r}"
        return f"{r.status.value} ({r.message})"

    def grid_for(lam_raw: float, mu_raw: np.ndarray) -> float:
        """Finest multiplier grid keeping every subproblem's costs whole at a power of ten up to
        10^6 (what CP-SAT scales exactly); 0 when no rounding is needed."""
        if not exact_scaling or (lam_raw <= 0 and not mu_raw.any()):
            return 0.0
        from presale_supply.backends.cpsat import integer_scale

        for g in _GRIDS:
            lv, mv = _round_down(np.array([lam_raw]), g)[0], _round_down(mu_raw, g)
            if all(
                integer_scale(c[c != 0], max_power=6) is not None
                for c in (relaxed_costs(float(lv), mv, p) for p in parts)
            ):
                return g
        return _GRIDS[-1]

    lam = 0.0
    mu = np.zeros(T if storage is not None else 0)
    b_hat = max(float(budget), 1.0) if budget is not None else 1.0
    s_hat = max(float(storage), 1.0) if storage is not None else 1.0
    theta = float(step)
    best_bound: float | None = None
    best_cost: float | None = None
    best_plan: PlanArrays | None = None
    best_report = None
    best_from = ""
    since_better = 0
    last_relaxed: list[np.ndarray | None] = [None] * len(parts)
    notes: list[str] = []
    done_iters = 0
    stop_reason = f"{iterations} iterations done"

    def relaxed_costs(lam_v: float, mu_v: np.ndarray, p: _Part) -> np.ndarray:
        c = p.base.c.copy()
        if budget is not None and lam_v > 0:
            c[p.form.order_n] += lam_v * p.purchase
        if storage is not None and mu_v.size and mu_v.any():
            c[p.form.inv] += mu_v[None, :]
        return c

    last_duration = 0.0
    for it in range(iterations):
        elapsed = time.perf_counter() - t0
        # no iteration starts that the last one's duration says would end after the limit,
        # unless there is no plan yet
        if (
            time_limit is not None
            and it > 0
            and (
                elapsed >= time_limit
                or (best_cost is not None and elapsed + last_duration > time_limit)
            )
        ):
            stop_reason = f"time limit: {it} iterations fit in {time_limit:g} s"
            break
        it_start = time.perf_counter()
        round_limit = None
        if time_limit is not None:
            round_limit = max(time_limit - elapsed, 0.0) / (2 * min(iterations - it, 4))
        # multipliers on a grid that keeps CP-SAT's costs whole (any multiplier >= 0 is valid)
        g = grid_for(lam, mu)
        if g:
            lam = float(_round_down(np.array([lam]), g)[0])
            mu = _round_down(mu, g)
        models = []
        for k, p in enumerate(parts):
            h = p.hint
            if backend.name == "cpsat" and last_relaxed[k] is not None:
                xk = last_relaxed[k]
                assert xk is not None
                h = {j: float(v) for j, v in enumerate(xk.tolist())}
            models.append(dataclasses.replace(p.base, c=relaxed_costs(lam, mu, p), hint=h))
        raws = run_round(models, round_limit)

        # ---- relaxed round: bound, relaxed plan, subgradient --------------------------------
        infeasible = [
            sup_ids[p.supplier]
            for p, r in zip(parts, raws, strict=True)
            if isinstance(r, RawSolution) and r.status is Status.INFEASIBLE
        ]
        if infeasible:
            diag = tuple(
                finding
                for p, r in zip(parts, raws, strict=True)
                if explain and isinstance(r, RawSolution) and r.status is Status.INFEASIBLE
                for finding in diagnose(p.sub, solver, time_limit=min(time_limit or 60.0, 60.0))
            )
            return result(
                Status.INFEASIBLE,
                f"Lagrangian decomposition: the subproblem of supplier(s) "
                f"{', '.join(infeasible)} is infeasible on its own (its capacity, locks and "
                "the limits), so the whole problem is",
                diagnosis=diag,
                model_size=size,
            )
        missing = [
            f"supplier {sup_ids[p.supplier]}: {describe(r)}"
            for p, r in zip(parts, raws, strict=True)
            if not (isinstance(r, RawSolution) and r.x is not None)
        ]
        dual: float | None = None
        bounds = [r.bound if isinstance(r, RawSolution) else None for r in raws]
        if all(b is not None for b in bounds):
            dual = float(sum(b for b in bounds if b is not None))
            if budget is not None:
                dual -= lam * float(budget)
            if storage is not None:
                dual -= float(storage) * float(mu.sum())
            if best_bound is None or dual > best_bound + 1e-9 * max(1.0, abs(best_bound)):
                best_bound = dual
                since_better = 0
            else:
                since_better += 1
        else:
            since_better += 1
        if missing:
            notes.append(f"iteration {it}: no relaxed plan for " + "; ".join(missing))
            done_iters = it + 1
            last_duration = time.perf_counter() - it_start
            if trace is not None:
                trace.append(
                    LagrangeIteration(
                        it,
                        time.perf_counter() - t0,
                        lam,
                        tuple(mu.tolist()),
                        dual,
                        best_bound,
                        False,
                        None,
                        best_cost,
                        math.nan,
                        0.0,
                        "no relaxed plan: " + "; ".join(missing),
                    )
                )
            continue
        plans = []
        for k, (p, r) in enumerate(zip(parts, raws, strict=True)):
            assert isinstance(r, RawSolution) and r.x is not None
            last_relaxed[k] = r.x
            plans.append(extract_plan(p.sub, p.form, r.x))
        use_buy = np.array(
            [
                float((a.order_units.sum(axis=1) * p.sub.skus.unit_cost).sum())
                for p, a in zip(parts, plans, strict=True)
            ]
        )
        use_stock = np.array([a.on_hand.sum(axis=0) for a in plans], dtype=float)
        g_b = (use_buy.sum() - budget) / b_hat if budget is not None else 0.0
        g_s = (use_stock.sum(axis=0) - storage) / s_hat if storage is not None else np.zeros(0)
        violation = max(float(g_b), float(g_s.max(initial=0.0)), 0.0)
        relaxed_ok = violation <= 1e-9
        plan_cost: float | None = None
        note = ""

        def consider(arrays: PlanArrays, origin: str) -> float:
            nonlocal best_cost, best_plan, best_report, best_from
            report = check_plan(problem, arrays)
            if not report.ok:
                raise PlanCheckError(
                    f"the Lagrangian {origin} fails the independent check", report.violations
                )
            cost = float(report.costs["total"])
            if best_cost is None or cost < best_cost - 1e-9 * max(1.0, abs(cost)):
                best_cost, best_plan, best_report, best_from = cost, arrays, report, origin
            return cost

        if relaxed_ok:
            plan_cost = consider(_merge(problem, parts, plans), f"relaxed plan of iteration {it}")
            note = "relaxed plan meets the limits"

        # ---- repair: per-supplier shares of the limits, original costs --------------------
        if not (
            best_bound is not None and best_cost is not None and _closed(best_cost, best_bound, gap)
        ):
            rep_models = []
            b_share = (
                _shares(float(budget), buy_need, use_buy, n_skus) if budget is not None else None
            )
            s_share = (
                np.column_stack(
                    [
                        _shares(float(storage), stock_need[:, t], use_stock[:, t], n_skus)
                        for t in range(T)
                    ]
                )
                if storage is not None
                else None
            )
            for k, p in enumerate(parts):
                ub = p.base.row_ub.copy()
                if b_share is not None and p.budget_row >= 0:
                    ub[p.budget_row] = b_share[k]
                if s_share is not None:
                    ub[p.storage_rows] = np.floor(s_share[k] + 1e-9)
                ub.setflags(write=False)
                xk = last_relaxed[k]
                assert xk is not None
                h = {j: float(v) for j, v in enumerate(xk.tolist())}
                rep_models.append(dataclasses.replace(p.base, row_ub=ub, hint=h))
            rep_limit = None
            if time_limit is not None:
                left = max(time_limit - (time.perf_counter() - t0), 0.0)
                rep_limit = left / (2 * min(iterations - it, 4) - 1)
            rep = run_round(rep_models, rep_limit)
            bad = [
                f"{sup_ids[p.supplier]} ({describe(r)})"
                for p, r in zip(parts, rep, strict=True)
                if not (isinstance(r, RawSolution) and r.x is not None)
            ]
            if bad:
                note = (note + "; " if note else "") + "repair failed for " + ", ".join(bad)
            else:
                rep_plans = []
                for p, r in zip(parts, rep, strict=True):
                    assert isinstance(r, RawSolution) and r.x is not None
                    rep_plans.append(extract_plan(p.sub, p.form, r.x))
                cost = consider(_merge(problem, parts, rep_plans), f"repair of iteration {it}")
                plan_cost = cost if plan_cost is None else min(plan_cost, cost)
                note = (note + "; " if note else "") + "repaired by per-supplier shares"

        # ---- multiplier update (projected subgradient, Polyak step) -----------------------
        lam_used, mu_used = lam, tuple(mu.tolist())
        grad_b = g_b if budget is not None and not (lam <= 0 and g_b < 0) else 0.0
        grad_s = np.where((mu <= 0) & (g_s < 0), 0.0, g_s) if storage is not None else g_s
        norm2 = float(grad_b) ** 2 + float(np.sum(grad_s**2))
        taken = 0.0
        if since_better >= patience:
            theta /= 2.0
            since_better = 0
        done_iters = it + 1
        closed = (
            best_bound is not None and best_cost is not None and _closed(best_cost, best_bound, gap)
        )
        if not closed and norm2 > 1e-18 and dual is not None:
            target = best_cost if best_cost is not None else dual + 0.05 * max(abs(dual), 1.0)
            taken = theta * max(target - dual, 0.0) / norm2
            if budget is not None:
                lam = max(0.0, lam * b_hat + taken * grad_b) / b_hat
            if storage is not None:
                mu = np.maximum(0.0, mu * s_hat + taken * grad_s) / s_hat
        if trace is not None:
            trace.append(
                LagrangeIteration(
                    it,
                    time.perf_counter() - t0,
                    lam_used,
                    mu_used,
                    dual,
                    best_bound,
                    relaxed_ok,
                    plan_cost,
                    best_cost,
                    violation,
                    taken,
                    note,
                )
            )
        last_duration = time.perf_counter() - it_start
        if progress is not None and best_cost is not None:
            progress(time.perf_counter() - t0, best_cost, best_bound)
        if closed:
            stop_reason = f"gap closed after {it + 1} iterations"
            break
        if norm2 <= 1e-18 and relaxed_ok:
            stop_reason = (
                f"the relaxed plan meets the limits with complementary slackness after "
                f"{it + 1} iterations (the gap left is the subproblems')"
            )
            break
        if theta < 1e-4:
            stop_reason = f"step factor below 1e-4 after {it + 1} iterations"
            break

    size["lagrange_iterations"] = done_iters
    head = (
        f"Lagrangian decomposition over {len(parts)} suppliers ({_limits(budget, storage)} "
        f"relaxed); {stop_reason}; bound from the subproblems' proven bounds"
    )
    extra_notes = ("; " + "; ".join(notes[-3:])) if notes else ""

    if best_plan is None:
        # no feasible plan from any iteration: one model with the time left
        left_whole: float | None = None
        if time_limit is not None:
            left_whole = max(time_limit - (time.perf_counter() - t0), 0.1 * time_limit)
        whole = solve(
            problem,
            solver,
            time_limit=left_whole,
            threads=threads,
            seed=seed,
            gap=gap,
            node_limit=node_limit,
            work_limit=work_limit,
            log=log,
            formulation=formulation,
            decompose=False,
        )
        if whole.arrays is None:
            return result(
                whole.status if whole.status is not Status.OPTIMAL else Status.ERROR,
                head + "; no iteration gave a feasible plan and the whole model found none "
                f"either ({whole.message})" + extra_notes,
                bound=_max_bound(best_bound, whole.bound),
                model_size=size,
                diagnosis=whole.diagnosis,
            )
        best_plan, best_report = whole.arrays, whole.check
        best_cost = float(whole.objective or 0.0)
        best_bound = _max_bound(best_bound, whole.bound)
        best_from = "whole model (no iteration gave a feasible plan)"
    assert best_cost is not None and best_plan is not None
    bound = best_bound
    warning = ""
    if bound is not None and bound > best_cost:
        if bound - best_cost <= 1e-6 * max(1.0, abs(best_cost)):
            bound = best_cost  # rounding noise of the solvers' bounds
        else:  # a lower bound above a checked plan's cost: the solvers' bounds are inconsistent
            warning = (
                f"; WARNING: the bound {bound:,.6g} is above the checked plan's cost "
                f"{best_cost:,.6g} by more than the 1e-6 tolerance, which a valid lower bound "
                "cannot be; the gap shown is their distance and the plan is not called optimal"
            )
    g_final = relative_gap(best_cost, bound)
    status = (
        Status.OPTIMAL
        if g_final is not None and g_final <= gap + 1e-9 and not warning
        else Status.FEASIBLE
    )
    return result(
        status,
        head + f"; best plan: {best_from}" + extra_notes + warning,
        objective=best_cost,
        bound=bound,
        gap=g_final,
        arrays=best_plan,
        check=best_report,
        model_size=size,
    )


def _closed(cost: float, bound: float, gap: float) -> bool:
    g = relative_gap(cost, bound)
    return g is not None and g <= gap + 1e-9


def _max_bound(a: float | None, b: float | None) -> float | None:
    known = [v for v in (a, b) if v is not None and math.isfinite(v)]
    return max(known) if known else None


def _limits(budget: float | None, storage: float | None) -> str:
    if budget is not None and storage is not None:
        return "budget and storage"
    return "budget" if budget is not None else "storage"
