r"""(l,S) valid inequalities, separated on the LP relaxation before the MIP solve.

For a SKU :math:`i`, a day :math:`l` and a set :math:`S` of its orders arriving by day
:math:`l`,

.. math:: \sum_{k \in S} P_i n_k \le \sum_{k \in S} D_i(a_k, l)\, y_k + I_{il},

where :math:`D_i(a, l) = \sum_{u=a}^{l} d_{iu}`. Units of an order in :math:`S` are either sold by
day :math:`l` (at most the demand from its arrival to :math:`l`, and only if it was placed) or
still on hand at the end of day :math:`l`, so every plan satisfies it (lost sales included: sales
never exceed demand). Given an LP solution, the most violated set for each :math:`(i, l)` is
:math:`S^* = \{k : P_i n^*_k > D_i(a_k, l) y^*_k\}` (Barany, Van Roy and Wolsey's separation),
which makes separation exact and linear-time. With backlog the inequality is not valid as stated
and no cuts are added.

:func:`separate_ls` runs rounds of: solve the LP relaxation with an LP-capable backend, add the
violated inequalities, until none is violated or the round limit is reached. The cuts are then
part of the model every backend solves ("added up front"), so this works with any backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from presale_supply.backends.base import SolveOptions, get_backend, run_backend
from presale_supply.data import Problem, Shortage
from presale_supply.milp import MILP
from presale_supply.replenishment.formulation import Formulation

__all__ = ["add_rows", "find_violated_ls", "separate_ls"]


def add_rows(model: MILP, rows: list[tuple[np.ndarray, np.ndarray, float]], tag: str) -> MILP:
    """A copy of ``model`` with extra rows ``sum(vals * x[cols]) <= hi``."""
    if not rows:
        return model
    lengths = np.array([len(c) for c, _, _ in rows], dtype=np.int64)
    indptr = np.concatenate([model.indptr, model.indptr[-1] + np.cumsum(lengths)])
    arrays: dict[str, Any] = {
        "indptr": indptr,
        "indices": np.concatenate([model.indices, *[c for c, _, _ in rows]]).astype(np.int64),
        "data": np.concatenate([model.data, *[v for _, v, _ in rows]]).astype(float),
        "row_lb": np.concatenate([model.row_lb, np.full(len(rows), -np.inf)]),
        "row_ub": np.concatenate([model.row_ub, [h for _, _, h in rows]]),
    }
    for a in arrays.values():
        a.setflags(write=False)
    names = model.row_names + tuple(f"{tag}[{k}]" for k in range(len(rows)))
    return MILP(
        c=model.c,
        c0=model.c0,
        lb=model.lb,
        ub=model.ub,
        integer=model.integer,
        implied_integer=model.implied_integer,
        row_names=names,
        name=model.name,
        **arrays,
    )


def find_violated_ls(
    problem: Problem, form: Formulation, x: np.ndarray, tol: float = 1e-6
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The most violated (l,S) inequality of each (SKU, day), where violated by ``x``."""
    if problem.policy.shortage is Shortage.BACKLOG:
        return []
    d = problem.demand.units[0].astype(float)
    T = problem.n_days
    cum = np.concatenate([np.zeros((d.shape[0], 1)), np.cumsum(d, axis=1)], axis=1)
    pack = problem.skus.pack_size
    lead = problem.suppliers.lead_time_days
    rounds = np.asarray(problem.rounds)
    arrival = np.maximum(rounds[form.order_round] + lead[problem.sku_supplier[form.order_sku]], 1)
    out = []
    for i in range(d.shape[0]):
        ks = np.flatnonzero(form.order_sku == i)
        if len(ks) == 0:
            continue
        units = pack[i] * x[form.order_n[ks]]
        ys = x[form.order_y[ks]]
        a = arrival[ks]
        for ell in range(1, T + 1):
            dem = cum[i, ell] - cum[i, a - 1]  # D(a_k, l); negative when a_k > l
            sel = (a <= ell) & (units > dem * ys + tol)
            if not sel.any():
                continue
            inv_l = x[form.inv[i, ell - 1]]
            lhs = units[sel].sum() - (dem[sel] * ys[sel]).sum() - inv_l
            if lhs <= tol * max(1.0, units[sel].sum()):
                continue
            cols = np.concatenate(
                [form.order_n[ks[sel]], form.order_y[ks[sel]], [form.inv[i, ell - 1]]]
            )
            vals = np.concatenate([np.full(sel.sum(), float(pack[i])), -dem[sel], [-1.0]])
            out.append((cols, vals, 0.0))
    return out


def separate_ls(
    problem: Problem,
    form: Formulation,
    *,
    lp_solver: str = "glop",
    max_rounds: int = 20,
    time_limit: float = 30.0,
) -> tuple[MILP, dict[str, float]]:
    """Add violated (l,S) inequalities found on the LP relaxation, round by round.

    Returns
    -------
    model : MILP
        ``form.model`` plus every cut found.
    stats : dict
        ``rounds``, ``cuts``, ``lp_bound_before`` and ``lp_bound_after``.
    """
    model = form.model
    backend = get_backend(lp_solver)
    stats: dict[str, float] = {"rounds": 0, "cuts": 0}
    relax_int = np.zeros(model.n_vars, dtype=bool)
    for r in range(max_rounds):
        relaxed = MILP(**{**model.__dict__, "integer": relax_int, "implied_integer": relax_int})
        raw = run_backend(backend, relaxed, SolveOptions(time_limit=time_limit))
        if raw.x is None:
            break
        if r == 0:
            stats["lp_bound_before"] = float(raw.objective or 0.0)
        stats["lp_bound_after"] = float(raw.objective or 0.0)
        cuts = find_violated_ls(problem, form, raw.x)
        if not cuts:
            break
        model = add_rows(model, cuts, f"ls{r}")
        stats["rounds"] = r + 1
        stats["cuts"] += len(cuts)
    return model, stats
