"""Builders and helpers shared by the replenishment tests.

Nothing here knows an answer: the builders only turn plain numbers into planner objects, and
:func:`run` calls :func:`presale_supply.replenishment.solve.solve` (which itself runs the HiGHS
backends in a fresh child process; test_backend_isolation.py covers why).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from presale_supply.backends.base import BACKENDS, get_backend
from presale_supply.campaign import Campaign, Stage
from presale_supply.data import Demand, Policy, Problem, Skus, Suppliers
from presale_supply.exceptions import SolverUnavailableError
from presale_supply.lotsizing import LotSizingInstance, lot_sizing_problem
from presale_supply.replenishment.plan import PlanResult
from presale_supply.replenishment.solve import solve

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TRIGEIRO = SHARED / "lotsizing" / "trigeiro"

ALL_BACKENDS = tuple(BACKENDS)


SHORT_STAGES = (
    Stage("warm-up", 2),
    Stage("presale", 3),
    Stage("replenishment", 2),
    Stage("clearance", 1),
)


def require_backend(name: str) -> None:
    """Skip the calling test when ``name`` cannot be loaded (package not installed)."""
    try:
        get_backend(name)
    except SolverUnavailableError as exc:
        pytest.skip(f"backend {name!r} unavailable: {exc}")


def run(problem: Problem, backend: str, **kwargs: Any) -> PlanResult:
    """``solve(problem, backend, **kwargs)``, skipping when the backend is unavailable."""
    require_backend(backend)
    return solve(problem, backend, **kwargs)


# ---- lot sizing -------------------------------------------------------------------------------
def lot_sizing(
    demand: Sequence[Sequence[int]] | np.ndarray,
    *,
    holding: Sequence[float],
    setup_cost: Sequence[float],
    unit_cost: Sequence[float] | None = None,
    capacity: float | Sequence[float] | None = None,
    unit_time: Sequence[float] | None = None,
    setup_time: Sequence[float] | None = None,
    name: str = "lot_sizing",
) -> Problem:
    """A lot-sizing :class:`Problem` (via :func:`lot_sizing_problem`) from plain numbers.

    Without ``capacity`` the instance is uncapacitated (capacity = total demand x unit time).
    """
    d = np.atleast_2d(np.asarray(demand, dtype=np.int64))
    n, t = d.shape
    b = np.ones(n) if unit_time is None else np.asarray(unit_time, dtype=float)
    st = np.zeros(n) if setup_time is None else np.asarray(setup_time, dtype=float)
    if capacity is None:
        cap = np.full(t, float((d.sum(axis=1) * b).sum() + st.sum() + 1))
    else:
        cap = np.broadcast_to(np.asarray(capacity, dtype=float), (t,)).copy()
    inst = LotSizingInstance(
        name=name,
        demand=d,
        capacity=cap,
        unit_time=b,
        holding_cost=np.asarray(holding, dtype=float),
        setup_time=st,
        setup_cost=np.asarray(setup_cost, dtype=float),
        unit_cost=np.zeros(n) if unit_cost is None else np.asarray(unit_cost, dtype=float),
    )
    return lot_sizing_problem(inst)


# ---- presale problems -------------------------------------------------------------------------
def presale_problem(
    *,
    demand: np.ndarray,
    sku_supplier: Sequence[int],
    capacity: Sequence[float],
    lead: Sequence[int],
    unit_cost: Sequence[float] | None = None,
    holding: Sequence[float] | None = None,
    order_cost: Sequence[float] | None = None,
    pack: Sequence[int] | None = None,
    moq: Sequence[float] | None = None,
    penalty: Sequence[float] | None = None,
    backlog_cost: Sequence[float] | None = None,
    clearance: Sequence[float] | None = None,
    initial: Sequence[int] | None = None,
    capacity_per_unit: Sequence[float] | None = None,
    capacity_per_order: Sequence[float] | None = None,
    guarantee: Sequence[bool] | None = None,
    fixed_order_cost: Sequence[float] | None = None,
    stages: Sequence[Stage] = SHORT_STAGES,
    policy: Policy | None = None,
    capacity_days: np.ndarray | None = None,
) -> Problem:
    """A presale :class:`Problem` built directly from plain numbers (SKUs ``A, B, ...``,
    suppliers ``S1, S2, ...``). ``demand`` has shape (n_skus, n_days)."""
    d = np.asarray(demand, dtype=np.int64)
    n = d.shape[0]
    n_sup = len(capacity)

    def col(values: Sequence[Any] | None, default: Any) -> list[Any]:
        return [default] * n if values is None else list(values)

    sku_cols: dict[str, list[Any]] = {
        "sku": [chr(ord("A") + k) for k in range(n)],
        "category": ["cat"] * n,
        "supplier": [f"S{s + 1}" for s in sku_supplier],
        "unit_cost": col(unit_cost, 5.0),
        "holding_cost": col(holding, 0.1),
        "order_cost": col(order_cost, 10.0),
        "pack_size": col(pack, 1),
        "moq": col(moq, 0.0),
        "shortage_penalty": col(penalty, 20.0),
        "backlog_cost": col(backlog_cost, 0.0),
        "clearance_price": col(clearance, 1.0),
        "initial_stock": col(initial, 0),
        "capacity_per_unit": col(capacity_per_unit, 1.0),
        "capacity_per_order": col(capacity_per_order, 0.0),
    }
    skus = Skus.from_frame(pd.DataFrame(sku_cols), source="skus.csv")
    sups = Suppliers.from_frame(
        pd.DataFrame(
            {
                "supplier": [f"S{s + 1}" for s in range(n_sup)],
                "capacity_per_day": list(capacity),
                "lead_time_days": list(lead),
                "fixed_order_cost": [0.0] * n_sup if fixed_order_cost is None else fixed_order_cost,
                "capacity_guarantee": [True] * n_sup if guarantee is None else list(guarantee),
            }
        ),
        source="suppliers.csv",
    )
    return Problem(
        campaign=Campaign(tuple(stages)),
        skus=skus,
        suppliers=sups,
        demand=Demand(d[None], np.ones(1)),
        policy=policy if policy is not None else Policy(),
        capacity=capacity_days,
    )


__all__ = [
    "ALL_BACKENDS",
    "SHARED",
    "SHORT_STAGES",
    "TRIGEIRO",
    "lot_sizing",
    "presale_problem",
    "require_backend",
    "run",
]


def fractional_two_suppliers() -> Problem:
    """Two suppliers whose capacity binds, at 0.7 and 0.9 capacity units per unit, with
    continuous quantities: the optimal orders are fractional (51 / 0.7 = 72.86 a round)."""
    return presale_problem(
        demand=np.full((2, 8), 60, dtype=int),
        sku_supplier=[0, 1],
        capacity=[60.0, 61.0],
        capacity_per_unit=[0.7, 0.9],
        lead=[1, 1],
        pack=[1, 1],
        penalty=[50.0, 50.0],
        policy=Policy(integer_quantities=False, lock_ratio=0.1),
    )
