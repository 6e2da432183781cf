"""The two-stage stochastic planner: one lock for every demand scenario, recourse per scenario.

The model is :func:`~presale_supply.replenishment.formulation.build_scenario_formulation`: the
orders of rounds ``0 .. stage`` are decided once (before demand is known), later rounds,
production, inventory and sales per scenario, and the objective is the expected cost (or a
mix of expected cost and CVaR, see :class:`~presale_supply.replenishment.formulation.Risk`). With
one scenario it is the deterministic planner's model.

Every returned plan is checked independently: each scenario's plan by
:func:`~presale_supply.replenishment.checker.check_plan` against that scenario's demand, plus the
non-anticipativity (the shared rounds order the same in every scenario), the fixed orders and
the service level, in :func:`check_scenario_plans`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.backends.base import (
    SolveOptions,
    Status,
    get_backend,
    relative_gap,
    run_backend,
)
from presale_supply.data import Demand, Problem
from presale_supply.exceptions import InputError, PlanCheckError
from presale_supply.parallel import Partition, run_partitions
from presale_supply.replenishment.checker import CheckReport, PlanArrays, check_plan
from presale_supply.replenishment.decompose import decomposable, merge_plans, split_by_supplier
from presale_supply.replenishment.formulation import Risk, build_scenario_formulation
from presale_supply.replenishment.solve import extract_plan, precheck, solver_time_limit
from presale_supply.validation import check_time_limit

__all__ = [
    "StochasticResult",
    "check_scenario_plans",
    "cvar",
    "scenario_problem",
    "solve_stochastic",
    "validate_fixed",
]


def cvar(costs: np.ndarray, weights: np.ndarray, alpha: float) -> float:
    """Conditional value at risk: expected cost over the worst ``1 - alpha`` of probability.

    Discrete definition (Rockafellar-Uryasev): ``min_eta eta + E[(cost - eta)+] / (1 - alpha)``,
    attained at the alpha-quantile of the cost.

    Parameters
    ----------
    costs, weights : ndarray (S,)
        Cost and probability of each scenario.
    alpha : float
        Tail level in [0, 1); 0 gives the expected cost.

    Returns
    -------
    float
    """
    c = np.asarray(costs, dtype=float)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(c)
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, alpha - 1e-12))
    eta = float(c[order][min(k, len(c) - 1)])
    return eta + float(np.sum(w * np.maximum(c - eta, 0.0))) / (1.0 - alpha)


def scenario_problem(problem: Problem, s: int, lock: np.ndarray | None = None) -> Problem:
    """The deterministic problem of scenario ``s`` (weight 1) keeping the stochastic lock.

    Parameters
    ----------
    problem : Problem
        A problem with scenario demand.
    s : int
        Scenario index.
    lock : ndarray, optional
        Lock units per SKU (default: ``problem.lock_units()``, from the expected demand).

    Returns
    -------
    Problem
    """
    return dataclasses.replace(
        problem,
        demand=Demand(problem.demand.units[s : s + 1], np.ones(1)),
        policy=dataclasses.replace(problem.policy, rounds=tuple(problem.rounds)),
        lock=problem.lock_units() if lock is None else lock,
    )


def check_scenario_plans(
    problem: Problem,
    plans: tuple[PlanArrays, ...],
    *,
    stage: int,
    fixed: dict[tuple[int, int], int] | None = None,
    risk: Risk | None = None,
) -> tuple[list[str], list[CheckReport]]:
    """Check every scenario plan and the links between them.

    Returns
    -------
    violations : list of str
        Empty when every plan is feasible, the rounds ``0 .. stage`` order the same in every
        scenario, fixed orders are kept, and the service level holds where required.
    reports : list of CheckReport
        One per scenario (costs per scenario in ``report.costs``).
    """
    bad: list[str] = []
    reports: list[CheckReport] = []
    lock = problem.lock_units()
    for s, plan in enumerate(plans):
        rep = check_plan(scenario_problem(problem, s, lock), plan)
        reports.append(rep)
        bad += [f"scenario {s}: {v}" for v in rep.violations[:5]]
    first = plans[0].order_units[:, : stage + 1]
    for s, plan in enumerate(plans[1:], start=1):
        diff = np.argwhere(plan.order_units[:, : stage + 1] != first)
        for i, r in diff[:5]:
            bad.append(
                f"scenario {s}: round {r} orders {plan.order_units[i, r]} units of sku "
                f"{problem.skus.ids[i]!r}, scenario 0 orders {first[i, r]}: a decision made "
                "before demand is known must be the same in every scenario"
            )
    pack = problem.skus.pack_size
    for (i, r), packs in (fixed or {}).items():
        for s, plan in enumerate(plans):
            if plan.order_units[i, r] != packs * pack[i]:
                bad.append(
                    f"scenario {s}: sku {problem.skus.ids[i]!r} round {r} orders "
                    f"{plan.order_units[i, r]} units, {packs * pack[i]} were already placed"
                )
    if risk is not None and risk.service_level is not None:
        d = problem.demand.units.sum(axis=2)
        sold = np.stack([p.sold.sum(axis=1) for p in plans])
        need = np.ceil(risk.service_level * d - 1e-9)
        miss = sold < need - 1e-9
        missed = (problem.demand.weights[:, None] * miss).sum(axis=0)
        for i in np.flatnonzero(missed > risk.chance + 1e-9)[:5]:
            bad.append(
                f"sku {problem.skus.ids[i]!r}: the {risk.service_level:.0%} fill rate is missed "
                f"in scenarios of probability {missed[i]:.3f} > {risk.chance:g}"
            )
    return bad, reports


@dataclass(frozen=True, eq=False)
class StochasticResult:
    """Outcome of :func:`solve_stochastic`.

    Attributes
    ----------
    status : Status
        OPTIMAL only when proven within the gap; FEASIBLE (with ``gap``) at a limit.
    objective : float or None
        Expected cost (with CVaR: ``(1 - lambda) E + lambda CVaR``), recomputed from the
        checked scenario plans.
    expected_cost : float or None
    bound, gap : float or None
        Solver's bound on the objective and the relative gap.
    solver, seconds, message
    problem : Problem
    stage : int
        Last round decided now (its orders are :meth:`orders_now`).
    plans : tuple of PlanArrays
        One plan per scenario.
    scenario_costs : ndarray
        Cost of each scenario's plan.
    model_size : dict
    """

    status: Status
    objective: float | None
    expected_cost: float | None
    bound: float | None
    gap: float | None
    solver: str
    seconds: float
    message: str
    problem: Problem = field(repr=False)
    stage: int = 0
    plans: tuple[PlanArrays, ...] = field(default=(), repr=False)
    scenario_costs: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    model_size: dict[str, Any] = field(default_factory=dict)

    @property
    def first_stage_units(self) -> np.ndarray:
        """Units per SKU and shared round ``0 .. stage``, shape (N, stage + 1)."""
        if not self.plans:
            raise ValueError(f"no plan: the solve ended {self.status.value}. {self.message}")
        return self.plans[0].order_units[:, : self.stage + 1].copy()

    def orders_now(self) -> pd.DataFrame:
        """The orders to place now, with the columns of the deterministic plan's ``orders``.

        ``sku, supplier, round, order_day, arrival_day, quantity, packs``; ``round`` is 1 for
        the lock round, as in :attr:`PlanResult.orders`.
        """
        return _orders_frame(self.problem, self.first_stage_units)

    def scenario_orders(self) -> pd.DataFrame:
        """Every round's orders in every scenario: ``scenario`` (its label), then the columns
        of :meth:`orders_now`. The rounds decided now are the same in every scenario."""
        labels = self.problem.demand.scenario_labels()
        frames = [
            _orders_frame(self.problem, plan.order_units).assign(scenario=labels[s])
            for s, plan in enumerate(self.plans)
        ]
        cols = ["scenario", *_ORDER_COLUMNS]
        if not frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)[cols]

    def cost_distribution(self) -> pd.DataFrame:
        """``scenario, weight, cost`` per scenario (``scenario`` is its label)."""
        return pd.DataFrame(
            {
                "scenario": list(self.problem.demand.scenario_labels()),
                "weight": self.problem.demand.weights,
                "cost": self.scenario_costs,
            }
        )


_ORDER_COLUMNS = ["sku", "supplier", "round", "order_day", "arrival_day", "quantity", "packs"]


def _orders_frame(p: Problem, units: np.ndarray) -> pd.DataFrame:
    """Orders of a ``(sku, round)`` unit array in the columns of ``PlanResult.orders``."""
    i, r = np.nonzero(units > 0)
    sup = p.sku_supplier[i]
    order_day = np.asarray(p.rounds, dtype=np.int64)[r]
    q = np.asarray(units)[i, r].astype(np.int64)
    return pd.DataFrame(
        {
            "sku": np.asarray(p.skus.ids, dtype=object)[i],
            "supplier": np.asarray(p.suppliers.ids, dtype=object)[sup],
            "round": r + 1,
            "order_day": order_day,
            "arrival_day": order_day + np.asarray(p.suppliers.lead_time_days)[sup],
            "quantity": q,
            "packs": q // np.asarray(p.skus.pack_size)[i],
        },
        columns=_ORDER_COLUMNS,
    )


def validate_fixed(problem: Problem, fixed: dict[tuple[int, int], int] | None) -> None:
    """Check orders already placed against what the planner can keep.

    Parameters
    ----------
    problem : Problem
        The campaign the orders belong to.
    fixed : dict, optional
        ``(sku index, round index) -> packs`` already placed.

    Raises
    ------
    InputError
        For an entry that names no SKU or round, is not a whole number of packs >= 0, is above
        0 but below the SKU's MOQ (in whole packs), orders in a round that cannot arrive within
        the campaign, or places a lock-round order below the lock. The message names the SKU,
        its supplier, the round and what would be valid.
    """
    if not fixed:
        return
    N, R = len(problem.skus), len(problem.rounds)
    lock = problem.lock_units()
    ids = problem.skus.ids
    sup_ids = problem.suppliers.ids
    for key, packs in fixed.items():
        ok_key = (
            isinstance(key, tuple)
            and len(key) == 2
            and all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in key)
            and 0 <= key[0] < N
            and 0 <= key[1] < R
        )
        if not ok_key:
            raise InputError(
                f"fixed orders are keyed (sku index 0..{N - 1}, round index 0..{R - 1}).",
                column="fixed",
                value=key,
            )
        i, r = int(key[0]), int(key[1])
        if isinstance(packs, bool) or not isinstance(packs, int | np.integer) or packs < 0:
            raise InputError(
                f"sku {ids[i]!r} round {r}: a placed order is a whole number of packs >= 0.",
                column="fixed",
                value=packs,
            )
        s = int(problem.sku_supplier[i])
        pack = int(problem.skus.pack_size[i])
        moq_packs = math.ceil(float(problem.skus.moq[i]) / pack - 1e-9)
        if 0 < packs < moq_packs:
            raise InputError(
                f"sku {ids[i]!r} (supplier {sup_ids[s]!r}) round {r}: a placed order of "
                f"{int(packs)} packs ({int(packs) * pack} units) is below the MOQ of "
                f"{problem.skus.moq[i]:g} units; valid: 0 packs or at least {moq_packs} packs "
                f"({moq_packs * pack} units).",
                column="fixed",
                value=packs,
            )
        if packs > 0 and problem.arrival_day(problem.rounds[r], s) > problem.n_days:
            raise InputError(
                f"sku {ids[i]!r} round {r}: an order on day {problem.rounds[r]} arrives after "
                "the campaign; it cannot have been placed.",
                column="fixed",
                value=packs,
            )
        units = int(packs) * int(problem.skus.pack_size[i])
        if r == 0 and units < lock[i]:
            raise InputError(
                f"sku {ids[i]!r}: the lock-round order placed ({units} units) is below the lock "
                f"({lock[i]} units). Give the lock that applied when it was placed with "
                "Problem(lock=...).",
                column="fixed",
                value=packs,
            )


@dataclass(frozen=True, eq=False)
class _PartOutcome:
    """What one subproblem's build and solve sends back to :func:`solve_stochastic`."""

    n_vars: int
    n_rows: int
    status: Status
    bound: float | None
    solver: str
    message: str
    plans: tuple[PlanArrays, ...] | None
    objective: float | None = None

    @property
    def failed(self) -> bool:
        """No plan without a proof of infeasibility (a limit or a solver error)."""
        return self.plans is None and self.status is not Status.INFEASIBLE

    def why(self) -> str:
        """``STATUS (solver message)``."""
        return f"{self.status.value} ({self.message})"


