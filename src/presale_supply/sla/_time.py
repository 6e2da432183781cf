"""Time helpers: timestamps as int64 nanoseconds since the epoch (UTC), local calendar tables.

Every instant inside the SLA checker is an ``int64`` count of nanoseconds since 1970-01-01 UTC;
a missing instant is :data:`NAT` (the smallest int64, which is also how numpy stores ``NaT``).
Local calendar questions (which local day, the instant of a local wall-clock time) are answered
through a small :class:`LocalDays` table of local midnights converted to UTC once, so that the
per-order work is a ``searchsorted`` into a short array whatever the time zone and its
daylight-saving rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.validation import reject_first

__all__ = [
    "DAY_NS",
    "HOUR_NS",
    "NAT",
    "LocalDays",
    "parse_clock",
    "parse_instants",
    "parse_instants_kind",
    "to_datetime_index",
]

NAT: int = int(np.iinfo(np.int64).min)
HOUR_NS: int = 3_600_000_000_000
DAY_NS: int = 24 * HOUR_NS


def parse_clock(text: str, *, what: str, source: str | None = None) -> int:
    """Return a local wall-clock time ``"HH:MM"`` or ``"HH:MM:SS"`` as nanoseconds after midnight.

    Raises
    ------
    InputError
        If the text is not a time of day between 00:00 and 24:00.
    """
    parts = str(text).strip().split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        nums = []
    if len(nums) not in (2, 3) or not (0 <= nums[0] <= 24) or not (0 <= nums[1] < 60):
        raise InputError(
            f"{what} must be a time of day 'HH:MM' (or 'HH:MM:SS').", file=source, value=text
        )
    sec = nums[2] if len(nums) == 3 else 0
    total = nums[0] * 3600 + nums[1] * 60 + sec
    if total > 24 * 3600 or not (0 <= sec < 60):
        raise InputError(f"{what} must be between 00:00 and 24:00.", file=source, value=text)
    return total * 1_000_000_000


def _check_zone(tz: str) -> None:
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception as exc:  # pandas raises several types for unknown zones
        raise InputError(
            "unknown time zone; use an IANA name such as 'Asia/Shanghai' or 'UTC'.", value=tz
        ) from exc


def parse_instants(raw: pd.Series, *, tz: str, source: str, column: str) -> np.ndarray:
    """Parse a column of timestamps into int64 UTC nanoseconds (see :func:`parse_instants_kind`).

    Raises
    ------
    InputError
        Naming the row, the column and the value that could not be read, or a column mixing
        naive and offset-carrying values.
    """
    return parse_instants_kind(raw, tz=tz, source=source, column=column)[0]


def parse_instants_kind(
    raw: pd.Series, *, tz: str, source: str, column: str
) -> tuple[np.ndarray, str | None]:
    """Parse a column of timestamps into int64 UTC nanoseconds (missing cells become ``NAT``).

    Naive values are read as wall-clock time in ``tz`` (a non-existent local time in a
    daylight-saving gap is moved forward, an ambiguous one is read as the first occurrence);
    values carrying an offset are converted to UTC. Empty cells are kept as missing; a
    non-empty value that is not a timestamp is an error. Also returns the kind of the column:
    ``"offset"`` (every value carries an offset, or a time-zone-aware dtype), ``"naive"``,
    ``"date"`` (every value a bare ISO date such as ``2024-12-12``, read as a local calendar
    date) or None (no value), so that a caller can require one kind across a table.

    Raises
    ------
    InputError
        Naming the row, the column and the value that could not be read, or a column mixing
        naive and offset-carrying values.
    """
    _check_zone(tz)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return _ns(raw.dt.tz_convert("UTC").dt.tz_localize(None)), "offset"
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return _localize(raw, tz), ("naive" if raw.notna().any() else None)
    isna = raw.isna().to_numpy()
    text = raw.astype("string").str.strip()
    blank = (text == "").fillna(True).to_numpy(dtype=bool)
    empty = isna | blank
    cleaned = text.where(~pd.Series(empty, index=raw.index), None)
    has_offset = cleaned.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False)
    offs = has_offset.to_numpy(dtype=bool)
    aware = bool(offs[~empty].all()) if (~empty).any() else False
    if (~empty).any() and offs[~empty].any() and not aware:
        k = int(np.flatnonzero(~empty & (offs != offs[np.flatnonzero(~empty)[0]]))[0])
        raise InputError(
            "mixes timestamps with and without a UTC offset; give all values an offset, or "
            "none and declare the zone.",
            file=source,
            row=k + 1,
            column=column,
            value=raw.iloc[k],
        )
    try:
        parsed = pd.to_datetime(cleaned, errors="coerce", format="ISO8601", utc=aware)
    except (ValueError, TypeError):
        parsed = pd.to_datetime(cleaned, errors="coerce", format="mixed", utc=aware)
    bad = parsed.isna().to_numpy() & ~empty
    reject_first(
        bad,
        "not a timestamp; expected ISO 8601 such as '2024-12-12 20:00:00' (an offset such "
        "as '+08:00' is optional).",
        file=source,
        column=column,
        value_at=lambda k: raw.iloc[k],
    )
    kind: str | None = None
    if (~empty).any():
        kind = "offset" if aware else "naive"
        if not aware and bool(
            cleaned[~empty].str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).all()
        ):
            kind = "date"  # calendar dates carry no offset by nature; they mix with either
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return _ns(parsed.dt.tz_convert("UTC").dt.tz_localize(None)), kind
    return _localize(parsed, tz), kind


def _ns(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype="datetime64[ns]")
    return values.view(np.int64).copy()


def _localize(series: pd.Series, tz: str) -> np.ndarray:
    series = series.astype("datetime64[ns]")
    if tz == "UTC":
        return _ns(series)
    amb = np.ones(len(series), dtype=bool)
    local = series.dt.tz_localize(tz, ambiguous=amb, nonexistent="shift_forward")
    return _ns(local.dt.tz_convert("UTC").dt.tz_localize(None))


def to_datetime_index(ns: np.ndarray, tz: str) -> pd.DatetimeIndex:
    """Return int64 UTC nanoseconds as a time-zone-aware index in ``tz`` (``NAT`` -> NaT)."""
    return (
        pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))
        .tz_localize("UTC")
        .tz_convert(tz)
    )


@dataclass(frozen=True)
class LocalDays:
    """Local midnights of a range of days in one time zone, as UTC nanoseconds.

    Day numbers are days since 1970-01-01 in the local calendar. ``starts[i]`` is the UTC
    instant of the local midnight that opens day ``first + i``; the table holds one extra entry
    so that the end of the last day is known.
    """

    tz: str
    first: int
    starts: np.ndarray

    @classmethod
    def covering(cls, tz: str, first_day: int, last_day: int) -> LocalDays:
        """Return the table for local days ``first_day .. last_day`` (inclusive)."""
        _check_zone(tz)
        days = np.arange(first_day, last_day + 2, dtype=np.int64)
        return cls(tz=tz, first=first_day, starts=wall_to_utc(days * DAY_NS, tz))

    @classmethod
    def around(cls, tz: str, instants: np.ndarray, *, pad_days: int = 2) -> LocalDays:
        """Return a table covering every non-missing instant plus ``pad_days`` on both sides."""
        valid = instants[instants != NAT]
        if valid.size == 0:
            return cls.covering(tz, 0, 0)
        lo = int(valid.min()) // DAY_NS - pad_days - 1
        hi = int(valid.max()) // DAY_NS + pad_days + 1
        return cls.covering(tz, lo, hi)

    @property
    def last(self) -> int:
        """The last local day number the table covers."""
        return self.first + len(self.starts) - 2

    def day_of(self, instants: np.ndarray) -> np.ndarray:
        """Local day number of each instant (``NAT`` -> ``NAT``)."""
        idx = np.searchsorted(self.starts, instants, side="right") - 1
        out = idx.astype(np.int64) + self.first
        out[instants == NAT] = NAT
        return out

    def start_of(self, days: np.ndarray) -> np.ndarray:
        """UTC instant of the local midnight opening each day (days must be covered)."""
        return self.starts[np.asarray(days, dtype=np.int64) - self.first]

    def wall(self, days: np.ndarray, clock_ns: int) -> np.ndarray:
        """UTC instant of local wall-clock time ``clock_ns`` on each local day."""
        uniq = np.unique(np.asarray(days, dtype=np.int64))
        inst = wall_to_utc(uniq * DAY_NS + clock_ns, self.tz)
        return inst[np.searchsorted(uniq, days)]


def wall_to_utc(wall_ns: np.ndarray, tz: str) -> np.ndarray:
    """Convert local wall-clock nanoseconds (as if UTC) to UTC instants in zone ``tz``."""
    wall_ns = np.asarray(wall_ns, dtype=np.int64)
    if tz == "UTC":
        return wall_ns.copy()
    idx = pd.DatetimeIndex(wall_ns.view("datetime64[ns]"))
    amb = np.ones(len(idx), dtype=bool)
    loc = idx.tz_localize(tz, ambiguous=amb, nonexistent="shift_forward")
    return np.asarray(loc.tz_convert("UTC").tz_localize(None).asi8, dtype=np.int64)


def iso_day(day: int) -> str:
    """ISO date of a day number (days since 1970-01-01)."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()
