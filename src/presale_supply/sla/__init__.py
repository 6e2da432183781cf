"""Logistics SLA checker for the 48-hour promise: audit, predict, warn, size capacity.

See ``docs/sla.md``. Modules: :mod:`.orders` (canonical order table), :mod:`.promise` (promise
rules), :mod:`.audit` (actual outcomes and data quality), :mod:`.network` (warehouses, carriers,
lanes), :mod:`.simulate` (FIFO capacity queue and predictions), :mod:`.warn` (warnings and their
back-test), :mod:`.size` (capacity sizing), :mod:`.example` (a synthetic campaign).
"""

from __future__ import annotations

from presale_supply.sla.audit import AuditResult, OrderStatus, QualityIssue, audit
from presale_supply.sla.orders import Category, ColumnMapping, OrderTable, read_orders
from presale_supply.sla.promise import (
    BusinessCalendar,
    Granularity,
    PromiseAnchor,
    PromiseClock,
    PromiseRule,
)

__all__ = [
    "AuditResult",
    "BusinessCalendar",
    "Category",
    "ColumnMapping",
    "Granularity",
    "OrderStatus",
    "OrderTable",
    "PromiseAnchor",
    "PromiseClock",
    "PromiseRule",
    "QualityIssue",
    "audit",
    "read_orders",
]
