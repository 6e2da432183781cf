"""Independent feasibility checker of a replenishment plan.

It re-derives every rule from the raw problem data (it shares no code with the formulation or any
solver): arrivals from order days and lead times, inventory balance from initial stock, sales and
arrivals, the service rule (no demand left unserved while stock is on hand), capacity with the
buffer as ``floor(capacity x (1 - buffer))``, the lock as
``ceil(lock_ratio x expected demand)`` in whole packs, packs, MOQ, non-negativity, storage and
budget, and it recomputes the objective and its parts. The planner refuses to return a plan that
fails it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from presale_supply.data import Problem, Shortage

__all__ = ["CheckReport", "PlanArrays", "check_plan"]

_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class PlanArrays:
    """The decisions of a plan, as plain arrays.

    Attributes
    ----------
    order_units : ndarray (N, R) of int
        Units ordered per SKU and round (``problem.rounds``).
    prod_sku, prod_round, prod_day, prod_units : ndarray (J,)
        Production schedule: units made per SKU, round and day.
    sold : ndarray (N, T)
        Units sold per SKU and day (with backlog: units delivered that day, old or new demand).
    on_hand : ndarray (N, T)
        Units on hand at the end of each day.
    backlog : ndarray (N, T)
        Units of demand waiting at the end of each day (zero without backlog).
    """

    order_units: np.ndarray
    prod_sku: np.ndarray
    prod_round: np.ndarray
    prod_day: np.ndarray
    prod_units: np.ndarray
    sold: np.ndarray
    on_hand: np.ndarray
    backlog: np.ndarray


@dataclass(frozen=True)
class CheckReport:
    """What the checker found.

    Attributes
    ----------
    violations : list of str
        One line per violated rule (empty when the plan is feasible).
    costs : dict
        Recomputed objective parts: purchase, fixed_order, holding, shortage, backlog,
        clearance_revenue, and ``total``.
    capacity_used : ndarray (S, D)
        Capacity units used per supplier and day (days ``first_day..T``).
    capacity_limit : ndarray (S, D)
        The limit per supplier and day (with the buffer).
    """

    violations: list[str]
    costs: dict[str, float]
    capacity_used: np.ndarray = field(repr=False)
    capacity_limit: np.ndarray = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when no rule is violated."""
        return not self.violations