def _solve_part(
    sub: Problem,
    stage: int,
    fixed: dict[tuple[int, int], int] | None,
    risk: Risk,
    formulation: str,
    solver: str,
    options: SolveOptions,
) -> _PartOutcome:
    """Build and solve one subproblem; its scenario plans, or None without a solution.

    ``options.time_limit`` covers building the model too: the build time comes out of the
    solver's limit (:func:`~presale_supply.replenishment.solve.solver_time_limit`).
    """
    t0 = time.perf_counter()
    sf = build_scenario_formulation(
        sub, stage=stage, fixed=fixed, risk=risk, formulation=formulation
    )
    options = dataclasses.replace(options, time_limit=solver_time_limit(options.time_limit, t0))
    raw = run_backend(get_backend(solver), sf.model, options)
    plans = None
    status = raw.status
    if raw.status.has_solution and raw.x is not None:
        lock = sub.lock_units()
        plans = tuple(
            extract_plan(scenario_problem(sub, s, lock), view, raw.x)
            for s, view in enumerate(sf.views)
        )
    elif raw.status.has_solution:  # a solved status without values: no plan to use
        status = Status.ERROR
    return _PartOutcome(
        sf.model.n_vars,
        sf.model.n_rows,
        status,
        raw.bound,
        raw.solver,
        raw.message,
        plans,
        raw.objective,
    )


