r"""Rolling re-plans on simulated campaigns, and the value of staging.

Demand model of a simulated campaign (documented in ``docs/stochastic.md``):

- each SKU has an unknown campaign level :math:`\theta_i \sim \mathrm{Gamma}(a, a)` (mean 1,
  coefficient of variation :math:`1/\sqrt a`, ``level_cv``): how much the campaign over- or
  under-sells the forecast, the uncertainty a lock is exposed to;
- daily demand :math:`d_{it} \sim \mathrm{NegBin}(\text{mean } \theta_i m_{it}, \text{shape } k)`
  around the expected profile :math:`m_{it}` (the example campaign's profile);
- deposits on the warm-up and presale days,
  :math:`D_{it} \sim \mathrm{Poisson}(\phi\, \theta_i M_i w_t)`, with :math:`M_i = \sum_t m_{it}`,
  :math:`\phi` the deposit share and :math:`w_t` the day's share of deposits.

Re-forecast at an order day :math:`o`: the forecaster's presale update
(:func:`presale_supply.forecast.presale.posterior`, deposits with
:math:`\rho(t) = \phi \sum_{u \le t} w_u`) gives the Gamma posterior of the level from the
deposits seen before :math:`o`; the demand seen on days before :math:`o` updates it again
(:math:`\alpha \mathrel{+}= \sum_{t<o} d_{it}`, :math:`\beta \mathrel{+}= \sum_{t<o} m_{it}`;
demand is taken as observed, e.g. through add-to-cart, even when a sale was lost). Scenarios draw
levels from the posterior and future days from the negative binomial; past days are the
realised demand.

Policies, on the same demand draws and the same scenario draws:

- ``up_front``: every round's quantity is decided at the lock date (the best static plan over
  the prior scenarios, no re-plan);
- ``fixed_lock``: the first round orders exactly the lock (``lock_ratio`` x expected demand, in
  packs, at least the MOQ), then each later round re-plans over scenarios from the signals
  seen so far;
- ``deterministic_lock``: the first round is the deterministic planner's first round on the
  mean of the same scenarios (at least the lock), then the same re-plans: the difference to
  ``stochastic_lock`` is the value of the stochastic solution;
- ``stochastic_lock``: the first round is the two-stage optimum over the prior scenarios (at
  least the lock), then the same re-plans;
- ``perfect_foresight``: the best plan found knowing the realised demand (with the same lock),
  solved to a relative gap of 0 within the time limit: a lower bound on every policy's cost up
  to its solver gap, which is recorded (``pf_gap`` in the runs; 0 when proven optimal).

Each campaign's orders are then evaluated on the realised demand by the planner itself (all
orders fixed, production and sales free), solved to a relative gap of 0, so every cost comes
from a checked plan and is the best recourse for those orders when that solve is proven
optimal (its gap is recorded as ``eval_gap``).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.backends.base import Status, relative_gap
from presale_supply.data import Demand, Policy, Problem
from presale_supply.exceptions import InfeasibleError, InputError, PlanCheckError, SolverError
from presale_supply.replenishment.checker import PlanArrays, check_plan
from presale_supply.stochastic.planner import StochasticResult, solve_stochastic

__all__ = [
    "POLICIES",
    "CampaignOutcome",
    "CampaignSimulator",
    "DemandModel",
    "ExampleFactory",
    "PolicyComparison",
    "Truth",
    "compare_policies",
    "simulate_campaign",
    "summarise",
]


class PolicyName(enum.StrEnum):
    """Order policies compared by :func:`compare_policies`."""

    UP_FRONT = "up_front"
    FIXED_LOCK = "fixed_lock"
    DETERMINISTIC_LOCK = "deterministic_lock"
    STOCHASTIC_LOCK = "stochastic_lock"
    PERFECT_FORESIGHT = "perfect_foresight"


#: Every policy, in report order.
POLICIES = tuple(p.value for p in PolicyName)

#: Relative gap of perfect foresight and of the evaluation of placed orders on the realised
#: demand (0: solved to proven optimality, unless the time limit stops the solve first; the
#: gap reached is recorded).
EXACT_GAP = 0.0


@dataclass(frozen=True)
class Truth:
    """One simulated campaign: levels, realised demand and deposits (arrays (N,) and (N, T))."""

    theta: np.ndarray
    demand: np.ndarray
    deposits: np.ndarray


@dataclass(frozen=True, eq=False)
class DemandModel:
    """The generative demand model of simulated campaigns (module docstring).

    Parameters
    ----------
    mean : ndarray (N, T)
        Expected daily demand at level 1.
    deposit_weight : ndarray (T,)
        Share of a SKU's deposits placed on each campaign day (0 outside warm-up and presale).
    level_cv : float
        Coefficient of variation of the campaign level (0.35).
    nb_shape : float
        Negative-binomial shape of daily demand (8; ``inf`` gives Poisson).
    deposit_share : float
        Deposits per unit of campaign demand (0.25).
    """

    mean: np.ndarray
    deposit_weight: np.ndarray
    level_cv: float = 0.35
    nb_shape: float = 8.0
    deposit_share: float = 0.25

    def __post_init__(self) -> None:
        m = np.asarray(self.mean, dtype=float)
        if m.ndim != 2 or not np.isfinite(m).all() or (m < 0).any():
            raise InputError("mean must be a finite (skus, days) array >= 0.", value=m.shape)
        w = np.asarray(self.deposit_weight, dtype=float)
        if w.shape != (m.shape[1],) or (w < 0).any():
            raise InputError("deposit_weight must be >= 0, one per day.", value=w.shape)
        if not (0 < self.level_cv < 5):
            raise InputError("level_cv must be in (0, 5).", column="level_cv", value=self.level_cv)
        if not self.nb_shape > 0 or not (self.deposit_share > 0):
            raise InputError(
                "nb_shape and deposit_share must be > 0.",
                value=(self.nb_shape, self.deposit_share),
            )
        object.__setattr__(self, "mean", m)
        object.__setattr__(self, "deposit_weight", w / w.sum() if w.sum() > 0 else w)

    @property
    def level_shape(self) -> float:
        """Gamma shape ``a = 1 / level_cv**2`` of the level prior."""
        return 1.0 / self.level_cv**2

    @classmethod
    def from_example(cls, ex: Any, **kwargs: Any) -> DemandModel:
        """The model of an :class:`~presale_supply.datasets.ExampleCampaign` (its expected
        profile; deposits on warm-up and presale days in proportion to expected demand)."""
        mean = np.asarray(ex.expected_demand, dtype=float)
        starts = ex.campaign.stage_starts()
        names = [s.name for s in ex.campaign.stages]
        after = [starts[n] for n in names if n not in ("warm-up", "presale")]
        last_dep = (min(after) - 1) if after else mean.shape[1]
        w = np.zeros(mean.shape[1])
        w[:last_dep] = mean[:, :last_dep].sum(axis=0)
        kwargs.setdefault("nb_shape", float(ex.params.nb_shape))
        kwargs.setdefault("deposit_share", float(ex.params.deposit_share))
        return cls(mean, w, **kwargs)

    def _nb(self, rng: np.random.Generator, mu: np.ndarray) -> np.ndarray:
        if math.isinf(self.nb_shape):
            return rng.poisson(mu)
        k = self.nb_shape
        return rng.poisson(rng.gamma(k, np.maximum(mu, 1e-12) / k))

    def draw(self, rng: np.random.Generator) -> Truth:
        """Draw one campaign."""
        a = self.level_shape
        N = self.mean.shape[0]
        theta = np.asarray(rng.gamma(a, 1.0 / a, size=N), dtype=float)
        demand = self._nb(rng, theta[:, None] * self.mean).astype(np.int64)
        total = self.mean.sum(axis=1)
        dep = rng.poisson(self.deposit_share * (theta * total)[:, None] * self.deposit_weight)
        return Truth(theta, demand, dep.astype(np.int64))

    def level_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Grid of levels (log-spaced, 600 points) and the prior's log weight on each."""
        cv = self.level_cv
        a = self.level_shape
        hi = 1.0 + 14.0 * cv
        lo = max(1e-4, min(0.05, 0.02 / max(cv, 1e-3)))
        theta = np.exp(np.linspace(math.log(lo), math.log(hi), 600))
        # Gamma(a, rate a) density times theta (the grid is uniform in log theta)
        logw = a * np.log(theta) - a * theta
        return theta, logw - logw.max()

    def level_posterior(self, truth: Truth, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Posterior of each SKU's level given what is seen before ``day``, on a grid.

        The observation model is the forecaster's presale layer (cumulative deposits are
        Poisson with mean ``deposit_share x theta x M x share of deposit days seen``) plus the
        daily demand seen so far, which is negative binomial; the posterior is evaluated
        exactly on :meth:`level_grid` (a Gamma-Poisson update would be over-confident, since
        daily demand is over-dispersed).

        Returns
        -------
        theta : ndarray (G,)
            Grid of levels.
        weights : ndarray (N, G)
            Posterior probabilities per SKU (rows sum to 1).
        """
        theta, logw = self.level_grid()
        N, T = self.mean.shape
        seen = max(min(day - 1, T), 0)
        logp = np.broadcast_to(logw, (N, len(theta))).copy()
        if seen > 0:
            share = float(self.deposit_weight[:seen].sum())
            if share > 0:
                lam = self.deposit_share * self.mean.sum(axis=1) * share  # per unit level
                dep = truth.deposits[:, :seen].sum(axis=1).astype(float)
                logp += dep[:, None] * np.log(theta)[None, :] - lam[:, None] * theta[None, :]
            d = truth.demand[:, :seen].astype(float)  # (N, seen)
            m = self.mean[:, :seen]
            mu = m[:, :, None] * theta[None, None, :]  # (N, seen, G)
            if math.isinf(self.nb_shape):
                logp += (d[:, :, None] * np.log(np.maximum(mu, 1e-300)) - mu).sum(axis=1)
            else:
                k = self.nb_shape
                ll = -k * np.log1p(mu / k) + d[:, :, None] * (
                    np.log(np.maximum(mu, 1e-300)) - np.log(k + mu)
                )
                logp += np.where(m[:, :, None] > 0, ll, 0.0).sum(axis=1)
        logp -= logp.max(axis=1, keepdims=True)
        w = np.exp(logp)
        return theta, w / w.sum(axis=1, keepdims=True)

    def level_quantiles(self, truth: Truth, day: int, q: Sequence[float]) -> np.ndarray:
        """Posterior quantiles of each SKU's level, shape (N, len(q))."""
        theta, w = self.level_posterior(truth, day)
        cum = np.cumsum(w, axis=1)
        return np.stack(
            [theta[np.minimum((cum < qq).sum(axis=1), len(theta) - 1)] for qq in q], axis=1
        )

    def _draw_levels(self, weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        theta, _ = self.level_grid()
        step = math.log(theta[1] / theta[0])
        cum = np.cumsum(weights, axis=1)
        u = rng.random((n, weights.shape[0]))
        idx = np.minimum((cum[None, :, :] < u[:, :, None]).sum(axis=2), len(theta) - 1)
        jitter = np.exp(step * (rng.random(idx.shape) - 0.5))  # spread within the grid cell
        return np.asarray(theta[idx] * jitter, dtype=float)

    def scenarios(
        self, truth: Truth | None, day: int, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        """``n`` demand scenarios (n, N, T) as forecast on ``day``: realised before it.

        ``truth=None`` draws from the prior (nothing seen yet).
        """
        N, T = self.mean.shape
        if truth is None:
            a = self.level_shape
            theta = rng.gamma(a, 1.0 / a, size=(n, N))
            seen = 0
        else:
            _, w = self.level_posterior(truth, day)
            theta = self._draw_levels(w, n, rng)
            seen = max(min(day - 1, T), 0)
        out = self._nb(rng, theta[:, :, None] * self.mean[None]).astype(np.int64)
        if truth is not None and seen > 0:
            out[:, :, :seen] = truth.demand[None, :, :seen]
        return out


@dataclass(frozen=True, eq=False)
class CampaignOutcome:
    """What one policy did on one simulated campaign.

    Attributes
    ----------
    policy : str
    order_units : ndarray (N, R)
        Units ordered per SKU and round.
    plan : PlanArrays
        The realised plan (production, sales, stock) on the realised demand, checked.
    cost : float
        Realised total cost (checker's).
    costs : dict
        The checker's cost breakdown.
    kpis : dict
        fill_rate, sell_through, cleared_last_days, peak_capacity_use, ...
    solves : list of dict
        Per planning call: round, status, gap, bound, seconds, scenarios (the last one is the
        evaluation on the realised demand, round ``R``).
    problem : Problem or None
        The campaign with its realised demand.
    lower_bound : float or None
        ``perfect_foresight`` only: the solver's proven lower bound on the cost of any plan on
        the realised demand with this lock, hence on every policy's realised cost (None for
        the other policies, or when the solver gave none).
    """

    policy: str
    order_units: np.ndarray
    plan: PlanArrays = field(repr=False)
    cost: float
    costs: dict[str, float]
    kpis: dict[str, float]
    solves: list[dict[str, Any]] = field(default_factory=list)
    problem: Problem | None = field(default=None, repr=False)
    lower_bound: float | None = None

    def timeline(self) -> pd.DataFrame:
        """Day by day over all SKUs: ``day, demand, sold, short, arrived, on_hand, ordered,
        paid`` (units ordered and purchase cost committed on that day's order round)."""
        if self.problem is None:
            raise ValueError("no problem attached to this outcome")
        p, a = self.problem, self.plan
        T = p.n_days
        d = p.demand.units[0]
        lead = p.suppliers.lead_time_days[p.sku_supplier]
        arrived = np.zeros(T)
        ordered: dict[int, float] = {}
        paid: dict[int, float] = {}
        cost = p.skus.unit_cost
        for r, o in enumerate(p.rounds):
            day = np.maximum(o + lead, 1)
            ok = day <= T
            np.add.at(arrived, day[ok] - 1, a.order_units[ok, r])
            ordered[o] = ordered.get(o, 0.0) + float(a.order_units[:, r].sum())
            paid[o] = paid.get(o, 0.0) + float((cost * a.order_units[:, r]).sum())
        days = np.arange(1, T + 1)
        return pd.DataFrame(
            {
                "day": days,
                "demand": d.sum(axis=0),
                "sold": a.sold.sum(axis=0),
                "short": d.sum(axis=0) - a.sold.sum(axis=0),
                "arrived": arrived,
                "on_hand": a.on_hand.sum(axis=0),
                "ordered": [ordered.get(int(t), 0.0) for t in days],
                "paid": [paid.get(int(t), 0.0) for t in days],
            }
        )


def _kpis(problem: Problem, plan: PlanArrays, used: np.ndarray) -> dict[str, float]:
    d = problem.demand.units[0]
    sold = float(plan.sold.sum())
    available = float(problem.skus.initial_stock.sum() + plan.order_units.sum())
    last = problem.campaign.stages[-1].days
    T = problem.n_days
    before = plan.on_hand[:, T - last - 1].sum() if T - last - 1 >= 0 else 0
    sold_last = float(plan.sold[:, T - last :].sum())
    arrived_last = float(
        plan.on_hand[:, -1].sum() + sold_last - before
    )  # arrivals in the last days
    in_clearance = float(before) + max(arrived_last, 0.0)
    cap = np.asarray(problem.capacity)
    util = np.divide(used, cap, out=np.zeros_like(cap), where=cap > 0)
    agree = np.asarray(problem.suppliers.capacity_guarantee, dtype=bool)
    return {
        "fill_rate": sold / float(d.sum()) if d.sum() else 1.0,
        "sell_through": sold / available if available else 0.0,
        "cleared_last_days": sold_last / in_clearance if in_clearance > 0 else 1.0,
        "peak_capacity_use": float(util[agree].max()) if agree.any() and util.size else 0.0,
        "peak_capacity_use_no_agreement": float(util[~agree].max())
        if (~agree).any() and util.size
        else 0.0,
        "left_at_end": float(plan.on_hand[:, -1].sum()),
        "units_ordered": float(plan.order_units.sum()),
    }


@dataclass
class CampaignSimulator:
    """Runs the policies on simulated campaigns of one problem (see module docstring).

    Parameters
    ----------
    problem : Problem
        The campaign: SKUs, suppliers, capacity and policy (its demand is replaced).
    model : DemandModel
    n_scenarios : int
        Scenarios per planning call (8).
    solver : str
    time_limit : float
        Seconds per planning call.
    gap : float
        Relative gap at which a re-planning call stops (1e-3). Perfect foresight and the
        evaluation of placed orders on the realised demand are solved to a gap of 0 within
        ``time_limit`` (:data:`EXACT_GAP`).
    """

    problem: Problem
    model: DemandModel
    n_scenarios: int = 8
    solver: str = "cpsat"
    time_limit: float = 10.0
    gap: float = 1e-3

    def __post_init__(self) -> None:
        if self.model.mean.shape != (len(self.problem.skus), self.problem.n_days):
            raise InputError(
                "the demand model's mean must be (skus, days) of the problem.",
                value=self.model.mean.shape,
            )
        if not (isinstance(self.n_scenarios, int) and self.n_scenarios >= 1):
            raise InputError("n_scenarios must be >= 1.", value=self.n_scenarios)

    def _with(self, units: np.ndarray, lock: np.ndarray, policy: Policy | None = None) -> Problem:
        w = np.full(units.shape[0], 1.0 / units.shape[0])
        return dataclasses.replace(
            self.problem,
            demand=Demand(units, w),
            lock=lock,
            policy=policy or dataclasses.replace(self.problem.policy, rounds=self.problem.rounds),
        )

    def lock_units(self, lock_ratio: float | None = None) -> np.ndarray:
        """The lock in units: ``lock_ratio`` x the prior expected demand (whole units; less
        initial stock with ``lock_net_of_stock``)."""
        pol = self.problem.policy
        ratio = pol.lock_ratio if lock_ratio is None else lock_ratio
        need = np.ceil(ratio * self.model.mean.sum(axis=1) - 1e-9)
        if pol.lock_net_of_stock:
            need = np.maximum(need - self.problem.skus.initial_stock, 0)
        return need

    def _solve(
        self,
        prob: Problem,
        stage: int,
        fixed: dict[tuple[int, int], int],
        log: list[Any],
        r: int,
        gap: float | None = None,
    ) -> StochasticResult:
        gap = self.gap if gap is None else gap
        res = solve_stochastic(
            prob,
            self.solver,
            stage=stage,
            fixed=fixed,
            time_limit=self.time_limit,
            gap=gap,
        )
        if not res.plans and res.status is Status.NO_SOLUTION:  # retry once, four times longer
            log.append({"round": r, "status": res.status.value, "gap": None, "bound": res.bound,
                        "seconds": res.seconds, "scenarios": prob.demand.n_scenarios})  # fmt: skip
            res = solve_stochastic(
                prob,
                self.solver,
                stage=stage,
                fixed=fixed,
                time_limit=4 * self.time_limit,
                gap=gap,
            )
        log.append(
            {
                "round": r,
                "status": res.status.value,
                "gap": res.gap,
                "bound": res.bound,
                "seconds": res.seconds,
                "scenarios": prob.demand.n_scenarios,
            }
        )
        if res.status is Status.INFEASIBLE and res.message.startswith(
            "infeasible by the pre-check"
        ):
            raise InfeasibleError(f"round {r}: no feasible plan ({res.message})")
        if res.status is Status.INFEASIBLE:  # placed orders were feasible: this is a bug
            raise SolverError(f"round {r}: infeasible after the pre-check passed ({res.message})")
        if not res.plans:
            raise SolverError(f"round {r}: no plan ({res.status.value}: {res.message})")
        return res

    def run(
        self,
        policy: str,
        truth: Truth,
        seed: int,
        *,
        lock_ratio: float | None = None,
    ) -> CampaignOutcome:
        """Run ``policy`` on the campaign ``truth``; scenario draws depend on ``seed`` and the
        round only, so every policy sees the same forecasts."""
        pol = PolicyName(policy)
        prob = self.problem
        lock = self.lock_units(lock_ratio)
        N, R = len(prob.skus), len(prob.rounds)
        pack = prob.skus.pack_size
        moq_packs = np.ceil(prob.skus.moq / pack - 1e-9).astype(np.int64)
        fixed: dict[tuple[int, int], int] = {}
        log: list[dict[str, Any]] = []
        S = self.n_scenarios
        real = self._with(truth.demand[None], lock)
        lower_bound = None
        if pol is PolicyName.PERFECT_FORESIGHT:
            res = self._solve(real, R - 1, {}, log, 0, gap=EXACT_GAP)
            lower_bound = res.bound
            fixed = {(i, r): int(res.plans[0].order_units[i, r] // pack[i]) for i in range(N)
                     for r in range(R)}  # fmt: skip
        else:
            for r, o in enumerate(prob.rounds):
                rng = np.random.default_rng([seed, r])
                if pol is PolicyName.FIXED_LOCK and r == 0:
                    packs = np.ceil(lock / pack - 1e-9).astype(np.int64)
                    packs = np.where(packs > 0, np.maximum(packs, moq_packs), 0)
                    fixed.update({(i, 0): int(packs[i]) for i in range(N)})
                    continue
                scen = self.model.scenarios(truth if o > 1 else None, o, S, rng)
                stage = R - 1 if pol is PolicyName.UP_FRONT else r
                if pol is PolicyName.DETERMINISTIC_LOCK and r == 0:  # plan on the mean forecast
                    scen = np.rint(scen.mean(axis=0))[None].astype(np.int64)
                res = self._solve(self._with(scen, lock), stage, fixed, log, r)
                u = res.first_stage_units
                for rr in range(stage + 1):
                    for i in range(N):
                        fixed[(i, rr)] = int(u[i, rr] // pack[i])
                if pol is PolicyName.UP_FRONT:
                    break
        # evaluate the placed orders on the realised demand (production and sales free), to a
        # gap of 0 so that the cost is the best recourse for these orders, not within 0.1% of it
        ev = self._solve(real, R - 1, fixed, log, R, gap=EXACT_GAP)
        plan = ev.plans[0]
        rep = check_plan(real, plan)
        return CampaignOutcome(
            policy=pol.value,
            order_units=plan.order_units.copy(),
            plan=plan,
            cost=float(rep.costs["total"]),
            costs={k: float(v) for k, v in rep.costs.items()},
            kpis=_kpis(real, plan, rep.capacity_used),
            solves=log,
            problem=real,
            lower_bound=lower_bound,
        )


def simulate_campaign(
    problem: Problem,
    model: DemandModel,
    policy: str = "stochastic_lock",
    seed: int = 0,
    **kwargs: Any,
) -> CampaignOutcome:
    """Simulate one campaign under ``policy`` (walks the order rounds, re-forecasting and
    re-planning at each; see the module docstring). ``kwargs`` go to
    :class:`CampaignSimulator`."""
    sim = CampaignSimulator(problem, model, **kwargs)
    truth = model.draw(np.random.default_rng([seed, 10_000]))
    return sim.run(policy, truth, seed)


@dataclass(frozen=True, eq=False)
class PolicyComparison:
    """Outcome of :func:`compare_policies`.

    Attributes
    ----------
    runs : DataFrame
        One row per (campaign, policy): cost, regret, KPIs, solve statuses, ``eval_gap`` (the
        gap of the evaluation on the realised demand, 0 when proven optimal) and ``pf_gap``
        (perfect foresight's gap on that campaign: its cost is within ``pf_gap`` of the best
        possible, so a regret may be negative by at most ``pf_gap x pf_cost``).
    table : DataFrame
        One row per policy: ``policy, campaigns, infeasible_campaigns, failed_campaigns,
        not_optimal_solves, expected_cost,
        cost_ci_low, cost_ci_high, fill_rate, sell_through, cleared_last_3_days,
        peak_capacity_use, regret, regret_ci_low, regret_ci_high, regret_share`` (95% Student
        t intervals over campaigns;
        regret = cost minus the perfect-foresight cost of the same campaign;
        ``peak_capacity_use`` is the highest load / capacity of a supplier under a
        capacity-guarantee agreement over all campaigns, to compare with ``1 - buffer``).
    """

    runs: pd.DataFrame
    table: pd.DataFrame


def _ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% confidence interval of the mean, ``m -+ t_{0.975, n-1} s / sqrt(n)``.

    Parameters
    ----------
    x : ndarray (n,)
        Independent observations (e.g. one per campaign).

    Returns
    -------
    (mean, low, high)
        With fewer than two observations the interval is the mean itself.
    """
    from scipy.stats import t as student_t  # type: ignore[import-untyped]

    m = float(np.mean(x))
    n = len(x)
    if n < 2:
        return m, m, m
    h = float(student_t.ppf(0.975, n - 1)) * float(np.std(x, ddof=1)) / math.sqrt(n)
    return m, m - h, m + h


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """The per-policy table of :class:`PolicyComparison` from its runs."""
    rows = []
    for pol in [p for p in POLICIES if p in set(runs["policy"])]:
        g_all = runs[runs["policy"] == pol]
        g = g_all[g_all["cost"].notna()]
        status = g_all["status"] if "status" in g_all else pd.Series("ok", index=g_all.index)
        counts = {
            "infeasible_campaigns": int((status == "infeasible").sum()),
            "failed_campaigns": int((status == "failed").sum()),
        }
        if g.empty:
            rows.append({"policy": pol, "campaigns": 0, **counts})
            continue
        m, lo, hi = _ci(g["cost"].to_numpy())
        row: dict[str, Any] = {
            "policy": pol,
            "campaigns": len(g),
            **counts,
            "not_optimal_solves": int(g["not_optimal_solves"].sum()),
            "expected_cost": m,
            "cost_ci_low": lo,
            "cost_ci_high": hi,
            "fill_rate": float(g["fill_rate"].mean()),
            "sell_through": float(g["sell_through"].mean()),
            "cleared_last_3_days": float(g["cleared_last_days"].mean()),
            "peak_capacity_use": float(g["peak_capacity_use"].max()),
        }
        if "regret" in g and g["regret"].notna().any():
            g = g[g["regret"].notna()]
            rm, rlo, rhi = _ci(g["regret"].to_numpy())
            row.update(
                regret=rm,
                regret_ci_low=rlo,
                regret_ci_high=rhi,
                regret_share=float((g["regret"] / g["pf_cost"]).mean()),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _one_campaign(
    make: Callable[[int], tuple[Problem, DemandModel]],
    seed: int,
    policies: Sequence[str],
    sim_kwargs: dict[str, Any],
    lock_ratio: float | None,
) -> list[dict[str, Any]]:
    problem, model = make(seed)
    sim = CampaignSimulator(problem, model, **sim_kwargs)
    truth = model.draw(np.random.default_rng([seed, 10_000]))
    rows: list[dict[str, Any]] = []
    for pol in policies:
        t0 = time.perf_counter()
        try:
            out = sim.run(pol, truth, seed, lock_ratio=lock_ratio)
        except InfeasibleError as exc:  # the pre-check proves the lock does not fit capacity
            rows.append(
                {"campaign": seed, "policy": pol, "cost": math.nan, "status": "infeasible",
                 "error": str(exc)}
            )  # fmt: skip
            continue
        except (SolverError, PlanCheckError) as exc:  # kept, counted and shown, not hidden
            rows.append(
                {"campaign": seed, "policy": pol, "cost": math.nan, "status": "failed",
                 "error": f"{type(exc).__name__}: {exc}"}
            )  # fmt: skip
            continue
        rows.append(
            {
                "campaign": seed,
                "policy": pol,
                "status": "ok",
                "cost": out.cost,
                **out.kpis,
                "seconds": time.perf_counter() - t0,
                "planning_calls": len(out.solves),
                "not_optimal_solves": sum(s["status"] != Status.OPTIMAL.value for s in out.solves),
                "max_gap": max((s["gap"] or 0.0) for s in out.solves),
                "eval_gap": _gap_or_nan(out.solves[-1]["gap"]),
                "foresight_gap": _foresight_gap(out),
            }
        )
    return rows


def _gap_or_nan(g: float | None) -> float:
    return math.nan if g is None else float(g)


def _foresight_gap(out: CampaignOutcome) -> float:
    """For perfect foresight: how far its realised cost may be above the best possible cost,
    ``(cost - lower bound) / cost`` (0 when proven optimal; NaN for other policies or without a
    bound)."""
    if out.policy != PolicyName.PERFECT_FORESIGHT.value:
        return math.nan
    g = relative_gap(out.cost, out.lower_bound)
    return math.nan if g is None else g


def compare_policies(
    make: Callable[[int], tuple[Problem, DemandModel]],
    seeds: Sequence[int],
    policies: Sequence[str] = POLICIES,
    *,
    lock_ratio: float | None = None,
    executor: Executor | None = None,
    progress: bool = False,
    **sim_kwargs: Any,
) -> PolicyComparison:
    """Run ``policies`` on the campaigns ``make(seed)`` for each seed (same draws for all).

    Parameters
    ----------
    make : callable
        ``seed -> (problem, demand model)``, e.g. :func:`example_factory`. Must be picklable
        to use a process-pool ``executor``.
    seeds : sequence of int
    policies : sequence of str
        Subset of :data:`POLICIES`; regret needs ``"perfect_foresight"``.
    lock_ratio : float, optional
        Override the problem's lock ratio (sensitivity runs).
    executor : concurrent.futures.Executor, optional
        Run campaigns concurrently.
    progress : bool
        Show a progress bar (tqdm) on stderr.
    sim_kwargs
        :class:`CampaignSimulator` options (n_scenarios, solver, time_limit, gap).
    """
    bad = [p for p in policies if p not in POLICIES]
    if bad:
        raise InputError(f"unknown policies {bad}; valid: {list(POLICIES)}.", value=bad)
    import importlib

    tqdm = importlib.import_module("tqdm.auto").tqdm

    jobs: list[Any]
    if executor is not None:
        jobs = [
            executor.submit(_one_campaign, make, s, policies, sim_kwargs, lock_ratio) for s in seeds
        ]
    else:
        jobs = list(seeds)
    rows: list[dict[str, Any]] = []
    for job in tqdm(jobs, disable=not progress, desc="campaigns", unit="campaign"):
        if executor is not None:
            rows += job.result()
        else:
            rows += _one_campaign(make, job, policies, sim_kwargs, lock_ratio)
    runs = pd.DataFrame(rows)
    if PolicyName.PERFECT_FORESIGHT.value in policies:
        pf_rows = runs[runs["policy"] == "perfect_foresight"].set_index("campaign")
        runs["pf_cost"] = runs["campaign"].map(pf_rows["cost"])
        if "foresight_gap" in pf_rows:
            runs["pf_gap"] = runs["campaign"].map(pf_rows["foresight_gap"])
        runs["regret"] = runs["cost"] - runs["pf_cost"]
    return PolicyComparison(runs=runs, table=summarise(runs))


@dataclass(frozen=True)
class ExampleFactory:
    """``seed -> (problem, demand model)`` from the example campaign generator (picklable).

    Parameters
    ----------
    n_skus : int
    level_cv : float
    policy : Policy, optional
    """

    n_skus: int = 12
    level_cv: float = 0.35
    policy: Policy | None = None

    def __call__(self, seed: int) -> tuple[Problem, DemandModel]:
        from presale_supply.datasets import ExampleParams, example_campaign

        ex = example_campaign(seed, ExampleParams(n_skus=self.n_skus))
        return ex.to_problem(self.policy), DemandModel.from_example(ex, level_cv=self.level_cv)
