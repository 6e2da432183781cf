r"""The staged replenishment mixed-integer program, built solver-neutrally.

Notation (see ``docs/model.md``): SKUs :math:`i`, each bought from one supplier :math:`s(i)`;
campaign days :math:`t = 1..T`; order rounds :math:`r` with order day :math:`o_r`. Supplier
:math:`s` has lead time :math:`L_s`, so an order of round :math:`r` arrives on
:math:`a_{ir} = o_r + L_{s(i)}` (an arrival before day 1 is stock on day 1; a round whose arrival
would fall after day :math:`T` is not offered) and is made on the production days
:math:`W_{ir} = \{o_r, \dots, o_r + \max(L_s, 1) - 1\}`.

Variables (all integer):

- :math:`n_{ir} \ge 0` packs ordered, :math:`y_{ir} \in \{0,1\}` order placed;
- :math:`p_{irt} \ge 0` units made on day :math:`t \in W_{ir}` (only when
  :math:`|W_{ir}| > 1`; otherwise the whole order is made on :math:`o_r`);
- :math:`I_{it} \ge 0` units on hand at the end of day :math:`t`; :math:`v_{it}` units sold
  (:math:`0 \le v_{it} \le d_{it}`; fixed to :math:`d_{it}` without shortage); with backlog,
  :math:`B_{it} \ge 0` units waiting instead of :math:`v`.

Constraints:

(1) balance, lost sales: :math:`I_{it} = I_{i,t-1} + P_i \sum_{r: a_{ir} = t} n_{ir} - v_{it}`,
    :math:`I_{i0} = I^0_i`; with backlog:
    :math:`I_{it} - B_{it} = I_{i,t-1} - B_{i,t-1} + P_i \sum_{r: a_{ir}=t} n_{ir} - d_{it}` and
    :math:`B_{it} \le B_{i,t-1} + d_{it}` (deliveries are never negative).
(2) production: :math:`\sum_{t \in W_{ir}} p_{irt} = P_i n_{ir}`.
(3) capacity with buffer: for every supplier :math:`s` and day :math:`t`,
    :math:`\sum_{i: s(i)=s} \big(b_i \sum_{r: t \in W_{ir}} p_{irt}
    + g_i \sum_{r: o_r = t} y_{ir}\big) \le \bar C_{st}` where
    :math:`\bar C_{st} = \lfloor (1-\beta) C_{st} \rfloor` under a capacity-guarantee agreement
    and :math:`C_{st}` otherwise.
(4) lock: :math:`P_i n_{i r_0} \ge \lceil \lambda D_i \rceil` rounded up to whole packs, with
    :math:`D_i = \sum_t E[d_{it}]` and :math:`r_0` the first round.
(5) order link with the tightest valid big-M: :math:`n_{ir} \le M_{ir} y_{ir}`,
    :math:`M_{ir} = \min(M^{cap}_{ir}, M^{dem}_{ir})` where
    :math:`M^{cap}_{ir} = \lfloor (\sum_{t \in W_{ir}} \bar C_{st} - g_i) / (b_i P_i) \rfloor`
    and :math:`M^{dem}_{ir} = \lceil \sum_{t \ge a_{ir}} d_{it} / P_i \rceil` (all demand with
    backlog), raised to the lock and MOQ when those are larger. The demand limit is valid when
    the clearance price does not exceed the unit cost (extra units then never pay); otherwise it
    is not used.
(6) MOQ: :math:`n_{ir} \ge \lceil q_i / P_i \rceil y_{ir}`.
(7) facility-location strengthening (``formulation="facility_location"``; lost sales and no
    shortage): :math:`z_{iru} \ge 0` units of order :math:`(i,r)` sold on day
    :math:`u \ge a_{ir}` and :math:`w_{iu}` units of initial stock sold on day :math:`u`, with
    :math:`z_{iru} \le d_{iu} y_{ir}`, :math:`\sum_u z_{iru} \le P_i n_{ir}`,
    :math:`\sum_u w_{iu} \le I^0_i`, :math:`w_{iu} \le d_{iu}` and
    :math:`v_{iu} \le w_{iu} + \sum_{r: a_{ir} \le u} z_{iru}`. Every plan of the aggregate model
    satisfies them (allocate sales to batches first in, first out), so the optimum is unchanged,
    but the LP bound becomes that of the plant-location model. :math:`z, w` are continuous (they
    take whole values at an optimum; CP-SAT declares them integer).
(8) optional storage :math:`\sum_i I_{it} \le S` and budget
    :math:`\sum_{i,r} c_i P_i n_{ir} \le \text{budget}`.

Objective (minimise): purchase :math:`\sum c_i P_i n_{ir}` + fixed order cost
:math:`\sum (F_{s(i)} + f_i) y_{ir}` + holding :math:`\sum h_i I_{it}` + shortage
:math:`\sum \pi_i (d_{it} - v_{it})` (with backlog: :math:`\sum_t \kappa_i B_{it} + \pi_i B_{iT}`)
- clearance revenue :math:`\sum_i \gamma_i I_{iT}`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from presale_supply.data import Problem, Shortage
from presale_supply.exceptions import InputError
from presale_supply.milp import MILP, MILPBuilder

__all__ = [
    "FORMULATIONS",
    "Formulation",
    "Risk",
    "ScenarioFormulation",
    "build_formulation",
    "build_scenario_formulation",
]

#: Formulation names accepted by :func:`build_formulation`.
FORMULATIONS = ("aggregate", "facility_location", "aggregate_ls")


@dataclass(frozen=True, eq=False)
class Formulation:
    """A built model plus the maps from model variables back to plan quantities.

    Attributes
    ----------
    model : MILP
    order_sku, order_round : ndarray (K,)
        SKU index and round index (into ``problem.rounds``) of each offered order.
    order_n, order_y : ndarray (K,)
        Variable index of packs and of the order binary.
    big_m : ndarray (K,)
        The big-M (packs) of each order (-1: none); whole unless quantities are continuous.
    prod_order, prod_day, prod_var : ndarray (J,)
        Production variables: order position, day, variable index (``-1``: the order is made in
        full on its order day, no variable).
    inv, sold, back : ndarray (N, T)
        Variable index of on-hand, sold and backlog per SKU and day (``-1`` where absent).
    cap_rows : dict
        ``(supplier, day) -> row index`` of capacity rows.
    lock_rows : dict
        ``sku -> row index`` of lock rows.
    elastic : ndarray
        Indices of elasticity variables (only in an elastic model).
    """

    model: MILP
    order_sku: np.ndarray
    order_round: np.ndarray
    order_n: np.ndarray
    order_y: np.ndarray
    big_m: np.ndarray
    prod_order: np.ndarray
    prod_day: np.ndarray
    prod_var: np.ndarray
    inv: np.ndarray
    sold: np.ndarray
    back: np.ndarray
    cap_rows: dict[tuple[int, int], int]
    lock_rows: dict[int, int]
    elastic_vars: dict[str, tuple[int, ...]]


def _add_term(
    terms: dict[tuple[int, int], tuple[list[int], list[float]]],
    key: tuple[int, int],
    col: int,
    val: float,
) -> None:
    cols, vals = terms.setdefault(key, ([], []))
    cols.append(col)
    vals.append(val)


@dataclass(frozen=True)
class Risk:
    """Risk options of the scenario model (all off by default: minimise expected cost).

    Parameters
    ----------
    service_level : float, optional
        Per-SKU fill rate: in each scenario, units sold over the campaign are at least this
        share of the scenario's demand (lost sales only).
    chance : float
        With ``service_level``: the fill rate may be missed in scenarios of total probability
        at most ``chance`` per SKU (a chance constraint; one binary per SKU and scenario).
        0 (default) asks for it in every scenario.
    cvar_alpha : float
        Tail level of CVaR (0.9: the worst 10% of scenarios by cost).
    cvar_weight : float
        ``lambda`` in ``(1 - lambda) E[cost] + lambda CVaR_alpha(cost)``; 0 (default) is risk
        neutral. CVaR adds continuous variables, so it needs an LP-based backend (SCIP, HiGHS,
        CBC), not CP-SAT.
    """

    service_level: float | None = None
    chance: float = 0.0
    cvar_alpha: float = 0.9
    cvar_weight: float = 0.0

    def __post_init__(self) -> None:
        for name in ("chance", "cvar_weight"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0 <= v <= 1):
                raise InputError(f"{name} must be between 0 and 1.", column=name, value=v)
        if not (isinstance(self.cvar_alpha, int | float) and 0 <= self.cvar_alpha < 1):
            raise InputError(
                "cvar_alpha must be in [0, 1).", column="cvar_alpha", value=self.cvar_alpha
            )
        sl = self.service_level
        if sl is not None and not (isinstance(sl, int | float) and 0 < sl <= 1):
            raise InputError("service_level must be in (0, 1].", column="service_level", value=sl)
        if self.chance > 0 and sl is None:
            raise InputError(
                "chance needs a service_level (the probability of missing it).",
                column="chance",
                value=self.chance,
            )

    @property
    def active(self) -> bool:
        """Whether any option changes the risk-neutral model."""
        return self.service_level is not None or self.cvar_weight > 0


@dataclass(frozen=True, eq=False)
class ScenarioFormulation:
    """The scenario (extensive-form) model: one view per demand scenario.

    Orders of rounds ``0 .. stage`` are shared by every scenario (decided before the demand is
    known); later rounds, production of later rounds, inventory and sales are per scenario.
    Each view is a :class:`Formulation` of the same model restricted to one scenario, so a
    solution is turned into one plan per scenario by the deterministic plan extractor.

    Attributes
    ----------
    model : MILP
    views : tuple of Formulation
        One per scenario (``views[s].model is model``).
    stage : int
        Last shared round.
    scenario_cost : tuple of (ndarray, ndarray, float)
        Per scenario: variable indices, cost coefficients and constant of that scenario's cost
        (shared orders at full cost), for risk measures and reporting.
    """

    model: MILP
    views: tuple[Formulation, ...]
    stage: int
    scenario_cost: tuple[tuple[np.ndarray, np.ndarray, float], ...]


def build_formulation(
    problem: Problem, *, elastic: bool = False, formulation: str = "aggregate"
) -> Formulation:
    """Build the MILP of ``problem`` (equations in the module docstring).

    Parameters
    ----------
    problem : Problem
        Deterministic problem (one demand scenario).
    elastic : bool
        Build the elastic variant used to explain infeasibility: capacity, lock, storage and
        budget rows get a non-negative slack and the objective is the total slack.
    formulation : {"aggregate", "facility_location"}
        ``"facility_location"`` adds the strengthening (7) (ignored with backlog, where it is not
        valid as stated).

    Raises
    ------
    InputError
        More than one demand scenario (use the expected demand or the stochastic planner).
    """
    if problem.demand.n_scenarios != 1:
        raise InputError(
            f"the deterministic planner takes one demand scenario; got "
            f"{problem.demand.n_scenarios}. Plan on the expected demand "
            "(Demand.expected()) or use the scenario planner (presale_supply.stochastic).",
            column="scenario",
            value=problem.demand.n_scenarios,
        )
    return build_scenario_formulation(problem, elastic=elastic, formulation=formulation).views[0]


def build_scenario_formulation(
    problem: Problem,
    *,
    stage: int = 0,
    fixed: dict[tuple[int, int], int] | None = None,
    risk: Risk | None = None,
    elastic: bool = False,
    formulation: str = "aggregate",
) -> ScenarioFormulation:
    """Build the scenario model of ``problem``: expected cost over its demand scenarios.

    With one scenario this is the deterministic model of the module docstring. With several,
    the orders of rounds ``0 .. stage`` are first-stage decisions (one value for all
    scenarios), everything else is per scenario, and the objective is the probability-weighted
    cost (rows (1)-(8) hold in every scenario; the lock (4) applies to the shared first round).

    Parameters
    ----------
    problem : Problem
        Demand may have any number of scenarios (``problem.demand.weights``).
    stage : int
        Index of the last round decided now (0: only the lock round is shared).
    fixed : dict, optional
        ``(sku index, round index) -> packs`` already ordered (a rolling re-plan); those orders
        are fixed, count as placed when packs > 0, and their SKUs' lock rows are dropped (the
        lock was placed with them).
    risk : Risk, optional
        Service-level / chance constraints and CVaR (see :class:`Risk`).
    elastic, formulation
        As in :func:`build_formulation` (``elastic`` only with one scenario).
    """
    if formulation == "aggregate_ls":  # the cuts are added by replenishment.cuts
        formulation = "aggregate"
    if formulation not in FORMULATIONS:
        raise InputError(
            f"formulation must be one of {list(FORMULATIONS)}.",
            column="formulation",
            value=formulation,
        )
    n_scen = problem.demand.n_scenarios
    if elastic and n_scen != 1:
        raise InputError("the elastic model takes one demand scenario.", value=n_scen)
    if not (isinstance(stage, int) and 0 <= stage < len(problem.rounds)):
        raise InputError(
            f"stage must be a round index 0..{len(problem.rounds) - 1}.",
            column="stage",
            value=stage,
        )
    risk = risk or Risk()
    fixed = dict(fixed or {})
    sk = problem.skus
    sp = problem.suppliers
    N, T = len(sk), problem.n_days
    D = problem.demand.units
    W = problem.demand.weights
    rounds = problem.rounds
    first = problem.first_day
    limit = problem.capacity_limit()  # (S, T - first + 1)
    lock_units = problem.lock_units()
    shortage = problem.policy.shortage
    if risk.service_level is not None and shortage is not Shortage.LOST_SALES:
        raise InputError(
            "a service level needs lost sales (with backlog or no shortage every unit is "
            "eventually served).",
            column="service_level",
            value=risk.service_level,
        )
    budget = problem.policy.budget
    whole = problem.policy.integer_quantities  # False: continuous quantities (lot sizing)
    b = MILPBuilder("presale_replenishment" + ("_elastic" if elastic else ""))
    weight = 0.0 if elastic else 1.0
    suffix = np.concatenate(
        [np.cumsum(D[:, :, ::-1], axis=2)[:, :, ::-1], np.zeros((n_scen, N, 1))], axis=2
    )  # suffix[s, i, t-1] = demand of days t..T in scenario s
    suffix_max = suffix.max(axis=0)

    # per-SKU constants
    pack_all = sk.pack_size.astype(np.int64)
    moq_all = [math.ceil(float(sk.moq[i]) / int(pack_all[i]) - 1e-9) for i in range(N)]
    shared: dict[tuple[int, int], tuple[int, int, list[tuple[int, int]], float, int]] = {}
    cost_cols: list[list[int]] = [[] for _ in range(n_scen)]
    cost_vals: list[list[float]] = [[] for _ in range(n_scen)]
    cost_c0 = np.zeros(n_scen)
    shared_cost: tuple[list[int], list[float]] = ([], [])
    views: list[Formulation] = []
    _chance_rows: dict[int, tuple[list[int], list[float]]] = {}
    lock_rows: dict[int, int] = {}
    elastic_vars: dict[str, list[int]] = {"capacity": [], "lock": [], "storage": [], "budget": []}

    for sc in range(n_scen):
        d = D[sc]
        w_s = float(W[sc])
        o_sku: list[int] = []
        o_round: list[int] = []
        o_n: list[int] = []
        o_y: list[int] = []
        o_m: list[float] = []
        o_arrival: list[int] = []
        p_order: list[int] = []
        p_day: list[int] = []
        p_var: list[int] = []
        cap_terms: dict[tuple[int, int], tuple[list[int], list[float]]] = {}

        for i in range(N):
            s = int(problem.sku_supplier[i])
            pack = int(pack_all[i])
            unit_cap = float(sk.capacity_per_unit[i])
            setup_cap = float(sk.capacity_per_order[i])
            moq_packs = moq_all[i]
            for r, o in enumerate(rounds):
                arrival = problem.arrival_day(o, s)
                if arrival > T:
                    continue
                days = list(problem.production_days(o, s))
                is_shared = r <= stage
                prod: list[tuple[int, int]]
                if is_shared and (i, r) in shared:
                    n, y, prod, big_m_i, arr = shared[(i, r)]
                else:
                    lock_packs = lock_units[i] // pack if r == 0 and (i, 0) not in fixed else 0
                    m_cap = math.inf
                    if unit_cap > 0:
                        room = sum(limit[s, t - first] for t in days) - setup_cap
                        most = room / (unit_cap * pack)  # whole packs: round down
                        m_cap = max(math.floor(most + 1e-9) if whole else most, 0)
                    elif setup_cap > limit[s, o - first] + 1e-9:
                        m_cap = 0
                    m_dem = math.inf
                    if sk.clearance_price[i] <= sk.unit_cost[i] + 1e-12:
                        src = suffix_max if is_shared else suffix[sc]
                        if shortage is Shortage.BACKLOG:
                            dem = float(src[i, 0])
                        else:
                            dem = float(src[i, max(arrival, 1) - 1])
                        m_dem = max(math.ceil(dem / pack - 1e-9), moq_packs, lock_packs)
                    if budget is not None and sk.unit_cost[i] > 0:
                        m_dem = min(m_dem, math.floor(budget / (sk.unit_cost[i] * pack) + 1e-9))
                    big_m = min(m_cap, m_dem)
                    if elastic:  # capacity may be exceeded: only the demand limit bounds M
                        big_m = max(m_dem, lock_packs, moq_packs, 1)
                    placed = fixed.get((i, r))
                    if placed is not None:
                        big_m = max(big_m, placed) if math.isfinite(big_m) else big_m
                    w_o = weight * (1.0 if is_shared else w_s)
                    ub_n = big_m if math.isfinite(big_m) else np.inf
                    lb_n = 0.0
                    if placed is not None:
                        lb_n = ub_n = float(placed)
                    unit_cost = float(sk.unit_cost[i] * pack)
                    n = int(b.add_vars(1, lb=lb_n, ub=ub_n, integer=whole, cost=w_o * unit_cost)[0])
                    fixed_cost = float(sp.fixed_order_cost[s] + sk.order_cost[i])
                    y_lb = y_ub = None
                    if placed is not None:
                        y_lb = y_ub = 1.0 if placed > 0 else 0.0
                    y = int(
                        b.add_vars(
                            1,
                            lb=0.0 if y_lb is None else y_lb,
                            ub=1.0 if y_ub is None else y_ub,
                            integer=True,
                            cost=w_o * fixed_cost,
                        )[0]
                    )
                    if math.isfinite(big_m):
                        b.add_row([n, y], [1.0, -float(big_m)], hi=0.0, name=f"link[{i},{r}]")
                    else:  # no finite M: a huge M keeps y meaningful for fixed costs
                        b.add_row([n, y], [1.0, -1e9], hi=0.0, name=f"link[{i},{r}]")
                    if moq_packs > 0:
                        b.add_row([n, y], [1.0, -float(moq_packs)], lo=0.0, name=f"moq[{i},{r}]")
                    prod = []
                    if len(days) > 1:
                        ub_p = pack * big_m if math.isfinite(big_m) else np.inf
                        pv = b.add_vars(len(days), ub=ub_p, integer=whole)
                        b.add_row(
                            [*pv.tolist(), n],
                            [1.0] * len(days) + [-float(pack)],
                            lo=0.0,
                            hi=0.0,
                            name=f"make[{i},{r}]",
                        )
                        prod = list(zip(days, pv.tolist(), strict=True))
                    big_m_i = float(big_m) if math.isfinite(big_m) else -1.0
                    arr = max(arrival, 1)
                    tgt = shared_cost if is_shared else (cost_cols[sc], cost_vals[sc])
                    tgt[0].extend([n, y])
                    tgt[1].extend([unit_cost, fixed_cost])
                    if is_shared:
                        shared[(i, r)] = (n, y, prod, big_m_i, arr)
                k = len(o_sku)
                o_sku.append(i)
                o_round.append(r)
                o_n.append(n)
                o_y.append(y)
                o_m.append(big_m_i)
                o_arrival.append(arr)
                if setup_cap > 0:
                    _add_term(cap_terms, (s, o), y, setup_cap)
                if not prod:
                    p_order.append(k)
                    p_day.append(days[0])
                    p_var.append(-1)
                    if unit_cap > 0:
                        _add_term(cap_terms, (s, o), n, unit_cap * pack)
                else:
                    for t, v in prod:
                        p_order.append(k)
                        p_day.append(t)
                        p_var.append(v)
                        if unit_cap > 0:
                            _add_term(cap_terms, (s, t), v, unit_cap)

        order_sku = np.asarray(o_sku, dtype=np.int64)
        order_n = np.asarray(o_n, dtype=np.int64)
        arrival_arr = np.asarray(o_arrival, dtype=np.int64)

        # ---- inventory, sales, backlog ------------------------------------------------------
        inv = np.full((N, T), -1, dtype=np.int64)
        sold = np.full((N, T), -1, dtype=np.int64)
        back = np.full((N, T), -1, dtype=np.int64)
        m_arr = np.asarray(o_m, dtype=float)
        m_arr[m_arr < 0] = np.inf
        ws = weight * w_s
        for i in range(N):
            mask = order_sku == i
            packs_max = float(np.sum(m_arr[mask]) * sk.pack_size[i])
            inv_ub = float(sk.initial_stock[i]) + packs_max
            hold = np.full(T, float(sk.holding_cost[i]))
            hold[-1] -= float(sk.clearance_price[i])
            inv[i] = b.add_vars(T, ub=inv_ub, integer=whole, cost=ws * hold)
            cost_cols[sc].extend(inv[i].tolist())
            cost_vals[sc].extend(hold.tolist())
            if shortage is Shortage.BACKLOG:
                cost = np.full(T, float(sk.backlog_cost[i]))
                cost[-1] += float(sk.shortage_penalty[i])
                back[i] = b.add_vars(T, ub=float(d[i].sum()), integer=whole, cost=ws * cost)
                cost_cols[sc].extend(back[i].tolist())
                cost_vals[sc].extend(cost.tolist())
            else:
                lo = d[i].astype(float) if shortage is Shortage.NONE else 0.0
                pen = float(sk.shortage_penalty[i])
                sold[i] = b.add_vars(T, lb=lo, ub=d[i].astype(float), integer=whole, cost=-ws * pen)
                cost_cols[sc].extend(sold[i].tolist())
                cost_vals[sc].extend([-pen] * T)
                c0 = pen * float(d[i].sum())
                b.c0 += ws * c0
                cost_c0[sc] += c0
            arrivals_by_day: dict[int, list[int]] = {}
            for k in np.flatnonzero(mask).tolist():
                arrivals_by_day.setdefault(int(arrival_arr[k]), []).append(int(order_n[k]))
            pack_f = float(sk.pack_size[i])
            for t in range(1, T + 1):
                cols = [int(inv[i, t - 1])]
                vals = [1.0]
                if t > 1:
                    cols.append(int(inv[i, t - 2]))
                    vals.append(-1.0)
                for n in arrivals_by_day.get(t, []):
                    cols.append(n)
                    vals.append(-pack_f)
                rhs = float(sk.initial_stock[i]) if t == 1 else 0.0
                if shortage is Shortage.BACKLOG:
                    cols.append(int(back[i, t - 1]))
                    vals.append(-1.0)
                    if t > 1:
                        cols.append(int(back[i, t - 2]))
                        vals.append(1.0)
                    rhs -= float(d[i, t - 1])
                    # backlog grows only by new demand (no negative deliveries)
                    grow_c = [int(back[i, t - 1])] + ([int(back[i, t - 2])] if t > 1 else [])
                    b.add_row(
                        grow_c,
                        [1.0, -1.0][: len(grow_c)],
                        hi=float(d[i, t - 1]),
                        name=f"backlog_growth[{i},{t}]",
                    )
                else:
                    cols.append(int(sold[i, t - 1]))
                    vals.append(1.0)
                b.add_row(cols, vals, lo=rhs, hi=rhs, name=f"balance[{i},{t}]")

        # ---- facility-location strengthening (7) --------------------------------------------
        if formulation == "facility_location" and shortage is not Shortage.BACKLOG:
            serve: dict[tuple[int, int], list[int]] = {}
            for k in range(len(o_sku)):
                i, a = int(order_sku[k]), int(arrival_arr[k])
                fl_days = [u for u in range(a, T + 1) if d[i, u - 1] > 0]
                if not fl_days:
                    continue
                z = b.add_vars(
                    len(fl_days),
                    ub=d[i, np.asarray(fl_days) - 1].astype(float),
                    implied_integer=whole,
                )
                y = o_y[k]
                for u, zv in zip(fl_days, z.tolist(), strict=True):
                    b.add_row([zv, y], [1.0, -float(d[i, u - 1])], hi=0.0, name=f"fl[{i},{k},{u}]")
                    serve.setdefault((i, u), []).append(zv)
                b.add_row(
                    [*z.tolist(), int(order_n[k])],
                    [1.0] * len(fl_days) + [-float(sk.pack_size[i])],
                    hi=0.0,
                    name=f"flsum[{i},{k}]",
                )
            for i in range(N):
                init = float(sk.initial_stock[i])
                wv = None
                if init > 0:
                    wv = b.add_vars(T, ub=d[i].astype(float), implied_integer=whole)
                    b.add_row(wv, np.ones(T), hi=init, name=f"flinit[{i}]")
                for u in range(1, T + 1):
                    if d[i, u - 1] == 0:
                        continue
                    cols = [int(sold[i, u - 1]), *serve.get((i, u), [])]
                    vals = [1.0] + [-1.0] * (len(cols) - 1)
                    if wv is not None:
                        cols.append(int(wv[u - 1]))
                        vals.append(-1.0)
                    b.add_row(cols, vals, hi=0.0, name=f"flserve[{i},{u}]")

        # ---- capacity, lock, storage, budget ------------------------------------------------
        cap_rows: dict[tuple[int, int], int] = {}
        for (s, t), (cols, vals) in sorted(cap_terms.items()):
            lim = float(limit[s, t - first])
            rc, rv = list(cols), list(vals)
            if elastic:
                e = int(b.add_vars(1, cost=1.0, integer=True)[0])
                elastic_vars["capacity"].append(e)
                rc.append(e)
                rv.append(-1.0)
            cap_rows[(s, t)] = b.add_row(rc, rv, hi=lim, name=f"capacity[{sp.ids[s]},{t}]")
        if sc == 0:
            first_orders = {int(order_sku[k]): k for k in range(len(o_sku)) if o_round[k] == 0}
            for i in range(N):
                need = int(lock_units[i])
                if need <= 0 or (i, 0) in fixed:
                    continue
                k0 = first_orders.get(i)
                rc = [] if k0 is None else [int(order_n[k0])]
                rv = [] if k0 is None else [float(sk.pack_size[i])]
                if elastic:
                    e = int(b.add_vars(1, cost=1.0, integer=True)[0])
                    elastic_vars["lock"].append(e)
                    rc.append(e)
                    rv.append(1.0)
                lock_rows[i] = b.add_row(rc, rv, lo=float(need), name=f"lock[{sk.ids[i]}]")
        if problem.policy.storage_capacity is not None:
            for t in range(T):
                rc, rv = inv[:, t].tolist(), [1.0] * N
                if elastic:
                    e = int(b.add_vars(1, cost=1.0, integer=True)[0])
                    elastic_vars["storage"].append(e)
                    rc.append(e)
                    rv.append(-1.0)
                b.add_row(
                    rc, rv, hi=float(problem.policy.storage_capacity), name=f"storage[{t + 1}]"
                )
        if budget is not None and o_n:
            rc = list(o_n)
            rv = [float(sk.unit_cost[o_sku[k]] * sk.pack_size[o_sku[k]]) for k in range(len(o_n))]
            if elastic:
                e = int(b.add_vars(1, cost=1.0, integer=True)[0])
                elastic_vars["budget"].append(e)
                rc.append(e)
                rv.append(-1.0)
            b.add_row(rc, rv, hi=float(budget), name="budget")

        # ---- service level (chance constraint) ---------------------------------------------
        if risk.service_level is not None:
            for i in range(N):
                total = float(d[i].sum())
                need_sl = math.ceil(risk.service_level * total - 1e-9)
                if need_sl <= 0:
                    continue
                cols = sold[i].tolist()
                vals = [1.0] * T
                if risk.chance > 0:  # may be missed (zc = 1) in scenarios of weight <= chance
                    zc = int(b.add_vars(1, ub=1.0, integer=True)[0])
                    cols.append(zc)
                    vals.append(float(need_sl))
                    serve_rows = _chance_rows.setdefault(i, ([], []))
                    serve_rows[0].append(zc)
                    serve_rows[1].append(w_s)
                b.add_row(cols, vals, lo=float(need_sl), name=f"service[{sc},{sk.ids[i]}]")

        views.append(
            Formulation(
                model=None,  # type: ignore[arg-type]  # set below, once the model is built
                order_sku=order_sku,
                order_round=np.asarray(o_round, dtype=np.int64),
                order_n=order_n,
                order_y=np.asarray(o_y, dtype=np.int64),
                big_m=np.asarray(o_m, dtype=float),
                prod_order=np.asarray(p_order, dtype=np.int64),
                prod_day=np.asarray(p_day, dtype=np.int64),
                prod_var=np.asarray(p_var, dtype=np.int64),
                inv=inv,
                sold=sold,
                back=back,
                cap_rows=cap_rows,
                lock_rows=lock_rows,
                elastic_vars={},
            )
        )

    if risk.service_level is not None and risk.chance > 0:
        # whole coefficients (CP-SAT needs them): weights as fractions over a common
        # denominator q, then sum (q w_s) z_s <= floor(q chance), exact since z is binary
        fr = [Fraction(float(w)).limit_denominator(10**6) for w in W]
        q = math.lcm(*(f.denominator for f in fr))
        exact = q <= 10**9 and all(
            abs(float(f) - float(w)) <= 1e-12 for f, w in zip(fr, W, strict=True)
        )
        for i, (zs, ws_list) in sorted(_chance_rows.items()):
            if exact:
                coef = [float(Fraction(float(w)).limit_denominator(10**6) * q) for w in ws_list]
                hi = float(math.floor(float(risk.chance) * q + 1e-9))
                b.add_row(zs, coef, hi=hi, name=f"chance[{sk.ids[i]}]")
            else:
                b.add_row(zs, ws_list, hi=float(risk.chance), name=f"chance[{sk.ids[i]}]")
    scenario_cost = tuple(
        (
            np.asarray(shared_cost[0] + cost_cols[sc], dtype=np.int64),
            np.asarray(shared_cost[1] + cost_vals[sc], dtype=float),
            float(cost_c0[sc]),
        )
        for sc in range(n_scen)
    )
    n_model_vars = b.n_vars
    lam = float(risk.cvar_weight)
    if lam > 0 and not elastic:
        eta = int(b.add_vars(1, lb=-np.inf, cost=lam)[0])
        for sc in range(n_scen):
            u = int(b.add_vars(1, cost=lam * float(W[sc]) / (1.0 - risk.cvar_alpha))[0])
            cols_s, vals_s, c0_s = scenario_cost[sc]
            b.add_row(
                [u, eta, *cols_s.tolist()],
                [1.0, 1.0, *(-vals_s).tolist()],
                lo=c0_s,
                name=f"cvar[{sc}]",
            )
    model = b.build()
    if lam > 0 and not elastic:
        cvec = model.c.copy()
        cvec[:n_model_vars] *= 1.0 - lam
        cvec.setflags(write=False)
        model = dataclasses.replace(model, c=cvec, c0=model.c0 * (1.0 - lam))
    frozen_elastic = {k: tuple(v) for k, v in elastic_vars.items()}
    return ScenarioFormulation(
        model=model,
        views=tuple(
            dataclasses.replace(v, model=model, elastic_vars=frozen_elastic) for v in views
        ),
        stage=stage,
        scenario_cost=scenario_cost,
    )
