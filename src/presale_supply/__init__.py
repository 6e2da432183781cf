"""presale_supply: supply planning for e-commerce presale campaigns.

Three capabilities that work together: a staged replenishment planner (a mixed-integer program
solved by OR-Tools or PuLP behind one solver-agnostic model), a demand forecaster, and a logistics
SLA checker for a 48-hour delivery promise.

The names below are imported on first use, so ``import presale_supply`` stays cheap and never
imports a solver package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Campaign": "presale_supply.campaign",
    "Stage": "presale_supply.campaign",
    "Demand": "presale_supply.data",
    "Policy": "presale_supply.data",
    "Problem": "presale_supply.data",
    "Shortage": "presale_supply.data",
    "Skus": "presale_supply.data",
    "Suppliers": "presale_supply.data",
    "Status": "presale_supply.backends.base",
    "available_backends": "presale_supply.backends.base",
    "check_plan": "presale_supply.replenishment.checker",
    "PlanResult": "presale_supply.replenishment.plan",
    "solve": "presale_supply.replenishment.solve",
    "read_problem_dir": "presale_supply.io",
    "write_problem_dir": "presale_supply.io",
}

__all__ = [
    "Campaign",
    "Demand",
    "PlanResult",
    "Policy",
    "Problem",
    "Shortage",
    "Skus",
    "Stage",
    "Status",
    "Suppliers",
    "available_backends",
    "check_plan",
    "read_problem_dir",
    "solve",
    "write_problem_dir",
]

if TYPE_CHECKING:  # pragma: no cover
    from presale_supply.backends.base import Status, available_backends
    from presale_supply.campaign import Campaign, Stage
    from presale_supply.data import Demand, Policy, Problem, Shortage, Skus, Suppliers
    from presale_supply.io import read_problem_dir, write_problem_dir
    from presale_supply.replenishment.checker import check_plan
    from presale_supply.replenishment.plan import PlanResult
    from presale_supply.replenishment.solve import solve


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'presale_supply' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