def _solve_again(tasks: list[Partition], executor: Executor | None) -> list[_PartOutcome]:
    """Run ``tasks`` once more: on ``executor`` if it still takes work, else in this process
    (as :func:`~presale_supply.replenishment.decompose.solve_by_supplier` retries)."""
    if executor is not None:
        try:
            return run_partitions(_solve_part, tasks, executor)
        except RuntimeError:  # shut down or broken (BrokenExecutor is a RuntimeError)
            pass
    return run_partitions(_solve_part, tasks, None)


def _check_numbers(
    problem: Problem, stage: Any, time_limit: Any, threads: Any, seed: Any, gap: Any
) -> None:
    """Raise :class:`~presale_supply.exceptions.InputError` for a numeric argument of
    :func:`solve_stochastic` outside its range, before any model is built."""

    def whole(v: Any) -> bool:  # a Python int, as SolveOptions and the formulation require
        return isinstance(v, int) and not isinstance(v, bool)

    def number(v: Any) -> bool:
        return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)

    R = len(problem.rounds)
    if not (whole(stage) and 0 <= stage < R):
        raise InputError(f"stage must be a round index 0..{R - 1}.", column="stage", value=stage)
    check_time_limit(time_limit)
    if not (whole(threads) and threads >= 1):
        raise InputError("threads must be a whole number >= 1.", column="threads", value=threads)
    if not whole(seed):
        raise InputError("seed must be a whole number.", column="seed", value=seed)
    if not (number(gap) and 0 <= gap < 1):
        raise InputError("gap must be a relative gap in [0, 1).", column="gap", value=gap)


