r"""The embedded example campaign: a fully synthetic Double 12 presale, generated from parameters.

:func:`example_campaign` turns an :class:`ExampleParams` and a seed into an
:class:`ExampleCampaign`: the planner's tables (SKUs, suppliers, daily demand), SKU attributes
the planner does not read (product line, base rate), and the forecaster's inputs (a daily sales
history with last year's campaign, and presale signals). Nothing is real data; every number below
is a field of :class:`ExampleParams` and can be changed. ``docs/example_campaign.md`` explains
the same parameters at more length.

Calendar
--------
``start_date`` (2026-12-01) is day 1; ``stages`` default to the plan's warm-up 7, presale 14,
replenishment 7, clearance 3 days, so day 12 (2026-12-12, the "Double 12") is in presale. The
generator needs stages named ``warm-up``, ``presale``, ``replenishment`` and ``clearance``.

Assortment
----------
``n_skus`` (200) SKUs split over ``category_shares`` (apparel 0.35, beauty 0.28, digital 0.20,
home 0.17 -> 70/56/40/34) by largest remainders. ``pushed_lines`` marks the plan's pushed new
lines as a share of *all* SKUs inside one category: black-tech digital 0.15 (30 SKUs), guochao
apparel 0.10 (20 SKUs). The mark lives in :attr:`ExampleCampaign.sku_attributes` (``line``,
``pushed``), not in the planner's SKU table. ``pushed_uplift`` (1.3) multiplies the campaign
demand of pushed SKUs: the push is new this year, so last year's campaign does not show it.

Demand
------
Each SKU has a normal-day base rate :math:`b_i = m \, f_{c(i)} \, e^{\sigma Z_i}` (lognormal;
``base_rate_median`` 20 units/day, ``base_rate_sigma`` 0.8, per-category factor
``category_rate_factor``). Campaign day :math:`t` has mean :math:`\mu_{it} = b_i \, u_i \,
\ell_t \, k_{c(i)t}` with :math:`u_i` the pushed uplift and :math:`\ell_t` the campaign profile:

* warm-up: ``warmup_level`` (0.6): below a normal day, shoppers fill carts and wait for the
  presale prices;
* presale: rises from ``presale_start_level`` (2.0) to ``presale_peak_level`` (8.0) on the last
  presale day (deposits turn into orders at the balance payment), as
  :math:`a + (p - a) (k / (n-1))^{\gamma}` on presale day :math:`k = 0..n-1` with
  ``presale_ramp_power`` :math:`\gamma` = 2; the ``festival_day`` (12) is multiplied by
  ``festival_boost`` (1.5);
* replenishment: ``replenishment_level`` (2.0); the ``member_restock_day`` (22) is multiplied by
  ``member_restock_boost`` (2.0) for every SKU and the ``trade_in_day`` (26) by
  ``trade_in_boost`` (1.8) for the ``trade_in_categories`` (digital, home);
* clearance: ``clearance_level`` (0.7).

Units are drawn as negative binomial with mean :math:`\mu` and shape ``nb_shape`` (8, variance
:math:`\mu + \mu^2/8`), or Poisson with ``noise="poisson"``, from
``numpy.random.default_rng(seed)``: the same seed gives identical frames.

Economics (per SKU)
-------------------
``unit_cost`` lognormal around ``unit_cost_median`` of its category (apparel 80, beauty 60,
digital 400, home 120) with ``unit_cost_sigma`` 0.5; ``price`` = cost x uniform
``markup_range`` (1.5-2.5); ``clearance_price`` = cost x uniform ``clearance_fraction_range``
(0.55-0.90), always below cost; ``holding_cost`` = ``holding_rate_per_day`` (0.002) x cost per
unit-day; ``shortage_penalty`` = price x (1 + ``goodwill_rate``) with goodwill 0.10: the lost
margin (price - cost) plus goodwill, *plus the unit cost*, because the planner's objective charges
the purchase of every unit bought and credits no sales revenue, so the revenue a stock-out loses
is the penalty that makes cost minimisation equal profit maximisation. ``pack_size`` uniform over
the category's ``pack_sizes`` (apparel 1 or 6, beauty 6 or 12, digital 1, home 1 or 6); a share
``moq_share`` (0.3) of SKUs has an MOQ uniform in ``moq_units_range`` (20-100 units, rounded up to
whole packs); a share ``initial_stock_share`` (1.0: every SKU, stock from regular sales) starts
with ``initial_stock_days`` (4) days of base demand on hand, which covers most of the warm-up
week, since nothing ordered in the campaign arrives before day 1 + lead time;
``capacity_per_unit`` by category (apparel 1.0, beauty 0.5, digital 2.0, home 1.5 capacity
units per unit made); ``capacity_per_order`` (10) capacity units of setup per order.

Suppliers
---------
``suppliers_per_category`` (2) per category, named ``<category>-<k>``; a SKU goes to the
category's first supplier with probability ``primary_supplier_share`` (0.6), else the second.
``lead_times`` (5, 7, 4, 6, 6, 7, 3, 5 days), ``fixed_order_costs`` and ``capacity_guarantee``
(all true but ``digital-2``) are given in supplier order (apparel-1, apparel-2, beauty-1, ...).

Capacity calibration
--------------------
``capacity_per_day`` is derived from the *expected* demand :math:`\mu`, not drawn. With the
default order rounds (lock round :math:`o_1` = presale start - max lead time, then the presale
start :math:`o_2` and the replenishment start :math:`o_3`), supplier :math:`s` makes each round
on :math:`L_s` production days, and its limit per day is :math:`C_s (1 - \beta_s)` with
:math:`\beta_s` = ``capacity_buffer`` (0.15) under a capacity-guarantee agreement, else 0.
:math:`C_s` is the larger of two requirements, rounded up to a multiple of ``capacity_step`` (10):

* *lock fits*: :math:`C_s (1-\beta_s) L_s \, \tau \ge G_s` where
  :math:`G_s = \sum_{i \in s} (b_i \lceil \lambda E D_i \rceil_{pack} + g_i)` is the expected
  capacity load of the lock (:math:`\lambda` = ``lock_ratio`` 0.30, :math:`b_i` capacity per
  unit, :math:`g_i` per order) and :math:`\tau` = ``lock_load_target`` (0.8): the lock uses at
  most 80% of the lock window's buffered capacity, a margin that absorbs the demand noise, so
  :func:`~presale_supply.replenishment.solve.precheck` finds nothing;
* *peak is tight*: :math:`C_s (1-\beta_s) \, 2 L_s \ge \rho \, H_s` where :math:`H_s` is the
  expected capacity load of the demand the first two rounds serve (from the lock's arrival
  :math:`o_1 + L_s` to the day before the third round arrives, :math:`o_3 + L_s - 1`, net of
  initial stock, plus two setups per SKU) and :math:`\rho` = ``peak_capacity_ratio`` (1.0). At
  1.0 the two windows can just make that demand if both run at the 85% limit, so the buffer
  binds on the peak production days and a plan must pre-build (holding cost) or lose some sales;
  above 1 capacity is loose, below 1 lost sales grow.

History and signals (forecaster inputs)
---------------------------------------
``history`` holds ``history_days`` (426) daily rows per SKU ending the day before ``start_date``
(``unique_id, ds, y``): the base rate deflated by ``yoy_growth`` (0.15 a year, compounded daily),
times ``weekday_factors`` (Mon..Sun), with the same noise; the window of last year's campaign
(same calendar dates a year earlier) follows the campaign profile at last year's base rate,
without the pushed uplift. ``signals`` (``unique_id, ds, deposits, add_to_cart``) cover every
warm-up and presale day of last year's campaign and the first ``signal_days`` (10) days of this
one: deposits over the warm-up and presale total ``deposit_share`` (0.25) of the SKU's realised
campaign demand in expectation, spread over those days in proportion to the campaign profile,
Poisson-drawn; add-to-cart counts are Poisson with mean ``cart_per_deposit`` (4) x the expected
deposits x a lognormal factor of sigma ``cart_noise_sigma`` (0.3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from presale_supply.campaign import DEFAULT_STAGES, Campaign, Stage
from presale_supply.data import Demand, Policy, Problem, Skus, Suppliers
from presale_supply.exceptions import InputError

__all__ = ["ExampleCampaign", "ExampleParams", "example_campaign"]

_STAGE_NAMES = ("warm-up", "presale", "replenishment", "clearance")
_DEPOSIT_STAGES = ("warm-up", "presale")


@dataclass(frozen=True)
class ExampleParams:
    """Every number of the example campaign (see the module docstring for the model).

    Mappings are tuples of ``(key, value)`` pairs so the dataclass stays hashable; supplier
    tuples are in supplier order (each category's suppliers in turn, categories in the order of
    ``category_shares``).
    """

    # calendar
    start_date: dt.date = dt.date(2026, 12, 1)
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    name: str = "Double 12 example campaign"
    # assortment
    n_skus: int = 200
    category_shares: tuple[tuple[str, float], ...] = (
        ("apparel", 0.35),
        ("beauty", 0.28),
        ("digital", 0.20),
        ("home", 0.17),
    )
    pushed_lines: tuple[tuple[str, str, float], ...] = (
        ("black-tech", "digital", 0.15),
        ("guochao", "apparel", 0.10),
    )
    pushed_uplift: float = 1.3
    # demand
    base_rate_median: float = 20.0
    base_rate_sigma: float = 0.8
    category_rate_factor: tuple[tuple[str, float], ...] = (
        ("apparel", 1.2),
        ("beauty", 1.3),
        ("digital", 0.6),
        ("home", 0.8),
    )
    warmup_level: float = 0.6
    presale_start_level: float = 2.0
    presale_peak_level: float = 8.0
    presale_ramp_power: float = 2.0
    festival_day: int = 12
    festival_boost: float = 1.5
    replenishment_level: float = 2.0
    member_restock_day: int = 22
    member_restock_boost: float = 2.0
    trade_in_day: int = 26
    trade_in_boost: float = 1.8
    trade_in_categories: tuple[str, ...] = ("digital", "home")
    clearance_level: float = 0.7
    noise: str = "negbin"
    nb_shape: float = 8.0
    # economics
    unit_cost_median: tuple[tuple[str, float], ...] = (
        ("apparel", 80.0),
        ("beauty", 60.0),
        ("digital", 400.0),
        ("home", 120.0),
    )
    unit_cost_sigma: float = 0.5
    markup_range: tuple[float, float] = (1.5, 2.5)
    clearance_fraction_range: tuple[float, float] = (0.55, 0.90)
    holding_rate_per_day: float = 0.002
    goodwill_rate: float = 0.10
    pack_sizes: tuple[tuple[str, tuple[int, ...]], ...] = (
        ("apparel", (1, 6)),
        ("beauty", (6, 12)),
        ("digital", (1,)),
        ("home", (1, 6)),
    )
    moq_share: float = 0.3
    moq_units_range: tuple[int, int] = (20, 100)
    initial_stock_share: float = 1.0
    initial_stock_days: float = 4.0
    capacity_per_unit: tuple[tuple[str, float], ...] = (
        ("apparel", 1.0),
        ("beauty", 0.5),
        ("digital", 2.0),
        ("home", 1.5),
    )
    capacity_per_order: float = 10.0
    # suppliers
    suppliers_per_category: int = 2
    primary_supplier_share: float = 0.6
    lead_times: tuple[int, ...] = (5, 7, 4, 6, 6, 7, 3, 5)
    fixed_order_costs: tuple[float, ...] = (300.0, 250.0, 200.0, 200.0, 500.0, 450.0, 300.0, 250.0)
    capacity_guarantee: tuple[bool, ...] = (True, True, True, True, True, False, True, True)
    # capacity calibration
    lock_ratio: float = Policy.lock_ratio
    capacity_buffer: float = Policy.capacity_buffer
    lock_load_target: float = 0.8
    peak_capacity_ratio: float = 1.0
    capacity_step: float = 10.0
    # history and signals
    history_days: int = 426
    yoy_growth: float = 0.15
    weekday_factors: tuple[float, ...] = (0.9, 0.9, 0.95, 1.0, 1.05, 1.15, 1.05)
    deposit_share: float = 0.25
    cart_per_deposit: float = 4.0
    cart_noise_sigma: float = 0.3
    signal_days: int = 10

    def __post_init__(self) -> None:
        cats = self.categories
        shares = np.array([s for _, s in self.category_shares], dtype=float)
        if len(cats) == 0 or len(set(cats)) != len(cats) or (shares <= 0).any():
            _bad(
                "category_shares", "distinct categories with positive shares", self.category_shares
            )
        if abs(shares.sum() - 1.0) > 1e-9:
            _bad("category_shares", "shares summing to 1", float(shares.sum()))
        for name in ("category_rate_factor", "unit_cost_median", "pack_sizes", "capacity_per_unit"):
            keys = [k for k, _ in getattr(self, name)]
            if sorted(keys) != sorted(cats):
                _bad(name, f"one entry per category {list(cats)}", keys)
        names = tuple(s.name for s in self.stages)
        if names != _STAGE_NAMES:
            _bad("stages", f"stages named {list(_STAGE_NAMES)} in this order", list(names))
        n_days = sum(s.days for s in self.stages)
        for name in ("festival_day", "member_restock_day", "trade_in_day"):
            if not 1 <= getattr(self, name) <= n_days:
                _bad(name, f"a day between 1 and {n_days}", getattr(self, name))
        n_sup = len(cats) * self.suppliers_per_category
        if self.suppliers_per_category < 1:
            _bad("suppliers_per_category", "a whole number >= 1", self.suppliers_per_category)
        for name in ("lead_times", "fixed_order_costs", "capacity_guarantee"):
            if len(getattr(self, name)) != n_sup:
                _bad(name, f"{n_sup} entries (one per supplier)", len(getattr(self, name)))
        if min(self.lead_times) < 0:
            _bad("lead_times", "whole numbers >= 0", self.lead_times)
        if self.n_skus < len(cats):
            _bad("n_skus", f"at least one SKU per category ({len(cats)})", self.n_skus)
        for line, cat, share in self.pushed_lines:
            if cat not in cats or not 0 <= share <= 1:
                _bad("pushed_lines", "(line, known category, share in [0, 1])", (line, cat, share))
        if self.noise not in ("negbin", "poisson"):
            _bad("noise", "'negbin' or 'poisson'", self.noise)
        if not 0 < self.lock_load_target <= 1:
            _bad("lock_load_target", "a number in (0, 1]", self.lock_load_target)
        if not self.peak_capacity_ratio > 0:
            _bad("peak_capacity_ratio", "a number > 0", self.peak_capacity_ratio)
        lo, hi = self.clearance_fraction_range
        if not 0 <= lo <= hi < 1:
            _bad("clearance_fraction_range", "0 <= low <= high < 1 (below unit cost)", (lo, hi))
        if len(self.weekday_factors) != 7:
            _bad("weekday_factors", "7 factors (Monday to Sunday)", len(self.weekday_factors))
        deposit_days = sum(s.days for s in self.stages if s.name in _DEPOSIT_STAGES)
        if not 0 <= self.signal_days <= deposit_days:
            _bad("signal_days", f"a whole number between 0 and {deposit_days}", self.signal_days)
        if self.history_days < n_days + 1:
            _bad("history_days", f"more than the campaign length {n_days}", self.history_days)

    @property
    def categories(self) -> tuple[str, ...]:
        """Category names in order."""
        return tuple(c for c, _ in self.category_shares)

    @property
    def supplier_ids(self) -> tuple[str, ...]:
        """Supplier ids in order: ``<category>-1``, ``<category>-2``, ..."""
        return tuple(
            f"{c}-{k + 1}" for c in self.categories for k in range(self.suppliers_per_category)
        )

    def campaign(self) -> Campaign:
        """The campaign calendar of these parameters."""
        return Campaign(self.stages, self.start_date, self.name)

    def profile(self) -> np.ndarray:
        """Campaign demand multipliers per day (shape ``(n_days,)``), without the trade-in
        boost, which applies only to ``trade_in_categories``."""
        campaign = self.campaign()
        level = np.empty(campaign.n_days)
        start = campaign.stage_starts()
        days = {s.name: s.days for s in self.stages}
        w0, p0, r0, c0 = (start[n] - 1 for n in _STAGE_NAMES)
        level[w0 : w0 + days["warm-up"]] = self.warmup_level
        n = days["presale"]
        k = np.arange(n) / max(n - 1, 1)
        level[p0 : p0 + n] = (
            self.presale_start_level
            + (self.presale_peak_level - self.presale_start_level) * k**self.presale_ramp_power
        )
        level[r0 : r0 + days["replenishment"]] = self.replenishment_level
        level[c0 : c0 + days["clearance"]] = self.clearance_level
        level[self.festival_day - 1] *= self.festival_boost
        level[self.member_restock_day - 1] *= self.member_restock_boost
        return level


def _bad(column: str, valid: str, value: object) -> None:
    raise InputError(f"ExampleParams.{column} must be {valid}.", column=column, value=value)


@dataclass(frozen=True, eq=False)
class ExampleCampaign:
    """A generated example campaign.

    Attributes
    ----------
    campaign : Campaign
        The calendar (default stages, day 1 = ``params.start_date``).
    skus : pandas.DataFrame
        The planner's SKU table (columns for :meth:`~presale_supply.data.Skus.from_frame`).
    suppliers : pandas.DataFrame
        The planner's supplier table (for :meth:`~presale_supply.data.Suppliers.from_frame`).
    demand : pandas.DataFrame
        ``sku, day, units``: whole units per SKU and campaign day (every pair present).
    sku_attributes : pandas.DataFrame
        ``sku, category, line, pushed, base_rate, expected_campaign_units``: product line
        (``black-tech``, ``guochao`` or ``core``), whether the line is pushed, the normal-day
        base rate and the expected (noise-free) campaign demand. Not read by the planner.
    history : pandas.DataFrame
        ``unique_id, ds, y``: daily sales before the campaign, with last year's campaign.
    signals : pandas.DataFrame
        ``unique_id, ds, deposits, add_to_cart``: last year's warm-up and presale days and this
        campaign's first ``params.signal_days`` days.
    params : ExampleParams
    seed : int
    expected_demand : numpy.ndarray
        The noise-free daily demand mean, shape (n_skus, n_days), from which ``demand`` was
        drawn (for simulations that draw campaigns of their own).
    """

    campaign: Campaign
    skus: pd.DataFrame = field(repr=False)
    suppliers: pd.DataFrame = field(repr=False)
    demand: pd.DataFrame = field(repr=False)
    sku_attributes: pd.DataFrame = field(repr=False)
    history: pd.DataFrame = field(repr=False)
    signals: pd.DataFrame = field(repr=False)
    params: ExampleParams = field(repr=False)
    seed: int = 0
    expected_demand: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    @property
    def past_campaign_start(self) -> dt.date:
        """First day of last year's campaign in :attr:`history` (for the forecaster's
        ``past_campaign_starts``)."""
        return _year_before(self.params.start_date)

    def to_problem(self, policy: Policy | None = None) -> Problem:
        """The planning problem of this campaign.

        Parameters
        ----------
        policy : Policy, optional
            Default: :class:`~presale_supply.data.Policy` (the plan's numbers).

        Returns
        -------
        Problem
        """
        skus = Skus.from_frame(self.skus, source="example skus")
        suppliers = Suppliers.from_frame(self.suppliers, source="example suppliers")
        demand = Demand.from_frame(
            self.demand, skus.ids, self.campaign.n_days, source="example demand"
        )
        return Problem(self.campaign, skus, suppliers, demand, policy or Policy())


def _year_before(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d - dt.timedelta(days=365)


def _split(n: int, shares: np.ndarray) -> np.ndarray:
    """Whole counts summing to ``n`` in proportion to ``shares`` (largest remainders)."""
    raw = n * shares / shares.sum()
    counts = np.floor(raw).astype(np.int64)
    rest = n - int(counts.sum())
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def _draw(rng: np.random.Generator, mean: np.ndarray, p: ExampleParams) -> np.ndarray:
    """Whole units with the given means (negative binomial or Poisson)."""
    mean = np.asarray(mean, dtype=float)
    if p.noise == "poisson":
        return rng.poisson(mean).astype(np.int64)
    k = p.nb_shape
    return rng.negative_binomial(k, k / (k + mean)).astype(np.int64)


def _calibrate(
    p: ExampleParams,
    campaign: Campaign,
    mean: np.ndarray,
    initial: np.ndarray,
    pack: np.ndarray,
    cap_unit: np.ndarray,
    sup_idx: np.ndarray,
    lead: np.ndarray,
    share: np.ndarray,
) -> np.ndarray:
    """Capacity per supplier and day from the expected demand (see "Capacity calibration")."""
    n_sup = len(lead)
    starts = campaign.stage_starts()
    presale, repl = starts["presale"], starts["replenishment"]
    lock_day = presale - int(lead.max())
    lock_units = _round_up_packs(np.ceil(p.lock_ratio * mean.sum(axis=1) - 1e-9), pack)
    lock_load = np.bincount(
        sup_idx, weights=cap_unit * lock_units + p.capacity_per_order, minlength=n_sup
    )
    window = np.maximum(lead, 1)
    by_lock = lock_load / (p.lock_load_target * share * window)
    cum = np.concatenate([np.zeros((len(mean), 1)), np.cumsum(mean, axis=1)], axis=1)
    T = campaign.n_days
    first = np.clip(lock_day + lead, 1, T + 1)[sup_idx]  # lock arrival
    last = np.clip(repl + lead - 1, 0, T)[sup_idx]  # day before the third round arrives
    rows = np.arange(len(mean))
    served = np.maximum(cum[rows, np.maximum(last, first - 1)] - cum[rows, first - 1] - initial, 0)
    peak_load = np.bincount(
        sup_idx, weights=cap_unit * served + 2 * p.capacity_per_order, minlength=n_sup
    )
    by_peak = p.peak_capacity_ratio * peak_load / (share * 2 * window)
    need = np.maximum(by_lock, by_peak)
    return np.ceil(need / p.capacity_step - 1e-9) * p.capacity_step


def _round_up_packs(units: np.ndarray, pack: np.ndarray) -> np.ndarray:
    return np.ceil(units / pack - 1e-9) * pack


def example_campaign(seed: int = 0, params: ExampleParams | None = None) -> ExampleCampaign:
    """Generate the library's synthetic example presale campaign.

    Parameters
    ----------
    seed : int
        Seed of the ``numpy.random.Generator``; the same seed (and parameters) gives identical
        frames.
    params : ExampleParams, optional
        The generating parameters; default :class:`ExampleParams` (the plan's numbers).

    Returns
    -------
    ExampleCampaign
        Planner tables, SKU attributes, forecaster history and signals.

    Examples
    --------
    >>> from presale_supply.datasets import example_campaign
    >>> ex = example_campaign(0)
    >>> problem = ex.to_problem()
    >>> len(problem.skus), len(problem.suppliers), problem.n_days
    (200, 8, 31)
    """
    p = params or ExampleParams()
    rng = np.random.default_rng(seed)
    campaign = p.campaign()
    T = campaign.n_days
    cats = p.categories

    # --- assortment -------------------------------------------------------------------------
    counts = _split(p.n_skus, np.array([s for _, s in p.category_shares]))
    cat_idx = np.repeat(np.arange(len(cats)), counts)
    category = np.asarray(cats, dtype=object)[cat_idx]
    sku_ids: list[str] = []
    for c, n in zip(cats, counts, strict=True):
        sku_ids += [f"{c[:3].upper()}-{k + 1:03d}" for k in range(int(n))]
    N = p.n_skus
    line = np.full(N, "core", dtype=object)
    for name, cat, line_share in p.pushed_lines:
        members = np.flatnonzero((category == cat) & (line == "core"))
        n_push = round(p.n_skus * line_share)
        if n_push > len(members):
            _bad("pushed_lines", f"at most {len(members)} SKUs in {cat!r}", (name, n_push))
        line[np.sort(rng.choice(members, size=n_push, replace=False))] = name
    pushed = line != "core"

    # --- suppliers --------------------------------------------------------------------------
    n_per = p.suppliers_per_category
    other = rng.integers(1, n_per, size=N) if n_per > 1 else np.zeros(N, dtype=np.int64)
    primary = rng.random(N) < p.primary_supplier_share
    sup_idx = cat_idx * n_per + np.where(primary, 0, other)
    supplier_ids = p.supplier_ids

    # --- economics --------------------------------------------------------------------------
    def by_cat(pairs: tuple[tuple[str, float], ...]) -> np.ndarray:
        d = dict(pairs)
        return np.array([d[c] for c in cats], dtype=float)[cat_idx]

    base = (
        p.base_rate_median
        * by_cat(p.category_rate_factor)
        * np.exp(p.base_rate_sigma * rng.standard_normal(N))
    )
    unit_cost = np.round(
        by_cat(p.unit_cost_median) * np.exp(p.unit_cost_sigma * rng.standard_normal(N)), 2
    )
    price = np.round(unit_cost * rng.uniform(*p.markup_range, size=N), 2)
    clearance = np.round(unit_cost * rng.uniform(*p.clearance_fraction_range, size=N), 2)
    clearance = np.minimum(clearance, unit_cost - 0.01)
    holding = np.round(unit_cost * p.holding_rate_per_day, 4)
    penalty = np.round(price * (1.0 + p.goodwill_rate), 2)
    packs_of = dict(p.pack_sizes)
    pack = np.array([rng.choice(np.asarray(packs_of[c])) for c in category], dtype=np.int64)
    has_moq = rng.random(N) < p.moq_share
    moq_raw = rng.integers(p.moq_units_range[0], p.moq_units_range[1] + 1, size=N)
    moq = np.where(has_moq, _round_up_packs(moq_raw, pack), 0).astype(np.int64)
    has_stock = rng.random(N) < p.initial_stock_share
    initial = np.where(has_stock, np.round(p.initial_stock_days * base), 0).astype(np.int64)
    cap_unit = by_cat(p.capacity_per_unit)

    # --- campaign demand --------------------------------------------------------------------
    level = p.profile()
    boost = np.ones((N, T))
    trade_in = np.isin(category, np.asarray(p.trade_in_categories, dtype=object))
    boost[trade_in, p.trade_in_day - 1] = p.trade_in_boost
    uplift = np.where(pushed, p.pushed_uplift, 1.0)
    mean = (base * uplift)[:, None] * level[None, :] * boost
    units = _draw(rng, mean, p)

    # --- capacity calibration from the expected demand --------------------------------------
    lead = np.asarray(p.lead_times, dtype=np.int64)
    share = np.where(np.asarray(p.capacity_guarantee), 1.0 - p.capacity_buffer, 1.0)
    capacity = _calibrate(p, campaign, mean, initial, pack, cap_unit, sup_idx, lead, share)

    skus = pd.DataFrame(
        {
            "sku": sku_ids,
            "category": category.astype(str),
            "supplier": np.asarray(supplier_ids, dtype=object)[sup_idx].astype(str),
            "unit_cost": unit_cost,
            "price": price,
            "clearance_price": clearance,
            "holding_cost": holding,
            "shortage_penalty": penalty,
            "pack_size": pack,
            "moq": moq,
            "initial_stock": initial,
            "capacity_per_unit": cap_unit,
            "capacity_per_order": np.full(N, p.capacity_per_order),
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier": list(supplier_ids),
            "capacity_per_day": capacity,
            "lead_time_days": lead,
            "fixed_order_cost": np.asarray(p.fixed_order_costs, dtype=float),
            "capacity_guarantee": np.asarray(p.capacity_guarantee, dtype=bool),
        }
    )
    demand = pd.DataFrame(
        {
            "sku": np.repeat(np.asarray(sku_ids, dtype=object), T).astype(str),
            "day": np.tile(np.arange(1, T + 1), N),
            "units": units.ravel(),
        }
    )
    attributes = pd.DataFrame(
        {
            "sku": sku_ids,
            "category": category.astype(str),
            "line": line.astype(str),
            "pushed": pushed,
            "base_rate": base,
            "expected_campaign_units": mean.sum(axis=1),
        }
    )

    # --- history: a year and more of daily sales with last year's campaign ------------------
    start = pd.Timestamp(p.start_date)
    dates = pd.date_range(end=start - pd.Timedelta(days=1), periods=p.history_days, freq="D")
    age_years = (start - dates).days.to_numpy() / 365.0
    weekday = np.asarray(p.weekday_factors)[dates.dayofweek.to_numpy()]
    hist_mean = base[:, None] * ((1.0 + p.yoy_growth) ** -age_years * weekday)[None, :]
    past_start = pd.Timestamp(_year_before(p.start_date))
    past_off = int((past_start - dates[0]).days)
    if past_off < 0:
        _bad("history_days", "long enough to hold last year's campaign", p.history_days)
    past_base = base * (1.0 + p.yoy_growth) ** -((start - past_start).days / 365.0)
    past_mean = past_base[:, None] * level[None, :] * boost
    hist_mean[:, past_off : past_off + T] = past_mean
    y = _draw(rng, hist_mean, p)
    past_units = y[:, past_off : past_off + T]
    history = pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(sku_ids, dtype=object), len(dates)).astype(str),
            "ds": np.tile(dates.to_numpy(), N),
            "y": y.ravel(),
        }
    )

    # --- signals: deposits and add-to-cart over warm-up and presale ------------------------
    n_dep = sum(s.days for s in p.stages if s.name in _DEPOSIT_STAGES)
    weight = level[:n_dep] / level[:n_dep].sum()

    def signal_rows(total: np.ndarray, first: pd.Timestamp, n: int) -> pd.DataFrame:
        exp_dep = p.deposit_share * total[:, None] * weight[None, :n]
        dep = rng.poisson(exp_dep)
        noise = np.exp(p.cart_noise_sigma * rng.standard_normal(exp_dep.shape))
        carts = rng.poisson(p.cart_per_deposit * exp_dep * noise)
        ds = pd.date_range(first, periods=n, freq="D").to_numpy()
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(sku_ids, dtype=object), n).astype(str),
                "ds": np.tile(ds, N),
                "deposits": dep.ravel().astype(np.int64),
                "add_to_cart": carts.ravel().astype(np.int64),
            }
        )

    signals = pd.concat(
        [
            signal_rows(past_units.sum(axis=1).astype(float), past_start, n_dep),
            signal_rows(units.sum(axis=1).astype(float), start, p.signal_days),
        ],
        ignore_index=True,
    )
    return ExampleCampaign(
        campaign=campaign,
        skus=skus,
        suppliers=suppliers,
        demand=demand,
        sku_attributes=attributes,
        history=history,
        signals=signals,
        params=p,
        seed=seed,
        expected_demand=mean,
    )
