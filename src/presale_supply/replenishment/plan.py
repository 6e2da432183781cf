"""The frozen result of a planning run: status, objective, bound, gap, and the plan as tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.backends.base import Status
from presale_supply.data import Problem, Shortage
from presale_supply.replenishment.checker import CheckReport, PlanArrays

__all__ = ["PlanResult"]


@dataclass(frozen=True, eq=False)
class PlanResult:
    """Outcome of :func:`presale_supply.solve`.

    Attributes
    ----------
    status : Status
        OPTIMAL (proven within the gap tolerance), FEASIBLE (stopped at a limit; see ``gap``),
        INFEASIBLE, UNBOUNDED, NO_SOLUTION or ERROR.
    objective : float or None
        Total cost of the plan, recomputed by the independent checker.
    bound : float or None
        Best proven lower bound on the cost.
    gap : float or None
        ``|objective - bound| / |objective|``.
    solver : str
        Backend and solver version.
    seconds : float
        Wall time of the whole call (build, solve, check).
    message : str
        Solver's termination words and notes.
    problem : Problem
    arrays : PlanArrays or None
        The decisions (None without a solution).
    check : CheckReport or None
        The checker's report (always ``ok`` for a returned plan).
    model_size : dict
        Variables, integer variables, rows and non-zeros of the model.
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    seconds: float
    message: str
    problem: Problem = field(repr=False)
    arrays: PlanArrays | None = field(default=None, repr=False)
    check: CheckReport | None = field(default=None, repr=False)
    model_size: dict[str, int | str] = field(default_factory=dict)
    diagnosis: tuple[str, ...] = ()

    # ---- tables -----------------------------------------------------------------------------
    def _need(self) -> PlanArrays:
        if self.arrays is None:
            raise ValueError(f"no plan: the solve ended {self.status.value}. {self.message}")
        return self.arrays

    @property
    def orders(self) -> pd.DataFrame:
        """One row per order placed: ``sku, supplier, round, order_day, arrival_day, quantity,
        packs``. ``round`` is 1 for the lock round."""
        a = self._need()
        p = self.problem
        i, r = np.nonzero(a.order_units > 0)
        sup = p.sku_supplier[i]
        lead = p.suppliers.lead_time_days[sup]
        order_day = np.asarray(p.rounds)[r]
        return pd.DataFrame(
            {
                "sku": np.asarray(p.skus.ids, dtype=object)[i],
                "supplier": np.asarray(p.suppliers.ids, dtype=object)[sup],
                "round": r + 1,
                "order_day": order_day,
                "arrival_day": order_day + lead,
                "quantity": a.order_units[i, r].astype(np.int64),
                "packs": (a.order_units[i, r] // p.skus.pack_size[i]).astype(np.int64),
            }
        )

    @property
    def inventory(self) -> pd.DataFrame:
        """One row per SKU and day: ``sku, day, demand, on_hand, sold, short`` (``short`` is
        lost demand, or with backlog the units waiting at the end of the day)."""
        a = self._need()
        p = self.problem
        N, T = a.sold.shape
        d = p.demand.units[0]
        short = a.backlog if p.policy.shortage is Shortage.BACKLOG else d - a.sold
        return pd.DataFrame(
            {
                "sku": np.repeat(np.asarray(p.skus.ids, dtype=object), T),
                "day": np.tile(np.arange(1, T + 1), N),
                "demand": d.ravel(),
                "on_hand": a.on_hand.ravel().astype(np.int64),
                "sold": a.sold.ravel().astype(np.int64),
                "short": np.asarray(short).ravel().astype(np.int64),
            }
        )

    @property
    def capacity(self) -> pd.DataFrame:
        """One row per supplier and day with any capacity: ``supplier, day, used, capacity,
        limit, utilisation`` (used / capacity)."""
        self._need()
        assert self.check is not None
        p = self.problem
        used, lim = self.check.capacity_used, self.check.capacity_limit
        cap = np.asarray(p.capacity)
        S, D = used.shape
        days = np.arange(p.first_day, p.first_day + D)
        util = np.divide(used, cap, out=np.zeros_like(used), where=cap > 0)
        return pd.DataFrame(
            {
                "supplier": np.repeat(np.asarray(p.suppliers.ids, dtype=object), D),
                "day": np.tile(days, S),
                "used": used.ravel(),
                "capacity": cap.ravel(),
                "limit": lim.ravel(),
                "utilisation": util.ravel(),
            }
        )

    @property
    def production(self) -> pd.DataFrame:
        """Production schedule: ``sku, supplier, round, day, units``."""
        a = self._need()
        p = self.problem
        keep = a.prod_units > 0
        i = a.prod_sku[keep]
        return pd.DataFrame(
            {
                "sku": np.asarray(p.skus.ids, dtype=object)[i],
                "supplier": np.asarray(p.suppliers.ids, dtype=object)[p.sku_supplier[i]],
                "round": a.prod_round[keep] + 1,
                "day": a.prod_day[keep],
                "units": a.prod_units[keep].astype(np.int64),
            }
        )

    # ---- KPIs -------------------------------------------------------------------------------
    def kpis(self) -> dict[str, Any]:
        """Fill rate, sell-through, lock ratio achieved per SKU, peak capacity utilisation.

        - fill rate = units sold / units demanded;
        - sell-through = units sold / (initial stock + units ordered);
        - lock ratio achieved = first-round units / expected campaign demand (per SKU);
        - peak utilisation = max over supplier-days of used / capacity, overall and separately
          for suppliers under a capacity-guarantee agreement (limit 1 - buffer) and without one
          (limit 1).
        """
        a = self._need()
        assert self.check is not None
        p = self.problem
        d = p.demand.units[0]
        sold = float(a.sold.sum())
        demand = float(d.sum())
        available = float(p.skus.initial_stock.sum() + a.order_units.sum())
        exp = d.sum(axis=1).astype(float)
        lock = np.divide(a.order_units[:, 0], exp, out=np.full(len(exp), np.nan), where=exp > 0)
        cap = np.asarray(p.capacity)
        util = np.divide(self.check.capacity_used, cap, out=np.zeros_like(cap), where=cap > 0)
        s, t = np.unravel_index(int(np.argmax(util)), util.shape) if util.size else (0, 0)
        agree = np.asarray(p.suppliers.capacity_guarantee, dtype=bool)
        peak_agree = float(util[agree].max()) if util.size and agree.any() else None
        peak_other = float(util[~agree].max()) if util.size and (~agree).any() else None
        return {
            "fill_rate": sold / demand if demand else 1.0,
            "sell_through": sold / available if available else 0.0,
            "sell_through_target": p.policy.sell_through_target,
            "units_demanded": int(demand),
            "units_sold": int(sold),
            "units_ordered": int(a.order_units.sum()),
            "units_left_at_end": int(a.on_hand[:, -1].sum()),
            "orders_placed": int((a.order_units > 0).sum()),
            "lock_ratio_achieved": {
                sku: (None if np.isnan(x) else round(float(x), 6))
                for sku, x in zip(p.skus.ids, lock, strict=True)
            },
            "lock_ratio_min": float(np.nanmin(lock)) if np.isfinite(lock).any() else None,
            "peak_capacity_utilisation": float(util.max()) if util.size else 0.0,
            "peak_capacity_at": {
                "supplier": p.suppliers.ids[int(s)],
                "day": int(t) + p.first_day,
            }
            if util.size
            else None,
            "capacity_limit_share": 1.0 - p.policy.capacity_buffer,
            "peak_utilisation_under_agreement": peak_agree,
            "peak_utilisation_without_agreement": peak_other,
        }

    def summary(self) -> dict[str, Any]:
        """Everything of ``summary.json``: status, objective, bound, gap, solver, seconds,
        cost breakdown and KPIs."""
        out: dict[str, Any] = {
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solver": self.solver,
            "seconds": round(self.seconds, 3),
            "message": self.message,
            "model_size": self.model_size,
        }
        if self.diagnosis:
            out["diagnosis"] = list(self.diagnosis)
        if self.arrays is not None and self.check is not None:
            out["costs"] = {k: round(v, 6) for k, v in self.check.costs.items()}
            out["kpis"] = self.kpis()
        return out

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``orders.csv``, ``inventory.csv``, ``capacity.csv``, ``production.csv`` and
        ``summary.json`` into ``out_dir`` (created if needed); return the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        if self.arrays is not None:
            for name, df in (
                ("orders", self.orders),
                ("inventory", self.inventory),
                ("capacity", self.capacity),
                ("production", self.production),
            ):
                path = out / f"{name}.csv"
                df.to_csv(path, index=False, float_format="%.6g")
                paths.append(path)
        path = out / "summary.json"
        path.write_text(json.dumps(self.summary(), indent=2) + "\n")
        paths.append(path)
        return paths
