"""Promise rules as data: what is owed to each order, by when, and which lanes are eligible.

A :class:`PromiseRule` turns an order's payment time (or its own ``promised_by`` column) into a
deadline, an instant by which the order must be delivered (``DELIVER_BY``) or handed to the
carrier (``SHIP_BY``). The order is on time when the event happens at or before the deadline.

Clocks
------
``HOURS``
    ``deadline = paid_at + amount hours`` of elapsed time (a daylight-saving shift does not
    change the number of hours owed).
``BUSINESS_DAYS``
    the end (local midnight) of the ``amount``-th business day strictly after the local day of
    payment, on a :class:`BusinessCalendar` (weekend, holidays, make-up working days).
``COLUMN``
    the order's own ``promised_by``; with ``Granularity.DAY`` any time on that local calendar
    date is on time, with ``Granularity.EXACT`` the timestamp itself is the deadline.

Lanes listed in ``ineligible_lanes`` (``"*"`` matches any origin or destination) get no
deadline and are reported as *not eligible*, never as late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from presale_supply.exceptions import InputError
from presale_supply.sla._time import HOUR_NS, NAT, LocalDays
from presale_supply.sla.orders import Category, OrderTable

__all__ = [
    "BusinessCalendar",
    "Granularity",
    "PromiseAnchor",
    "PromiseClock",
    "PromiseRule",
    "Promises",
    "compute_promises",
    "lane_mask",
]

_EPOCH = dt.date(1970, 1, 1)
_MAX_HOURS = 100 * 365.0 * 24  # a promise longer than 100 years is an input mistake


class PromiseAnchor(Enum):
    """Which event the promise is about."""

    DELIVER_BY = "deliver-by"
    SHIP_BY = "ship-by"


class PromiseClock(Enum):
    """How the deadline is counted (see the module docstring)."""

    HOURS = "hours"
    BUSINESS_DAYS = "business-days"
    COLUMN = "column"


class Granularity(Enum):
    """How a ``promised_by`` value is read."""

    DAY = "day"
    EXACT = "exact"


def _day_number(value: dt.date | str) -> int:
    try:
        d = dt.date.fromisoformat(value.strip()) if isinstance(value, str) else value
        if isinstance(d, dt.datetime):
            d = d.date()
    except ValueError as exc:
        raise InputError("calendar dates look like 2024-12-12.", value=value) from exc
    return (d - _EPOCH).days


def _day_set(values: Iterable[object], what: str) -> frozenset[int]:
    """Day numbers from day numbers, ``datetime.date`` or ISO date strings."""
    if isinstance(values, (str, bytes)):
        raise InputError(f"{what} must be a collection of dates, not one string.", value=values)
    out = set()
    for v in values:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.add(int(v))
        elif isinstance(v, (str, dt.date)):
            out.add(_day_number(v))
        else:
            raise InputError(f"{what}: expected dates such as 2024-12-12.", value=v)
    return frozenset(out)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days: weekdays not in ``weekend``, minus ``holidays``, plus ``workdays``.

    Parameters
    ----------
    weekend : tuple of int
        Weekday numbers that are off (Monday = 0; default Saturday and Sunday).
    holidays : iterable of date or ISO string
        Days off that would otherwise be working days.
    workdays : iterable of date or ISO string
        Make-up working days that would otherwise be off (e.g. a Saturday worked to bridge a
        holiday).

    Raises
    ------
    InputError
        A weekday outside 0..6, an unreadable date, or a date both holiday and workday.
    """

    weekend: tuple[int, ...] = (5, 6)
    holidays: frozenset[int] = field(default_factory=frozenset)
    workdays: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            weekend = tuple(sorted({int(w) for w in self.weekend}))
        except (TypeError, ValueError) as exc:
            raise InputError(
                "weekend days are weekday numbers 0 (Monday) to 6.", value=self.weekend
            ) from exc
        for w in weekend:
            if not 0 <= w <= 6:
                raise InputError("weekend days are numbered 0 (Monday) to 6.", value=w)
        if len(weekend) == 7:
            raise InputError(
                "the weekend cannot be every day of the week; at least one weekday must be a "
                "working day.",
                value=list(weekend),
            )
        object.__setattr__(self, "weekend", weekend)
        object.__setattr__(self, "holidays", _day_set(self.holidays, "holidays"))
        object.__setattr__(self, "workdays", _day_set(self.workdays, "workdays"))
        both = self.holidays & self.workdays
        if both:
            raise InputError(
                "a date cannot be both a holiday and a make-up working day.", value=sorted(both)[0]
            )

    @classmethod
    def build(
        cls,
        *,
        weekend: Iterable[int] = (5, 6),
        holidays: Iterable[dt.date | str] = (),
        workdays: Iterable[dt.date | str] = (),
    ) -> BusinessCalendar:
        """Build a calendar from dates (``datetime.date`` or ISO strings)."""
        return cls(
            weekend=tuple(int(w) for w in weekend),
            holidays=frozenset(_day_number(h) for h in holidays),
            workdays=frozenset(_day_number(w) for w in workdays),
        )

    def is_business(self, days: np.ndarray) -> np.ndarray:
        """Whether each day number (days since 1970-01-01, local) is a working day."""
        days = np.asarray(days, dtype=np.int64)
        weekday = (days + 3) % 7
        out = ~np.isin(weekday, np.asarray(self.weekend, dtype=np.int64))
        if self.holidays:
            out &= ~np.isin(days, np.fromiter(self.holidays, dtype=np.int64))
        if self.workdays:
            out |= np.isin(days, np.fromiter(self.workdays, dtype=np.int64))
        return out

    def add_business_days(self, days: np.ndarray, count: int) -> np.ndarray:
        """The ``count``-th working day strictly after each day (``NAT`` stays ``NAT``)."""
        days = np.asarray(days, dtype=np.int64)
        valid = days != NAT
        out = np.full(days.shape, NAT, dtype=np.int64)
        if not valid.any():
            return out
        lo = int(days[valid].min())
        pos = days[valid] - lo
        per_week = 7 - len(self.weekend)  # >= 1 (checked at construction)
        span = int(days[valid].max()) - lo + 7 * (count // per_week + 2) + 8
        while True:  # holidays may remove working days: widen until every target is inside
            grid = np.arange(lo, lo + span + 1, dtype=np.int64)
            cum = np.cumsum(self.is_business(grid))
            if cum[-1] >= int(cum[pos].max()) + count:
                break
            span = 2 * span + len(self.holidays)
        target = np.searchsorted(cum, cum[pos] + count, side="left")
        out[valid] = grid[target]
        return out


@dataclass(frozen=True)
class PromiseRule:
    """A promise as data (see the module docstring).

    Parameters
    ----------
    anchor : PromiseAnchor
        ``DELIVER_BY`` (default) or ``SHIP_BY``.
    clock : PromiseClock
        ``HOURS`` (default), ``BUSINESS_DAYS`` or ``COLUMN``.
    amount : float
        Hours (default 48) or business days (a whole number); ignored for ``COLUMN``.
    calendar : BusinessCalendar
        Used by ``BUSINESS_DAYS``.
    granularity : Granularity
        How ``promised_by`` is read by ``COLUMN`` (default ``EXACT``).
    ineligible_lanes : tuple of (origin, destination)
        Lanes without a promise; ``"*"`` is a wildcard.

    Raises
    ------
    InputError
        A non-positive amount or a fractional number of business days.
    """

    anchor: PromiseAnchor = PromiseAnchor.DELIVER_BY
    clock: PromiseClock = PromiseClock.HOURS
    amount: float = 48.0
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    granularity: Granularity = Granularity.EXACT
    ineligible_lanes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.clock is not PromiseClock.COLUMN and not self.amount > 0:
            raise InputError("the promise amount must be > 0.", value=self.amount)
        limit = _MAX_HOURS if self.clock is PromiseClock.HOURS else _MAX_HOURS / 24
        if self.clock is not PromiseClock.COLUMN and not self.amount <= limit:
            unit = "hours" if self.clock is PromiseClock.HOURS else "business days"
            raise InputError(
                f"the promise amount must be finite and at most {limit:g} {unit} (100 years).",
                value=self.amount,
            )
        if self.clock is PromiseClock.BUSINESS_DAYS and self.amount != int(self.amount):
            raise InputError("business days must be a whole number.", value=self.amount)
        for lane in self.ineligible_lanes:
            if len(lane) != 2:
                raise InputError("an ineligible lane is (origin, destination).", value=lane)

    @classmethod
    def hours(
        cls,
        hours: float = 48.0,
        *,
        anchor: PromiseAnchor = PromiseAnchor.DELIVER_BY,
        ineligible_lanes: tuple[tuple[str, str], ...] = (),
    ) -> PromiseRule:
        """Deliver (or ship) within ``hours`` of payment."""
        return cls(
            anchor=anchor,
            clock=PromiseClock.HOURS,
            amount=float(hours),
            ineligible_lanes=ineligible_lanes,
        )

    @classmethod
    def business_days(
        cls,
        days: int,
        calendar: BusinessCalendar | None = None,
        *,
        anchor: PromiseAnchor = PromiseAnchor.DELIVER_BY,
        ineligible_lanes: tuple[tuple[str, str], ...] = (),
    ) -> PromiseRule:
        """Deliver (or ship) by the end of the ``days``-th business day after payment."""
        return cls(
            anchor=anchor,
            clock=PromiseClock.BUSINESS_DAYS,
            amount=float(days),
            calendar=calendar or BusinessCalendar(),
            ineligible_lanes=ineligible_lanes,
        )

    @classmethod
    def from_column(
        cls,
        granularity: Granularity = Granularity.EXACT,
        *,
        anchor: PromiseAnchor = PromiseAnchor.DELIVER_BY,
        ineligible_lanes: tuple[tuple[str, str], ...] = (),
    ) -> PromiseRule:
        """Use each order's ``promised_by`` value."""
        return cls(
            anchor=anchor,
            clock=PromiseClock.COLUMN,
            granularity=granularity,
            ineligible_lanes=ineligible_lanes,
        )

    def describe(self) -> str:
        """One line in planner words."""
        what = "delivered" if self.anchor is PromiseAnchor.DELIVER_BY else "shipped"
        if self.clock is PromiseClock.HOURS:
            core = f"{what} within {self.amount:g} h of payment"
        elif self.clock is PromiseClock.BUSINESS_DAYS:
            core = f"{what} by the end of business day {int(self.amount)} after payment"
        else:
            core = f"{what} by promised_by ({self.granularity.value})"
        if self.ineligible_lanes:
            core += f"; {len(self.ineligible_lanes)} lane rule(s) not eligible"
        return core


@dataclass(frozen=True)
class Promises:
    """Per-order deadlines: ``deadline`` (int64 UTC ns, inclusive; ``NAT`` where unknown) and
    ``eligible`` (False on lanes without a promise)."""

    deadline: np.ndarray
    eligible: np.ndarray


def lane_mask(
    origin: Category, destination: Category, lanes: Iterable[tuple[str, str]]
) -> np.ndarray:
    """Rows whose (origin, destination) matches any lane (``"*"`` matches anything)."""
    n = len(origin.codes)
    out = np.zeros(n, dtype=bool)
    for o, d in lanes:
        m = np.ones(n, dtype=bool)
        if o != "*":
            m &= origin.codes == origin.code_of(o)
        if d != "*":
            m &= destination.codes == destination.code_of(d)
        out |= m
    return out


def compute_promises(orders: OrderTable, rule: PromiseRule) -> Promises:
    """Deadlines of every order under ``rule``.

    Raises
    ------
    InputError
        ``COLUMN`` clock without a ``promised_by`` column.
    """
    paid = orders.paid_at
    if rule.clock is PromiseClock.HOURS:
        deadline = paid + np.int64(round(rule.amount * HOUR_NS))
        deadline[paid == NAT] = NAT
    elif rule.clock is PromiseClock.BUSINESS_DAYS:
        deadline = np.full(len(paid), NAT, dtype=np.int64)
        ok = paid != NAT
        if ok.any():
            cov = LocalDays.around(orders.tz, paid)
            target = rule.calendar.add_business_days(cov.day_of(paid[ok]), int(rule.amount))
            end = LocalDays.covering(orders.tz, int(target.min()), int(target.max()))
            deadline[ok] = end.start_of(target + 1) - 1
    else:
        if "promised_by" not in orders.present:
            raise InputError(
                "the promise comes from the promised_by column, which the orders do not have.",
                file=orders.source,
                column="promised_by",
            )
        prom = orders.promised_by
        if rule.granularity is Granularity.EXACT:
            deadline = prom.copy()
        else:
            deadline = np.full(len(prom), NAT, dtype=np.int64)
            ok = prom != NAT
            if ok.any():
                cov = LocalDays.around(orders.tz, prom)
                deadline[ok] = cov.start_of(cov.day_of(prom[ok]) + 1) - 1
    eligible = ~lane_mask(orders.origin, orders.destination, rule.ineligible_lanes)
    return Promises(deadline=deadline, eligible=eligible)
