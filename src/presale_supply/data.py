"""Validated, immutable problem description of a presale replenishment plan.

The tables a planner edits (SKUs, suppliers, demand) are validated here into frozen objects that
hold numpy arrays. Every error names the file, row, column and value, and what would be valid.
Nothing is dropped silently: an unknown supplier, a duplicate SKU or a demand row for an unknown
SKU is an error, not a skipped row.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from presale_supply.campaign import Campaign
from presale_supply.exceptions import InputError
from presale_supply.validation import (
    bool_column,
    check_unique,
    numeric_column,
    require_columns,
    string_column,
)

__all__ = [
    "SKU_COLUMNS",
    "SUPPLIER_COLUMNS",
    "Demand",
    "Policy",
    "Problem",
    "Shortage",
    "Skus",
    "Suppliers",
]

#: SKU table columns: name -> (default or None when required, description).
SKU_COLUMNS: dict[str, tuple[float | None, str]] = {
    "unit_cost": (None, "purchase cost per unit (>= 0)"),
    "price": (math.nan, "selling price per unit (>= 0); default: unit_cost"),
    "clearance_price": (0.0, "price per unit of stock left at the end of the campaign (>= 0)"),
    "holding_cost": (0.0, "cost per unit held at the end of a day (>= 0)"),
    "shortage_penalty": (math.nan, "cost per unit of demand not met (>= 0); default: price"),
    "backlog_cost": (0.0, "with backlog allowed: cost per unit per day waiting (>= 0)"),
    "pack_size": (1.0, "units per pack; orders are whole packs (whole number >= 1)"),
    "moq": (0.0, "minimum order quantity in units when an order is placed (>= 0)"),
    "initial_stock": (0.0, "units on hand before day 1 (whole number >= 0)"),
    "capacity_per_unit": (1.0, "supplier capacity units used per unit made (>= 0)"),
    "capacity_per_order": (0.0, "supplier capacity units used per order placed (setup, >= 0)"),
    "order_cost": (0.0, "fixed cost per order of this SKU, added to the supplier's (>= 0)"),
}

#: Supplier table columns: name -> (default or None when required, description).
SUPPLIER_COLUMNS: dict[str, tuple[float | None, str]] = {
    "capacity_per_day": (None, "capacity units per day (>= 0)"),
    "lead_time_days": (None, "days from order to arrival (whole number >= 0)"),
    "fixed_order_cost": (0.0, "fixed cost per SKU order placed with this supplier (>= 0)"),
    "capacity_guarantee": (1.0, "true if a capacity-guarantee agreement applies (buffer kept)"),
}


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


class Shortage(enum.StrEnum):
    """What happens to demand that cannot be served on its day."""

    LOST_SALES = "lost_sales"
    """Unmet demand is lost and costs ``shortage_penalty`` per unit."""
    BACKLOG = "backlog"
    """Unmet demand waits (``backlog_cost`` per unit-day); still waiting at the end is lost."""
    NONE = "none"
    """Every unit of demand must be served on its day (the classic lot-sizing case)."""


@dataclass(frozen=True, eq=False)
class Skus:
    """The SKU table, validated. Arrays are aligned with :attr:`ids`.

    Build with :meth:`from_frame`. See :data:`SKU_COLUMNS` for the columns.
    """

    ids: tuple[str, ...]
    category: tuple[str, ...]
    supplier: tuple[str, ...]
    unit_cost: np.ndarray
    price: np.ndarray
    clearance_price: np.ndarray
    holding_cost: np.ndarray
    shortage_penalty: np.ndarray
    backlog_cost: np.ndarray
    pack_size: np.ndarray
    moq: np.ndarray
    initial_stock: np.ndarray
    capacity_per_unit: np.ndarray
    capacity_per_order: np.ndarray
    order_cost: np.ndarray
    source: str = "skus"

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, source: str = "skus") -> Skus:
        """Validate a SKU table (one row per SKU).

        Required columns: ``sku, category, supplier, unit_cost``; optional columns and their
        defaults are in :data:`SKU_COLUMNS`.

        Raises
        ------
        InputError
            Missing column, unknown column, empty cell, NaN, negative value, non-whole pack size,
            or duplicate SKU; the message names file, row, column and value.
        """
        required = ["sku", "category", "supplier", "unit_cost"]
        optional = [c for c in SKU_COLUMNS if c not in required]
        require_columns(df, required, optional, source)
        if len(df) == 0:
            raise InputError("the SKU table has no rows; at least one SKU is needed.", file=source)
        df = df.reset_index(drop=True)
        ids = string_column(df, "sku", source)
        check_unique(ids, "sku", source)
        cat = string_column(df, "category", source)
        sup = string_column(df, "supplier", source)
        arrays: dict[str, np.ndarray] = {}
        for col, (default, _desc) in SKU_COLUMNS.items():
            if default is not None and math.isnan(default):
                continue  # price and shortage_penalty: defaults derived below
            arrays[col] = numeric_column(
                df,
                col,
                source,
                default=default,
                minimum=1 if col == "pack_size" else 0,
                integer=col in ("pack_size", "initial_stock"),
            )
        arrays["price"] = (
            numeric_column(df, "price", source, minimum=0)
            if ("price" in df.columns)
            else arrays["unit_cost"].copy()
        )
        arrays["shortage_penalty"] = (
            numeric_column(df, "shortage_penalty", source, minimum=0)
            if "shortage_penalty" in df.columns
            else arrays["price"].copy()
        )
        return cls(
            ids=tuple(str(s) for s in ids),
            category=tuple(str(s) for s in cat),
            supplier=tuple(str(s) for s in sup),
            source=source,
            **{k: _readonly(np.asarray(v)) for k, v in arrays.items()},
        )

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame with every column (defaults filled in)."""
        out = pd.DataFrame({"sku": self.ids, "category": self.category, "supplier": self.supplier})
        for col in SKU_COLUMNS:
            out[col] = getattr(self, col)
        return out


