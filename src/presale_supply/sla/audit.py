"""Audit: on-time flags from actual timestamps, rates by any grouping, and data quality.

Every input row gets exactly one status (:class:`OrderStatus`):

* ``ON_TIME`` -- the promised event (delivery, or hand-over for ship-by promises) happened at or
  before the deadline;
* ``LATE`` -- it happened after the deadline, or (with ``as_of``) had not happened by ``as_of``
  although the deadline had passed;
* ``NOT_ELIGIBLE`` -- the lane carries no promise (never counted as late);
* ``UNDETERMINED`` -- the outcome cannot be decided: the event has not happened (yet) or the
  deadline is unknown because a timestamp is missing.

``rate = on_time / (on_time + late)``; the numerator and the denominator are always reported.
Faulty rows (:class:`QualityIssue`) are flagged, counted and kept: a row delivered before it
was shipped is still audited on its delivery time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.sla._time import DAY_NS, HOUR_NS, NAT, LocalDays, iso_day, to_datetime_index
from presale_supply.sla.orders import Category, OrderTable
from presale_supply.sla.promise import (
    PromiseAnchor,
    PromiseClock,
    PromiseRule,
    compute_promises,
)

__all__ = [
    "GROUP_KEYS",
    "AuditResult",
    "OrderStatus",
    "QualityIssue",
    "audit",
    "group_codes",
    "status_counts",
]


class OrderStatus(IntEnum):
    """Outcome of one order against its promise."""

    ON_TIME = 0
    LATE = 1
    NOT_ELIGIBLE = 2
    UNDETERMINED = 3

    @property
    def label(self) -> str:
        """Lower-case name used in tables and JSON."""
        return self.name.lower()


class QualityIssue(Enum):
    """Kinds of faulty rows; the value is the bit used in the per-row flag word."""

    DUPLICATE_ORDER_ID = 1 << 0
    MISSING_PAID_AT = 1 << 1
    MISSING_ORIGIN = 1 << 2
    MISSING_DESTINATION = 1 << 3
    MISSING_PROMISED_BY = 1 << 4
    SHIPPED_BEFORE_PAID = 1 << 5
    DELIVERED_BEFORE_SHIPPED = 1 << 6
    DELIVERED_BEFORE_PAID = 1 << 7
    DELIVERED_WITHOUT_SHIPPED_AT = 1 << 8
    STATUS_DELIVERED_WITHOUT_DELIVERED_AT = 1 << 9

    @property
    def label(self) -> str:
        """Lower-case name used in tables and JSON."""
        return self.name.lower()


GROUP_KEYS: tuple[str, ...] = (
    "origin",
    "destination",
    "lane",
    "warehouse",
    "carrier",
    "sku",
    "status",
    "paid_day",
    "paid_hour",
    "deadline_day",
)

_COUNT_NAMES = ("on_time", "late", "not_eligible", "undetermined")


def _quality_flags(
    orders: OrderTable, clock: PromiseClock, delivered_statuses: Sequence[str]
) -> np.ndarray:
    n = len(orders)
    flags = np.zeros(n, dtype=np.uint16)

    def mark(mask: np.ndarray, issue: QualityIssue) -> None:
        flags[mask] |= np.uint16(issue.value)

    key = orders.order_key
    if n:
        counts = np.bincount(key)
        mark(counts[key] > 1, QualityIssue.DUPLICATE_ORDER_ID)
    paid, ship, dlv = orders.paid_at, orders.shipped_at, orders.delivered_at
    has_paid, has_ship, has_dlv = paid != NAT, ship != NAT, dlv != NAT
    mark(~has_paid, QualityIssue.MISSING_PAID_AT)
    mark(orders.origin.codes < 0, QualityIssue.MISSING_ORIGIN)
    mark(orders.destination.codes < 0, QualityIssue.MISSING_DESTINATION)
    if clock is PromiseClock.COLUMN:
        mark(orders.promised_by == NAT, QualityIssue.MISSING_PROMISED_BY)
    mark(has_ship & has_paid & (ship < paid), QualityIssue.SHIPPED_BEFORE_PAID)
    mark(has_dlv & has_ship & (dlv < ship), QualityIssue.DELIVERED_BEFORE_SHIPPED)
    mark(has_dlv & has_paid & (dlv < paid), QualityIssue.DELIVERED_BEFORE_PAID)
    if "shipped_at" in orders.present:
        mark(has_dlv & ~has_ship, QualityIssue.DELIVERED_WITHOUT_SHIPPED_AT)
    if "status" in orders.present and delivered_statuses:
        st = orders.status
        codes = [st.code_of(s) for s in delivered_statuses]
        is_dlv = np.isin(st.codes, np.asarray([c for c in codes if c >= 0], dtype=np.int32))
        mark(is_dlv & ~has_dlv, QualityIssue.STATUS_DELIVERED_WITHOUT_DELIVERED_AT)
    return flags


def _category_codes(cat: Category) -> tuple[np.ndarray, list[str]]:
    return cat.codes.astype(np.int64), [str(x) for x in cat.labels]


def group_codes(
    orders: OrderTable, key: str, *, deadline: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Integer codes (``-1`` = missing) and labels of one grouping key (see :data:`GROUP_KEYS`).

    Raises
    ------
    InputError
        If ``key`` is not a known grouping key.
    """
    if key in ("origin", "destination", "warehouse", "carrier", "sku", "status"):
        return _category_codes(getattr(orders, key))
    if key == "lane":
        o, d = orders.origin, orders.destination
        nd = len(d.labels) + 1
        combo = (o.codes.astype(np.int64) + 1) * nd + (d.codes.astype(np.int64) + 1)
        uniq, inv = np.unique(combo, return_inverse=True)
        ol = ["?", *[str(x) for x in o.labels]]
        dl = ["?", *[str(x) for x in d.labels]]
        labels = [f"{ol[u // nd]}->{dl[u % nd]}" for u in uniq.tolist()]
        return inv.astype(np.int64), labels
    if key in ("paid_day", "paid_hour", "deadline_day"):
        inst = orders.paid_at if key != "deadline_day" else deadline
        if inst is None:
            raise InputError("deadline_day needs the deadlines of an audit.", value=key)
        ok = inst != NAT
        codes = np.full(len(inst), -1, dtype=np.int64)
        if not ok.any():
            return codes, []
        if key == "paid_hour":
            # The local wall-clock hour (on a DST day 03:30 after a spring-forward gap is the
            # 03:00 hour, not the third hour since midnight; the repeated autumn hour is one
            # label for both passes of the clock).
            wall = _local_wall_ns(inst[ok], orders.tz)
            slot = (wall // DAY_NS) * 24 + (wall % DAY_NS) // HOUR_NS
        else:
            cov = LocalDays.around(orders.tz, inst)
            slot = cov.day_of(inst[ok])
        lo = int(slot.min())
        uniq, inv = np.unique(slot - lo, return_inverse=True)
        codes[ok] = inv
        if key == "paid_hour":
            labels = [f"{iso_day((u + lo) // 24)} {(u + lo) % 24:02d}:00" for u in uniq.tolist()]
        else:
            labels = [iso_day(u + lo) for u in uniq.tolist()]
        return codes, labels
    raise InputError(f"unknown grouping key; valid keys: {list(GROUP_KEYS)}.", value=key)


def _local_wall_ns(inst: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock time of UTC instants, as nanoseconds since 1970-01-01 local."""
    if tz == "UTC":
        return inst.astype(np.int64, copy=True)
    local = to_datetime_index(inst, tz).tz_localize(None)
    return np.asarray(local.asi8, dtype=np.int64)


def combine_groups(
    parts: Sequence[tuple[np.ndarray, list[str]]],
) -> tuple[np.ndarray, list[tuple[str | None, ...]]]:
    """Combine several groupings into one code per row and the tuple of labels per group."""
    n = len(parts[0][0]) if parts else 0
    combo = np.zeros(n, dtype=np.int64)
    sizes = []
    for codes, labels in parts:
        size = len(labels) + 1
        sizes.append(size)
        combo = combo * size + np.where(codes < 0, len(labels), codes)
    uniq, inv = np.unique(combo, return_inverse=True)
    keys: list[tuple[str | None, ...]] = []
    for u in uniq.tolist():
        out: list[str | None] = []
        rest = u
        for (_, labels), size in zip(reversed(parts), reversed(sizes), strict=True):
            c = rest % size
            rest //= size
            out.append(labels[c] if c < len(labels) else None)
        keys.append(tuple(reversed(out)))
    return inv.astype(np.int64), keys


def status_counts(
    status: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1
) -> np.ndarray:
    """Counts per group and status: array of shape ``(n_groups, 4)``."""
    s = status.astype(np.int64)
    if groups is None:
        return np.bincount(s, minlength=4).reshape(1, 4)
    return np.bincount(groups * 4 + s, minlength=n_groups * 4).reshape(n_groups, 4)


def _counts_dict(row: np.ndarray) -> dict[str, Any]:
    d: dict[str, Any] = {name: int(v) for name, v in zip(_COUNT_NAMES, row, strict=True)}
    decided = d["on_time"] + d["late"]
    d["total"] = int(row.sum())
    d["decided"] = decided
    d["rate"] = d["on_time"] / decided if decided else None
    return d


@dataclass(frozen=True)
class AuditResult:
    """Per-order outcome of an audit (arrays aligned with the input rows).

    Attributes
    ----------
    orders : OrderTable
    rule : PromiseRule
    deadline : ndarray of int64
        Inclusive deadline per order (UTC ns, ``NAT`` if unknown or not eligible).
    status : ndarray of int8
        :class:`OrderStatus` per order.
    flags : ndarray of uint16
        Bit set of :class:`QualityIssue` per order.
    """

    orders: OrderTable
    rule: PromiseRule
    deadline: np.ndarray
    status: np.ndarray
    flags: np.ndarray

    def overall(self) -> dict[str, Any]:
        """Counts and rate over every order."""
        return _counts_dict(status_counts(self.status)[0])

    def rates(self, by: Sequence[str]) -> pd.DataFrame:
        """On-time counts and rate per group, one row per group (numerator and denominator).

        Parameters
        ----------
        by : sequence of str
            Grouping keys from :data:`GROUP_KEYS` (e.g. ``["origin", "destination"]``).

        Raises
        ------
        InputError
            For an unknown grouping key.
        """
        by = list(by)
        if not by:
            return pd.DataFrame([self.overall()])
        parts = [group_codes(self.orders, k, deadline=self.deadline) for k in by]
        inv, keys = combine_groups(parts)
        counts = status_counts(self.status, inv, len(keys))
        rows = []
        for key, row in zip(keys, counts, strict=True):
            rows.append({**dict(zip(by, key, strict=True)), **_counts_dict(row)})
        return pd.DataFrame(rows)

    def quality(self) -> dict[str, int]:
        """Number of rows with each kind of fault (every kind listed, zeros included)."""
        return {
            issue.label: int(np.count_nonzero(self.flags & np.uint16(issue.value)))
            for issue in QualityIssue
        }

    def quality_rows(self, issue: QualityIssue) -> np.ndarray:
        """0-based positions of the rows with ``issue`` (add 1 for the CSV data-row number)."""
        return np.flatnonzero(self.flags & np.uint16(issue.value))

    def to_frame(self) -> pd.DataFrame:
        """One row per input row: id, row number, deadline, status, lateness, quality flags."""
        o = self.orders
        event = o.delivered_at if self.rule.anchor is PromiseAnchor.DELIVER_BY else o.shipped_at
        ok = (event != NAT) & (self.deadline != NAT)
        late_h = np.full(len(o), np.nan)
        late_h[ok] = (event[ok] - self.deadline[ok]) / HOUR_NS
        names = np.array([s.label for s in OrderStatus], dtype=object)
        flag_text = np.full(len(o), "", dtype=object)
        for issue in QualityIssue:
            hit = (self.flags & np.uint16(issue.value)) != 0
            if hit.any():
                flag_text[hit] = np.where(
                    flag_text[hit] == "", issue.label, flag_text[hit] + "," + issue.label
                )
        return pd.DataFrame(
            {
                "order_id": o.order_id,
                "row": np.arange(1, len(o) + 1),
                "deadline": to_datetime_index(self.deadline, o.tz),
                "status": names[self.status],
                "hours_past_deadline": late_h,
                "quality": flag_text,
            }
        )

    def to_dict(self, by: Sequence[str] = ()) -> dict[str, Any]:
        """JSON-ready report: ``rule``, ``overall``, ``groups``, ``quality``."""
        groups = self.rates(by).to_dict(orient="records") if by else []
        clean = [
            {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in g.items()}
            for g in groups
        ]
        return {
            "rule": self.rule.describe(),
            "rows": len(self.orders),
            "group_by": list(by),
            "overall": self.overall(),
            "groups": clean,
            "quality": self.quality(),
        }


def audit(
    orders: OrderTable,
    rule: PromiseRule | None = None,
    *,
    as_of: pd.Timestamp | str | None = None,
    delivered_statuses: Sequence[str] = ("delivered",),
) -> AuditResult:
    """Audit actual timestamps against a promise.

    Parameters
    ----------
    orders : OrderTable
    rule : PromiseRule, optional
        Default: delivered within 48 hours of payment.
    as_of : timestamp, optional
        The audit time; an order whose event has not happened by ``as_of`` and whose deadline
        is before ``as_of`` is late. Without it such orders are undetermined.
    delivered_statuses : sequence of str
        Values of the optional ``status`` column meaning "delivered" (used by the quality check
        ``status_delivered_without_delivered_at``).

    Returns
    -------
    AuditResult

    Raises
    ------
    InputError
        If the rule needs a column the orders lack, or ``as_of`` is unreadable.
    """
    rule = rule or PromiseRule()
    prom = compute_promises(orders, rule)
    event = orders.delivered_at if rule.anchor is PromiseAnchor.DELIVER_BY else orders.shipped_at
    deadline = prom.deadline
    has_dead = deadline != NAT
    has_event = event != NAT
    status = np.full(len(orders), OrderStatus.UNDETERMINED, dtype=np.int8)
    decided = has_dead & has_event
    status[decided & (event <= deadline)] = OrderStatus.ON_TIME
    status[decided & (event > deadline)] = OrderStatus.LATE
    if as_of is not None:
        try:
            ts = pd.Timestamp(as_of)
        except (ValueError, TypeError) as exc:
            raise InputError("as_of is not a timestamp.", value=as_of) from exc
        ts = ts.tz_localize(orders.tz) if ts.tzinfo is None else ts
        now = int(ts.tz_convert("UTC").value)
        status[has_dead & ~has_event & (deadline < now)] = OrderStatus.LATE
    status[~prom.eligible] = OrderStatus.NOT_ELIGIBLE
    deadline = np.where(prom.eligible, deadline, NAT)
    flags = _quality_flags(orders, rule.clock, delivered_statuses)
    return AuditResult(orders=orders, rule=rule, deadline=deadline, status=status, flags=flags)