def solve_stochastic(
    problem: Problem,
    solver: str = "cpsat",
    *,
    stage: int = 0,
    fixed: dict[tuple[int, int], int] | None = None,
    risk: Risk | None = None,
    time_limit: float | None = 60.0,
    threads: int = 1,
    seed: int = 0,
    gap: float = 1e-4,
    formulation: str = "aggregate",
    decompose: bool | None = None,
    log: bool = False,
    executor: Executor | None = None,
) -> StochasticResult:
    """Plan ``problem`` over its demand scenarios (two-stage: rounds ``0 .. stage`` now).

    Parameters
    ----------
    problem : Problem
        ``problem.demand`` holds the scenarios and their weights (e.g. from
        :func:`presale_supply.forecast.to_planner_scenarios`); one scenario gives the
        deterministic plan.
    solver : str
        Any planner backend; CVaR needs an LP-based one (``"highs"``, ``"scip"``, ``"cbc"``).
        ``"auto"``: CP-SAT, or HiGHS when ``risk`` asks for CVaR or quantities are continuous.
    stage : int
        Last round decided now (0: the lock round).
    fixed : dict, optional
        ``(sku index, round index) -> packs`` already placed (kept as they are).
    risk : Risk, optional
        Service level, chance constraint, CVaR.
    time_limit, threads, seed, gap, log
        As in :func:`presale_supply.solve`.
    formulation : {"aggregate", "facility_location"}
    decompose : bool, optional
        Solve one subproblem per supplier (exact without budget or storage, and without CVaR,
        which couples suppliers); default: when possible.
    executor : concurrent.futures.Executor, optional
        Build and solve the per-supplier subproblems concurrently on it (a process pool such as
        :func:`presale_supply.parallel.default_executor`, or a Dask ``distributed`` client's
        ``get_executor()``); the merge and every check stay in this process. Each subproblem
        keeps its share of ``time_limit``. Default: one after the other in this process.

    Returns
    -------
    StochasticResult
        OPTIMAL only when every subproblem is proven optimal and the merged gap is within
        ``gap``. A subproblem that ends without a plan and without a proof of infeasibility (a
        limit, a solver error) is solved once more with the same options (on the executor if
        it still takes work, else in this process), as
        :func:`~presale_supply.replenishment.decompose.solve_by_supplier` does; the message
        names every subproblem retried or failed by its supplier(s) (``"whole problem"``
        when it is not split) with the solver's words.

    Raises
    ------
    InputError
        ``stage`` not a round index, ``time_limit`` not > 0 (or None), ``threads`` not a whole
        number >= 1, ``seed`` not a whole number, ``gap`` outside [0, 1), or a bad ``fixed``
        entry (:func:`validate_fixed`).
    PlanCheckError
        If a solver's plan fails the independent checks (never returned).
    """
    t0 = time.perf_counter()
    _check_numbers(problem, stage, time_limit, threads, seed, gap)
    risk = risk or Risk()
    if solver.strip().lower() == "auto":
        continuous = risk.cvar_weight > 0 or not problem.policy.integer_quantities
        solver = "highs" if continuous else "cpsat"
    validate_fixed(problem, fixed)
    couples = risk.cvar_weight > 0
    if decompose is None:
        decompose = decomposable(problem) and not couples
    parts = (
        [(idx, sub) for _, idx, sub in split_by_supplier(problem)]
        if decompose and decomposable(problem) and not couples
        else [(np.arange(len(problem.skus)), problem)]
    )
    findings = precheck(problem)
    backend = get_backend(solver)
    if findings:
        return StochasticResult(
            Status.INFEASIBLE, None, None, None, None, backend.version(),
            time.perf_counter() - t0, "infeasible by the pre-check: " + " ".join(findings),
            problem, stage,
        )  # fmt: skip
    n_all = len(problem.skus)
    S = problem.demand.n_scenarios
    pieces: list[list[tuple[np.ndarray, PlanArrays]]] = [[] for _ in range(S)]
    bounds: list[float | None] = []
    statuses: list[Status] = []
    messages: list[str] = []
    size: dict[str, Any] = {"variables": 0, "rows": 0, "scenarios": S, "subproblems": len(parts)}
    solver_name = backend.version()
    tasks = []
    for idx, sub in parts:
        local_fixed = None
        if fixed:
            pos = {int(g): k for k, g in enumerate(idx.tolist())}
            local_fixed = {(pos[i], r): v for (i, r), v in fixed.items() if i in pos}
        share = None if time_limit is None else max(1.0, time_limit * len(idx) / n_all)
        options = SolveOptions(time_limit=share, threads=threads, seed=seed, gap=gap, log=log)
        ids = [str(sub.suppliers.ids[k]) for k in np.unique(sub.sku_supplier).tolist()]
        name = f"supplier {', '.join(ids)}" if len(parts) > 1 else "whole problem"
        tasks.append(Partition(name, (sub, stage, local_fixed, risk, formulation, solver, options)))
    outs = run_partitions(_solve_part, tasks, executor)
    # one retry of a subproblem that ended without a plan and without a proof of
    # infeasibility (a limit or a solver error), with the same options, as decompose.py does
    again = [k for k, out in enumerate(outs) if out.failed]
    first = {k: outs[k] for k in again}
    if again:
        for k, out in zip(again, _solve_again([tasks[k] for k in again], executor), strict=True):
            outs[k] = out
    for k, ((idx, _), out) in enumerate(zip(parts, outs, strict=True)):
        name = tasks[k].name
        if k in first:
            if out.failed:
                messages.append(f"{name} failed twice: {first[k].why()}; then {out.why()}")
            else:
                messages.append(f"{name}: retried after {first[k].why()}")
        size["variables"] += out.n_vars
        size["rows"] += out.n_rows
        solver_name = out.solver
        statuses.append(out.status)
        bound = out.bound
        if out.status is Status.OPTIMAL and bound is None:
            bound = out.objective  # proven optimal (within gap) and no separate bound reported
        bounds.append(bound)
        if out.plans is None:
            if k not in first:
                messages.append(f"{name}: {out.why()}")
            continue
        for s, plan in enumerate(out.plans):
            pieces[s].append((idx, plan))
    seconds = time.perf_counter() - t0
    if any(not st.has_solution for st in statuses):
        failed = [st for st in statuses if not st.has_solution]
        worst = next(
            (st for st in (Status.INFEASIBLE, Status.ERROR) if st in failed), failed[0]
        )  # a proof of infeasibility first, then a solver error
        return StochasticResult(
            worst, None, None, None, None, solver_name, seconds,
            f"{S} scenarios, {len(parts)} subproblem(s); no plan: " + "; ".join(messages),
            problem, stage, model_size=size,
        )  # fmt: skip
    plans = tuple(merge_plans(problem, pieces[s]) for s in range(S))
    bad, reports = check_scenario_plans(problem, plans, stage=stage, fixed=fixed, risk=risk)
    if bad:
        raise PlanCheckError(
            f"the scenario plans from {solver_name} fail the independent check "
            f"({len(bad)} violations); they are not returned.",
            bad,
        )
    costs = np.array([rep.costs["total"] for rep in reports])
    w = problem.demand.weights
    expected = float(w @ costs)
    objective = expected
    if couples:
        lam = risk.cvar_weight
        objective = (1 - lam) * expected + lam * cvar(costs, w, risk.cvar_alpha)
    bound = (
        None if any(b is None for b in bounds) else float(sum(b for b in bounds if b is not None))
    )
    if bound is not None and bound > objective and bound - objective <= 1e-6 * max(1, objective):
        bound = objective
    g = relative_gap(objective, bound)
    status = Status.OPTIMAL if all(st is Status.OPTIMAL for st in statuses) else Status.FEASIBLE
    message = "; ".join([f"{S} scenarios, {len(parts)} subproblem(s)", *messages])
    if status is Status.OPTIMAL and g is None:  # no bound: nothing proves the plan optimal
        status = Status.FEASIBLE
        message += "; no bound reported, so optimality is not proven"
    elif status is Status.OPTIMAL and g is not None and g > gap + 1e-9:
        status = Status.FEASIBLE
        message += f"; stopped at a gap of {g:.3%}, above the tolerance {gap:g}"
    return StochasticResult(
        status=status,
        objective=objective,
        expected_cost=expected,
        bound=bound,
        gap=g,
        solver=solver_name,
        seconds=time.perf_counter() - t0,
        message=message,
        problem=problem,
        stage=stage,
        plans=plans,
        scenario_costs=costs,
        model_size=size,
    )