@dataclass(frozen=True, eq=False)
class Suppliers:
    """The supplier table, validated. Build with :meth:`from_frame`."""

    ids: tuple[str, ...]
    capacity_per_day: np.ndarray
    lead_time_days: np.ndarray
    fixed_order_cost: np.ndarray
    capacity_guarantee: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def index(self) -> dict[str, int]:
        """Mapping of supplier id to its position."""
        return {s: k for k, s in enumerate(self.ids)}

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, source: str = "suppliers") -> Suppliers:
        """Validate a supplier table (one row per supplier).

        Required columns: ``supplier, capacity_per_day, lead_time_days``; optional
        ``fixed_order_cost`` (default 0) and ``capacity_guarantee`` (default true).

        Raises
        ------
        InputError
            As for :meth:`Skus.from_frame`.
        """
        required = ["supplier", "capacity_per_day", "lead_time_days"]
        optional = ["fixed_order_cost", "capacity_guarantee"]
        require_columns(df, required, optional, source)
        if len(df) == 0:
            raise InputError("the supplier table has no rows.", file=source)
        df = df.reset_index(drop=True)
        ids = string_column(df, "supplier", source)
        check_unique(ids, "supplier", source)
        return cls(
            ids=tuple(str(s) for s in ids),
            capacity_per_day=_readonly(numeric_column(df, "capacity_per_day", source, minimum=0)),
            lead_time_days=_readonly(
                numeric_column(df, "lead_time_days", source, minimum=0, integer=True)
            ),
            fixed_order_cost=_readonly(
                numeric_column(df, "fixed_order_cost", source, default=0.0, minimum=0)
            ),
            capacity_guarantee=_readonly(
                bool_column(df, "capacity_guarantee", source, default=True)
            ),
        )

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame."""
        return pd.DataFrame(
            {
                "supplier": self.ids,
                "capacity_per_day": self.capacity_per_day,
                "lead_time_days": self.lead_time_days,
                "fixed_order_cost": self.fixed_order_cost,
                "capacity_guarantee": self.capacity_guarantee,
            }
        )


@dataclass(frozen=True, eq=False)
class Demand:
    """Demand in whole units per scenario, SKU and day.

    Attributes
    ----------
    units : ndarray of int64, shape (n_scenarios, n_skus, n_days)
        Units demanded; day index 0 is campaign day 1.
    weights : ndarray of float, shape (n_scenarios,)
        Scenario probabilities (sum to 1). A deterministic plan has one scenario.
    labels : tuple of str, optional
        Scenario names as read (``demand.csv``'s ``scenario`` column, sorted); ``None`` names
        them ``"0", "1", ...`` (see :meth:`scenario_labels`).
    """

    units: np.ndarray
    weights: np.ndarray
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        u = np.asarray(self.units)
        if u.ndim != 3:
            raise InputError("demand units must have shape (scenarios, skus, days).", value=u.shape)
        if (u < 0).any():
            raise InputError("demand must be >= 0.", value=int(u.min()))
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (u.shape[0],) or (w < 0).any() or abs(w.sum() - 1) > 1e-9:
            raise InputError(
                "scenario weights must be >= 0, one per scenario, summing to 1.", value=w.tolist()
            )
        if u.size and not np.issubdtype(u.dtype, np.integer):
            uf = u.astype(float)
            if not np.isfinite(uf).all() or (np.abs(uf - np.round(uf)) > 1e-9).any():
                raise InputError(
                    "demand must be whole units; round a forecast first (e.g. "
                    "presale_supply.forecast.to_planner_demand keeps running totals).",
                    column="units",
                    value=float(uf[np.abs(uf - np.round(uf)) > 1e-9].flat[0])
                    if np.isfinite(uf).all()
                    else "NaN or inf",
                )
            u = np.round(uf)
        object.__setattr__(self, "units", _readonly(u.astype(np.int64)))
        object.__setattr__(self, "weights", _readonly(w))
        if self.labels is not None:
            labels = tuple(str(x) for x in self.labels)
            if len(labels) != u.shape[0] or len(set(labels)) != len(labels):
                raise InputError(
                    "scenario labels must be distinct, one per scenario.", value=list(labels)
                )
            object.__setattr__(self, "labels", labels)

    def scenario_labels(self) -> tuple[str, ...]:
        """Scenario names: :attr:`labels`, or ``"0", "1", ...`` when none were given."""
        if self.labels is not None:
            return self.labels
        return tuple(str(s) for s in range(self.n_scenarios))

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return int(self.units.shape[0])

    def expected(self) -> np.ndarray:
        """Probability-weighted mean demand, shape (n_skus, n_days), float."""
        return np.tensordot(self.weights, self.units.astype(float), axes=1)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        sku_ids: Sequence[str],
        n_days: int,
        *,
        source: str = "demand",
    ) -> Demand:
        """Validate a long demand table ``sku, day, units`` (optionally ``scenario, weight``).

        Every (scenario, SKU, day) must appear at most once; a missing (SKU, day) means zero
        demand. ``day`` runs from 1 to ``n_days``. Scenarios are equally likely unless a
        ``weight`` column gives their probabilities.

        Raises
        ------
        InputError
            Unknown SKU, day outside the campaign, negative or non-whole units, duplicate rows.
        """
        optional = ["scenario", "weight"]
        require_columns(df, ["sku", "day", "units"], optional, source)
        df = df.reset_index(drop=True)
        skus = string_column(df, "sku", source)
        index = {s: k for k, s in enumerate(sku_ids)}
        pos = np.empty(len(df), dtype=np.int64)
        for k, s in enumerate(skus):
            j = index.get(s)
            if j is None:
                raise InputError(
                    f"unknown sku {s!r}: it is not in the SKU table ({len(index)} SKUs). Add it "
                    "there or remove the demand row.",
                    file=source,
                    row=k + 1,
                    column="sku",
                    value=s,
                )
            pos[k] = j
        day = numeric_column(df, "day", source, minimum=1, maximum=n_days, integer=True)
        units = numeric_column(df, "units", source, minimum=0, integer=True)
        if "scenario" in df.columns:
            scen_labels = string_column(df, "scenario", source)
            labels, scen = np.unique(scen_labels, return_inverse=True)
        else:
            labels, scen = np.array(["0"]), np.zeros(len(df), dtype=np.int64)
        n_s = len(labels)
        key = (scen * len(index) + pos) * n_days + (day - 1)
        uniq, counts = np.unique(key, return_counts=True)
        if (counts > 1).any():
            dup_key = uniq[counts > 1][0]
            rows = np.flatnonzero(key == dup_key)[:2] + 1
            where = (
                f" of scenario {str(labels[scen[rows[0] - 1]])!r}"
                if "scenario" in df.columns
                else ""
            )
            once = "once per scenario" if "scenario" in df.columns else "once"
            raise InputError(
                f"duplicate demand row: sku {skus[rows[0] - 1]!r} day {int(day[rows[0] - 1])}"
                f"{where} appears in rows {rows[0]} and {rows[1]}; give each (sku, day) {once}.",
                file=source,
                row=int(rows[1]),
                column="day",
            )
        arr = np.zeros((n_s, len(index), n_days), dtype=np.int64)
        arr[scen, pos, day - 1] = units
        if "weight" in df.columns:
            w_col = numeric_column(df, "weight", source, minimum=0)
            weights = np.zeros(n_s)
            for s in range(n_s):
                ws = np.unique(w_col[scen == s])
                if len(ws) != 1:
                    raise InputError(
                        f"scenario {labels[s]!r} has different weights on different rows.",
                        file=source,
                        column="weight",
                        value=ws.tolist(),
                    )
                weights[s] = ws[0]
            if abs(weights.sum() - 1) > 1e-6:
                shown = [f"{labels[s]}: {weights[s]:.10g}" for s in range(min(n_s, 12))]
                if n_s > 12:
                    shown.append(f"... ({n_s} scenarios)")
                raise InputError(
                    f"scenario weights must sum to 1 (within 1e-6) but sum to "
                    f"{weights.sum():.10g} ({', '.join(shown)}). Leave out the weight column "
                    "for equal weights, or give weights with more digits.",
                    file=source,
                    column="weight",
                )
            weights = weights / weights.sum()
        else:
            weights = np.full(n_s, 1.0 / n_s)
        return cls(
            arr, weights, tuple(str(x) for x in labels) if "scenario" in df.columns else None
        )


@dataclass(frozen=True)
class Policy:
    """Planning policy; the defaults are the campaign plan's numbers.

    Parameters
    ----------
    rounds : tuple of int, optional
        Day numbers on which orders may be placed; the first is the lock round. Days may be
        <= 0 (before the campaign; day 0 is the day before day 1). Default (``None``): the lock
        round is placed ``max lead time`` days before the presale stage opens, so every lock
        order arrives before presale; then one round at the start of each later stage except the
        last one (ordering at the start of clearance contradicts clearing stock).
    lock_ratio : float
        Share of each SKU's expected campaign demand that the first round must order (0.30).
    capacity_buffer : float
        Share of capacity kept in reserve by suppliers under a capacity-guarantee agreement:
        their daily load is at most ``floor(capacity x (1 - buffer))`` (0.15).
    shortage : Shortage
        Lost sales (default), backlog, or none (demand must be met).
    storage_capacity : float, optional
        Most units on hand over all SKUs at the end of any day.
    budget : float, optional
        Most total purchase cost (unit cost x units ordered).
    lock_net_of_stock : bool
        If true, the lock is ``ceil(lock_ratio x expected demand) - initial stock`` (at least 0):
        stock already on hand counts towards it. Default false, as the campaign plan states it.
    sell_through_target : float
        Reported against the plan's sell-through (0.60); not a constraint.
    integer_quantities : bool
        Whole units (default). False makes order, production, stock and sales quantities
        continuous (as in the classic lot-sizing literature, whose reference optima assume it);
        orders stay whole packs only in the integer model. Continuous quantities need an
        LP-based backend (SCIP, HiGHS, CBC), not CP-SAT.
    """

    rounds: tuple[int, ...] | None = None
    lock_ratio: float = 0.30
    capacity_buffer: float = 0.15
    shortage: Shortage = Shortage.LOST_SALES
    storage_capacity: float | None = None
    budget: float | None = None
    lock_net_of_stock: bool = False
    sell_through_target: float = 0.60
    integer_quantities: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.integer_quantities, bool):
            raise InputError(
                "integer_quantities must be true or false.",
                column="integer_quantities",
                value=self.integer_quantities,
            )
        if not isinstance(self.lock_net_of_stock, bool):
            raise InputError(
                "lock_net_of_stock must be true or false.",
                column="lock_net_of_stock",
                value=self.lock_net_of_stock,
            )
        for name in ("lock_ratio", "capacity_buffer", "sell_through_target"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or math.isnan(v)
                or not (0 <= v <= 1)
            ):
                raise InputError(f"{name} must be a number between 0 and 1.", column=name, value=v)
        try:
            object.__setattr__(self, "shortage", Shortage(self.shortage))
        except ValueError:
            raise InputError(
                f"shortage must be one of {[s.value for s in Shortage]}.",
                column="shortage",
                value=self.shortage,
            ) from None
        if self.rounds is not None:
            r = tuple(self.rounds)
            if not r or any(isinstance(x, bool) or not isinstance(x, int | np.integer) for x in r):
                raise InputError(
                    "rounds must be a non-empty list of whole day numbers.",
                    column="rounds",
                    value=list(r),
                )
            if list(r) != sorted(set(r)):
                raise InputError(
                    "rounds must be strictly increasing day numbers.",
                    column="rounds",
                    value=list(r),
                )
            object.__setattr__(self, "rounds", tuple(int(x) for x in r))
        for name in ("storage_capacity", "budget"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | float) or v < 0 or math.isnan(v)):
                raise InputError(f"{name} must be a number >= 0 (or absent).", column=name, value=v)


@dataclass(frozen=True, eq=False)
class Problem:
    """A complete, validated planning problem.

    Parameters
    ----------
    campaign : Campaign
    skus : Skus
    suppliers : Suppliers
    demand : Demand
        Shape (n_scenarios, n_skus, campaign.n_days).
    policy : Policy
    capacity : ndarray, optional
        Capacity per supplier and day, shape (n_suppliers, n_capacity_days), covering days
        ``first_day .. n_days``; default: each supplier's ``capacity_per_day`` every day.
    lock : ndarray, optional
        Units each SKU's first round must order, shape (n_skus,), overriding
        ``lock_ratio x expected demand``: a re-plan or a perfect-foresight plan on realised
        demand keeps the lock that was set on the forecast. Rounded up to whole packs.

    Raises
    ------
    InputError
        A SKU names an unknown supplier, demand has the wrong shape, or a round day makes no
        sense (after the campaign).
    """

    campaign: Campaign
    skus: Skus
    suppliers: Suppliers
    demand: Demand
    policy: Policy = field(default_factory=Policy)
    capacity: np.ndarray | None = None
    lock: np.ndarray | None = None
    sku_supplier: np.ndarray = field(init=False)
    rounds: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        index = self.suppliers.index()
        sup = np.empty(len(self.skus), dtype=np.int64)
        for k, s in enumerate(self.skus.supplier):
            if s not in index:
                raise InputError(
                    f"unknown supplier {s!r} for sku {self.skus.ids[k]!r}; known suppliers: "
                    f"{sorted(index)[:20]}.",
                    file=self.skus.source,
                    row=k + 1,
                    column="supplier",
                    value=s,
                )
            sup[k] = index[s]
        object.__setattr__(self, "sku_supplier", _readonly(sup))
        sk = self.skus
        above = np.flatnonzero(sk.clearance_price > sk.unit_cost + 1e-12)
        if len(above):
            k = int(above[0])
            raise InputError(
                f"clearance price {sk.clearance_price[k]:g} is above the unit cost "
                f"{sk.unit_cost[k]:g} for sku {sk.ids[k]!r}: every unit bought would pay for "
                "itself at clearance, so the plan would buy as much as capacity allows. A "
                "clearance price is at most the unit cost.",
                file=sk.source,
                row=k + 1,
                column="clearance_price",
                value=sk.clearance_price[k],
            )
        if self.policy.shortage is not Shortage.NONE:
            low = np.flatnonzero(sk.shortage_penalty + 1e-12 < sk.clearance_price)
            if len(low):
                k = int(low[0])
                raise InputError(
                    f"shortage penalty {sk.shortage_penalty[k]:g} is below the clearance price "
                    f"{sk.clearance_price[k]:g} for sku {sk.ids[k]!r}: the plan would rather "
                    "keep stock for clearance than serve a customer. The penalty of a lost "
                    "sale must be at least the clearance price.",
                    file=sk.source,
                    row=k + 1,
                    column="shortage_penalty",
                    value=sk.shortage_penalty[k],
                )
        T = self.campaign.n_days
        if self.demand.units.shape[1:] != (len(self.skus), T):
            raise InputError(
                f"demand must cover {len(self.skus)} SKUs x {T} days.",
                value=self.demand.units.shape,
            )
        rounds = self.policy.rounds if self.policy.rounds is not None else self.default_rounds()
        if rounds[-1] > T:
            raise InputError(
                f"order rounds must be on or before the last day {T}.",
                column="rounds",
                value=list(rounds),
            )
        object.__setattr__(self, "rounds", tuple(rounds))
        n_cap = T - self.first_day + 1
        if self.capacity is None:
            cap = np.repeat(self.suppliers.capacity_per_day[:, None], n_cap, axis=1)
        else:
            cap = np.asarray(self.capacity, dtype=float)
            if (
                cap.shape != (len(self.suppliers), n_cap)
                or not np.isfinite(cap).all()
                or (cap < 0).any()
            ):
                raise InputError(
                    f"capacity must be a finite non-negative array of shape "
                    f"({len(self.suppliers)}, {n_cap}) (suppliers x days {self.first_day}..{T}).",
                    column="capacity",
                    value=cap.shape,
                )
        object.__setattr__(self, "capacity", _readonly(cap))
        if self.lock is not None:
            lk = np.asarray(self.lock, dtype=float)
            if lk.shape != (len(self.skus),) or not np.isfinite(lk).all() or (lk < 0).any():
                raise InputError(
                    f"lock must be {len(self.skus)} finite non-negative unit counts, one per SKU.",
                    column="lock",
                    value=lk.shape,
                )
            object.__setattr__(self, "lock", _readonly(lk))

    def default_rounds(self) -> tuple[int, ...]:
        """The policy's default order rounds for this campaign (see :class:`Policy`)."""
        starts = self.campaign.stage_starts()
        names = [s.name for s in self.campaign.stages]
        target = starts.get("presale", starts[names[1]] if len(names) > 1 else 1)
        max_lead = int(self.suppliers.lead_time_days.max()) if len(self.suppliers) else 0
        lock = target - max_lead
        later = [starts[n] for n in names[:-1] if starts[n] >= target]
        return tuple(sorted({lock, *later}))

    @property
    def n_days(self) -> int:
        """Campaign length T."""
        return self.campaign.n_days

    @property
    def first_day(self) -> int:
        """First day on which a supplier may work for the plan (the earliest round, or 1)."""
        return min(1, min(self.rounds))

    def capacity_limit(self) -> np.ndarray:
        """Most capacity units a plan may load per supplier and day.

        ``floor(capacity x (1 - buffer))`` for suppliers under a capacity-guarantee agreement,
        ``capacity`` for the others (both rounded down to 1e-9 to keep float noise out).
        """
        cap = np.asarray(self.capacity)
        buf = self.policy.capacity_buffer
        net = np.floor(cap * (1.0 - buf) + 1e-9)
        return np.where(self.suppliers.capacity_guarantee[:, None], net, cap)

    def arrival_day(self, round_day: int, supplier: int) -> int:
        """Day an order placed on ``round_day`` with ``supplier`` arrives."""
        return round_day + int(self.suppliers.lead_time_days[supplier])

    def production_days(self, round_day: int, supplier: int) -> range:
        """Days on which an order of ``round_day`` is made: from the order day to the day
        before arrival (just the order day for a lead time of 0)."""
        lead = int(self.suppliers.lead_time_days[supplier])
        return range(round_day, round_day + max(lead, 1))

    def lock_units(self) -> np.ndarray:
        """Units each SKU's first round must order: ``ceil(lock_ratio x expected demand)`` (less
        initial stock with ``lock_net_of_stock``), or the ``lock`` given, rounded up to whole
        packs."""
        if self.lock is not None:
            packs = np.ceil(np.asarray(self.lock) / self.skus.pack_size - 1e-9)
            return (packs * self.skus.pack_size).astype(np.int64)
        expected = self.demand.expected().sum(axis=1)
        need = np.ceil(self.policy.lock_ratio * expected - 1e-9).clip(min=0)
        if self.policy.lock_net_of_stock:
            need = (need - self.skus.initial_stock).clip(min=0)
        packs = np.ceil(need / self.skus.pack_size - 1e-9)
        return (packs * self.skus.pack_size).astype(np.int64)