def check_plan(problem: Problem, plan: PlanArrays) -> CheckReport:
    """Verify every constraint of ``plan`` against ``problem`` and recompute its cost.

    Returns
    -------
    CheckReport
        ``report.ok`` is True when the plan is feasible.
    """
    v: list[str] = []
    sk, sp = problem.skus, problem.suppliers
    N, T = len(sk), problem.n_days
    rounds = list(problem.rounds)
    R = len(rounds)
    demand = problem.demand.units[0].astype(np.int64)
    q = np.asarray(plan.order_units)
    ids = sk.ids

    def bad(msg: str) -> None:
        if len(v) < 200:
            v.append(msg)

    if q.shape != (N, R):
        bad(f"order_units has shape {q.shape}, expected {(N, R)}")
        return CheckReport(v, {}, np.zeros((0, 0)), np.zeros((0, 0)))
    for name in ("sold", "on_hand", "backlog"):
        a = np.asarray(getattr(plan, name))
        if a.shape != (N, T):
            bad(f"{name} has shape {a.shape}, expected {(N, T)}")
    if v:
        return CheckReport(v, {}, np.zeros((0, 0)), np.zeros((0, 0)))

    # ---- integrality, non-negativity, packs, MOQ --------------------------------------------
    arrays = {
        "order_units": q,
        "sold": plan.sold,
        "on_hand": plan.on_hand,
        "backlog": plan.backlog,
        "production": plan.prod_units,
    }

    def where(name: str, k: tuple[int, ...]) -> str:
        if name == "order_units":
            return f"sku {ids[k[0]]} round {k[1] + 1}"
        if name == "production":
            j = k[0]
            return (
                f"sku {ids[int(plan.prod_sku[j])]} round {int(plan.prod_round[j]) + 1} "
                f"day {int(plan.prod_day[j])}"
            )
        return f"sku {ids[k[0]]} day {k[1] + 1}"

    for name, a in arrays.items():
        a = np.asarray(a, dtype=float)
        if not a.size:
            continue
        frac = np.argwhere(np.abs(a - np.round(a)) > _TOL)
        if not problem.policy.integer_quantities:  # continuous quantities are allowed
            frac = frac[:0]
        for k in frac[:5]:
            kk = tuple(int(x) for x in k)
            bad(f"{name} of {where(name, kk)} is not a whole number: {a[kk]:g}")
        neg = np.argwhere(a < -_TOL)
        for k in neg[:5]:
            kk = tuple(int(x) for x in k)
            bad(f"{name} of {where(name, kk)} is negative: {a[kk]:g}")
    sup_of = {s: k for k, s in enumerate(sp.ids)}
    sup = np.array([sup_of[s] for s in sk.supplier], dtype=np.int64)
    lead = sp.lead_time_days.astype(np.int64)
    for i in range(N):
        pack = int(sk.pack_size[i])
        for r in range(R):
            units = int(np.rint(q[i, r])) if problem.policy.integer_quantities else q[i, r]
            if abs(units) <= _TOL:
                continue
            if problem.policy.integer_quantities and units % pack:
                bad(
                    f"sku {ids[i]} round {r + 1}: {units} units is not a whole number of packs "
                    f"of {pack}"
                )
            if units < sk.moq[i] - _TOL:
                bad(f"sku {ids[i]} round {r + 1}: {units} units is below the MOQ {sk.moq[i]:g}")
            if rounds[r] + lead[sup[i]] > T:
                bad(
                    f"sku {ids[i]} round {r + 1}: ordered on day {rounds[r]} with lead time "
                    f"{lead[sup[i]]}, it would arrive after the last day {T}"
                )

    # ---- production covers each order within its production days ----------------------------
    made = np.zeros((N, R))
    first = min(1, rounds[0])
    D = T - first + 1
    used = np.zeros((len(sp), D))
    b = sk.capacity_per_unit
    for i_, r_, t_, u_ in zip(
        plan.prod_sku.tolist(),
        plan.prod_round.tolist(),
        plan.prod_day.tolist(),
        plan.prod_units.tolist(),
        strict=True,
    ):
        if u_ == 0:
            continue
        o = rounds[r_]
        L = int(lead[sup[i_]])
        if not o <= t_ <= o + max(L, 1) - 1:
            bad(
                f"sku {ids[i_]} round {r_ + 1}: {u_:g} units made on day {t_}, outside days "
                f"{o}..{o + max(L, 1) - 1} between order and arrival"
            )
            continue
        made[i_, r_] += u_
        used[sup[i_], t_ - first] += b[i_] * u_
    diff = np.abs(made - q)
    if (diff > _TOL).any():
        i, r = np.argwhere(diff > _TOL)[0]
        bad(
            f"sku {ids[i]} round {r + 1}: production {made[i, r]:g} differs from the order "
            f"{q[i, r]:g}"
        )
    for i in range(N):
        for r in range(R):
            if q[i, r] > 0:
                used[sup[i], rounds[r] - first] += sk.capacity_per_order[i]

    # ---- capacity with buffer -----------------------------------------------------------------
    cap = np.asarray(problem.capacity, dtype=float)
    buf = problem.policy.capacity_buffer
    lim = np.where(sp.capacity_guarantee[:, None], np.floor(cap * (1 - buf) + 1e-9), cap)
    over = used - lim
    for s, t in np.argwhere(over > _TOL * np.maximum(1.0, lim)):
        bad(
            f"supplier {sp.ids[s]} day {t + first}: uses {used[s, t]:g} capacity units, limit "
            f"{lim[s, t]:g} ({'85%' if buf == 0.15 else f'{1 - buf:.0%}'} of {cap[s, t]:g})"
            if sp.capacity_guarantee[s]
            else f"supplier {sp.ids[s]} day {t + first}: uses {used[s, t]:g} > capacity "
            f"{cap[s, t]:g}"
        )

    # ---- lock ---------------------------------------------------------------------------------
    expected = np.tensordot(problem.demand.weights, problem.demand.units.astype(float), axes=1)
    for i in range(N):
        if problem.lock is not None:  # a lock set earlier (re-plan, perfect foresight)
            need_units = math.ceil(float(problem.lock[i]) - 1e-9)
            why = f"the lock given: {problem.lock[i]:g} units, in whole packs"
        else:
            need_units = math.ceil(problem.policy.lock_ratio * expected[i].sum() - 1e-9)
            if problem.policy.lock_net_of_stock:
                need_units = max(need_units - int(sk.initial_stock[i]), 0)
            why = (
                f"{problem.policy.lock_ratio:.0%} of expected demand {expected[i].sum():g}, "
                "in whole packs"
            )
        need = math.ceil(need_units / sk.pack_size[i] - 1e-9) * int(sk.pack_size[i])
        if need > 0 and q[i, 0] < need - _TOL:
            bad(
                f"sku {ids[i]}: first round orders {q[i, 0]:g} units, the lock needs {need} ({why})"
            )

    # ---- inventory balance --------------------------------------------------------------------
    arrivals = np.zeros((N, T))
    for r, o in enumerate(rounds):
        day = np.clip(o + lead[sup], 1, None)
        ok = day <= T
        arrivals[np.flatnonzero(ok), day[ok] - 1] += q[ok, r]
    sold = np.asarray(plan.sold, dtype=float)
    on_hand = np.asarray(plan.on_hand, dtype=float)
    backlog = np.asarray(plan.backlog, dtype=float)
    prev = sk.initial_stock.astype(float)
    prev_back = np.zeros(N)
    shortage = problem.policy.shortage
    owed = np.zeros(N)
    for t in range(T):
        expect = prev + arrivals[:, t] - sold[:, t]
        wrong = np.abs(expect - on_hand[:, t]) > _TOL
        for i in np.flatnonzero(wrong)[:5]:
            bad(
                f"sku {ids[i]} day {t + 1}: on hand {on_hand[i, t]:g} but start {prev[i]:g} + "
                f"arrivals {arrivals[i, t]:g} - sold {sold[i, t]:g} = {expect[i]:g}"
            )
        if shortage is Shortage.BACKLOG:
            owed = prev_back + demand[:, t]
            exp_back = owed - sold[:, t]
            wrong = (np.abs(exp_back - backlog[:, t]) > _TOL) | (sold[:, t] > owed + _TOL)
            for i in np.flatnonzero(wrong)[:5]:
                bad(
                    f"sku {ids[i]} day {t + 1}: backlog {backlog[i, t]:g} but owed "
                    f"{owed[i]:g} - sold {sold[i, t]:g}"
                )
        else:
            over_sold = sold[:, t] > demand[:, t] + _TOL
            for i in np.flatnonzero(over_sold)[:5]:
                bad(f"sku {ids[i]} day {t + 1}: sold {sold[i, t]:g} > demand {demand[i, t]}")
            if shortage is Shortage.NONE:
                for i in np.flatnonzero(sold[:, t] < demand[:, t] - _TOL)[:5]:
                    bad(
                        f"sku {ids[i]} day {t + 1}: demand {demand[i, t]} not met "
                        f"(sold {sold[i, t]:g}) but shortages are not allowed"
                    )
            if (np.abs(backlog[:, t]) > _TOL).any():
                bad(f"day {t + 1}: backlog present without the backlog policy")
        if shortage is not Shortage.NONE:
            # service rule: no customer is turned away (or kept waiting) while stock is on hand
            unmet = (
                (owed - sold[:, t]) if shortage is Shortage.BACKLOG else (demand[:, t] - sold[:, t])
            )
            refused = (unmet > _TOL) & (on_hand[:, t] > _TOL)
            for i in np.flatnonzero(refused)[:5]:
                bad(
                    f"sku {ids[i]} day {t + 1}: {unmet[i]:g} units of demand unserved while "
                    f"{on_hand[i, t]:g} are on hand"
                )
        prev = on_hand[:, t]
        prev_back = backlog[:, t]

    # ---- storage and budget -------------------------------------------------------------------
    storage = problem.policy.storage_capacity
    if storage is not None:
        tot = on_hand.sum(axis=0)
        for t in np.flatnonzero(tot > storage + _TOL)[:5]:
            bad(f"day {t + 1}: {tot[t]:g} units on hand exceed storage capacity {storage:g}")
    purchase = float((q.sum(axis=1) * sk.unit_cost).sum())
    budget = problem.policy.budget
    if budget is not None and purchase > budget * (1 + 1e-9) + _TOL:
        bad(f"purchase cost {purchase:,.2f} exceeds the budget {budget:,.2f}")

    # ---- cost -----------------------------------------------------------------------------------
    placed = q > 0
    fixed = float((placed * (sp.fixed_order_cost[sup] + sk.order_cost)[:, None]).sum())
    holding = float((on_hand * sk.holding_cost[:, None]).sum())
    if shortage is Shortage.BACKLOG:
        waiting = float((backlog * sk.backlog_cost[:, None]).sum())
        short = float((backlog[:, -1] * sk.shortage_penalty).sum())
    else:
        waiting = 0.0
        short = float(((demand - sold) * sk.shortage_penalty[:, None]).sum())
    clearance = float((on_hand[:, -1] * sk.clearance_price).sum())
    costs = {
        "purchase": purchase,
        "fixed_order": fixed,
        "holding": holding,
        "shortage": short,
        "backlog": waiting,
        "clearance_revenue": clearance,
    }
    costs["total"] = purchase + fixed + holding + short + waiting - clearance
    return CheckReport(v, costs, used, lim)
