"""Validation of the forecaster's long-format inputs into frozen numpy panels.

History: ``unique_id, ds, y`` plus optional ``price, promo, store_open``. Signals:
``unique_id, ds, deposits`` plus optional ``add_to_cart``. Every rejected value is reported with
file, row (1 = first data row), column and value; nothing is dropped silently.

Documented repairs
------------------
* Rows out of date order are sorted (stable); nothing is lost, the result says so in ``notes``.
* With ``GapPolicy.FILL_ZERO`` a skipped period is inserted with ``y = 0`` (counted in ``notes``);
  with the default ``GapPolicy.ERROR`` a gap is an error naming the row after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.forecast.params import GapPolicy
from presale_supply.validation import numeric_column, reject_first, require_columns, string_column

__all__ = [
    "Freq",
    "Panel",
    "SignalPanel",
    "from_period",
    "to_period",
    "validate_history",
    "validate_signals",
]

HISTORY_REQUIRED = ("unique_id", "ds", "y")
HISTORY_OPTIONAL = ("price", "promo", "store_open")
SIGNAL_REQUIRED = ("unique_id", "ds", "deposits")
SIGNAL_OPTIONAL = ("add_to_cart",)


class Freq(StrEnum):
    """Supported data frequencies (pandas aliases)."""

    DAY = "D"
    WEEK = "W"
    MONTH = "MS"

    @property
    def default_season(self) -> int:
        """Season length used when none is given."""
        return {Freq.DAY: 7, Freq.WEEK: 52, Freq.MONTH: 12}[self]


def to_period(ds: np.ndarray, freq: Freq) -> np.ndarray:
    """Integer period numbers of datetime64 values (days, weeks or months since 1970)."""
    days = ds.astype("datetime64[D]").astype(np.int64)
    if freq is Freq.DAY:
        return days
    if freq is Freq.WEEK:
        return np.floor_divide(days, 7)
    return ds.astype("datetime64[M]").astype(np.int64)


def from_period(periods: np.ndarray, freq: Freq, anchor: int = 0) -> pd.DatetimeIndex:
    """Inverse of :func:`to_period`; ``anchor`` is the weekday offset (days) of weekly data."""
    p = np.asarray(periods, dtype=np.int64)
    if freq is Freq.DAY:
        return pd.DatetimeIndex(p.astype("datetime64[D]"))
    if freq is Freq.WEEK:
        return pd.DatetimeIndex((p * 7 + anchor).astype("datetime64[D]"))
    return pd.DatetimeIndex(p.astype("datetime64[M]").astype("datetime64[D]"))


@dataclass(frozen=True)
class Panel:
    """A validated set of regular series.

    Attributes
    ----------
    ids : tuple of str
        Series identifiers, in order of first appearance.
    values : tuple of numpy.ndarray
        Non-negative float demand per series, oldest first, no gaps.
    starts : numpy.ndarray
        Period number (see :func:`to_period`) of each series' first value.
    freq : Freq
        Frequency of all series.
    anchor : int
        Day offset of weekly periods (0 otherwise).
    notes : tuple of str
        Repairs applied (sorting, filled gaps).
    """

    ids: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    starts: np.ndarray
    freq: Freq
    anchor: int = 0
    notes: tuple[str, ...] = ()

    @property
    def ends(self) -> np.ndarray:
        """Period number of each series' last value."""
        return self.starts + np.array([len(v) for v in self.values], dtype=np.int64) - 1

    def truncate(self, cut: int) -> Panel:
        """Return the panel with the last ``cut`` values of every series removed."""
        vals = tuple(v[: len(v) - cut] for v in self.values)
        if any(len(v) == 0 for v in vals):
            raise InputError(f"a series is too short to hold back {cut} periods.", value=cut)
        return Panel(self.ids, vals, self.starts, self.freq, self.anchor, self.notes)

    def scaled(self, factor: float) -> Panel:
        """Return the panel with every value multiplied by ``factor`` (used by tests)."""
        vals = tuple(v * factor for v in self.values)
        return Panel(self.ids, vals, self.starts, self.freq, self.anchor, self.notes)


@dataclass(frozen=True)
class SignalPanel:
    """Validated presale signals.

    Attributes
    ----------
    current_deposits, current_carts : dict of str to numpy.ndarray
        Per series, the signals of the forecast horizon's first days (day 1, 2, ...).
    past : pandas.DataFrame
        Signal rows dated inside the history (``unique_id, period, deposits, add_to_cart``),
        used to learn how signals relate to final demand.
    has_carts : bool
        Whether an ``add_to_cart`` column was given.
    """

    current_deposits: dict[str, np.ndarray]
    current_carts: dict[str, np.ndarray]
    past: pd.DataFrame
    has_carts: bool


def _dates(df: pd.DataFrame, source: str) -> np.ndarray:
    raw = df["ds"]
    parsed = pd.to_datetime(raw, errors="coerce")
    bad = parsed.isna().to_numpy()
    reject_first(
        bad,
        "not a date; expected YYYY-MM-DD.",
        file=source,
        column="ds",
        value_at=lambda k: raw.iloc[k],
    )
    values = parsed.to_numpy(dtype="datetime64[ns]")
    frac = values != values.astype("datetime64[D]")
    reject_first(
        frac,
        "dates must be whole days (no time of day).",
        file=source,
        column="ds",
        value_at=lambda k: raw.iloc[k],
    )
    return values


def _infer_freq(dates: np.ndarray, ids: np.ndarray, source: str) -> tuple[Freq, int]:
    days = dates.astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((days, ids))
    d_sorted, i_sorted = days[order], ids[order]
    same = i_sorted[1:] == i_sorted[:-1]
    diffs = np.diff(d_sorted)[same]
    pos = diffs[diffs > 0]
    if pos.size == 0:
        return Freq.DAY, 0
    step = int(pos.min())
    if step == 1:
        return Freq.DAY, 0
    day_of_month = dates.astype("datetime64[D]") - dates.astype("datetime64[M]")
    if step >= 28 and not day_of_month.astype(np.int64).any():
        return Freq.MONTH, 0
    if step % 7 == 0 and len(np.unique(days % 7)) == 1:
        return Freq.WEEK, int(days[0] % 7)
    raise InputError(
        "cannot tell the frequency of the dates: expected daily dates, weekly dates on one "
        "weekday, or month starts (YYYY-MM-01).",
        file=source,
        column="ds",
        value=f"smallest step {step} days",
    )


def validate_history(
    df: pd.DataFrame,
    source: str = "history",
    *,
    gap_policy: GapPolicy = GapPolicy.ERROR,
) -> Panel:
    """Validate a long history table and return a :class:`Panel`.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``unique_id, ds, y`` and optionally ``price, promo, store_open``. ``price`` and
        ``promo`` are validated (finite, ``price > 0``, ``promo`` >= 0) but not used by the
        current models; ``store_open`` must be 0/1 and a closed day must have ``y = 0``.
    source : str
        File name used in error messages.
    gap_policy : GapPolicy
        Error on a skipped period (default) or insert it with ``y = 0``.

    Returns
    -------
    Panel

    Raises
    ------
    InputError
        Missing or unknown columns, empty cells, non-numeric or negative ``y``, unparseable dates,
        duplicate ``(unique_id, ds)`` rows, gaps (with ``GapPolicy.ERROR``), sales on a closed day.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError("history must be a pandas DataFrame.", file=source, value=type(df))
    require_columns(df, HISTORY_REQUIRED, HISTORY_OPTIONAL, source)
    if len(df) == 0:
        raise InputError("the history has no rows.", file=source)
    df = df.reset_index(drop=True)
    ids = string_column(df, "unique_id", source)
    dates = _dates(df, source)
    y = numeric_column(df, "y", source, minimum=0.0)
    if "price" in df.columns:
        numeric_column(df, "price", source, strictly_positive=True)
    if "promo" in df.columns:
        numeric_column(df, "promo", source, minimum=0.0)
    if "store_open" in df.columns:
        is_open = numeric_column(df, "store_open", source, integer=True, minimum=0, maximum=1)
        bad = (is_open == 0) & (y > 0)
        reject_first(
            bad,
            "sales recorded on a day marked store_open = 0.",
            file=source,
            column="y",
            value_at=lambda k: df["y"].iloc[k],
        )
    freq, anchor = _infer_freq(dates, ids, source)
    periods = to_period(dates, freq)
    notes: list[str] = []
    rows = np.arange(len(df))
    order = np.lexsort((periods, _first_seen_rank(ids)))
    if not np.array_equal(order, rows) and _is_unsorted_within(ids, periods):
        notes.append(f"{source}: rows were not in date order within a series; sorted them.")
    ids_o, per_o, y_o, rows_o = ids[order], periods[order], y[order], rows[order]
    out_ids: list[str] = []
    out_vals: list[np.ndarray] = []
    starts: list[int] = []
    n_filled = 0
    bounds = np.flatnonzero(ids_o[1:] != ids_o[:-1]) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(ids_o)], strict=True):
        p = per_o[lo:hi]
        d = np.diff(p)
        if (d == 0).any():
            k = int(np.flatnonzero(d == 0)[0])
            r1, r2 = sorted((int(rows_o[lo + k]) + 1, int(rows_o[lo + k + 1]) + 1))
            raise InputError(
                f"duplicate row for series {ids_o[lo]!r} and date "
                f"{from_period(p[k : k + 1], freq, anchor)[0].date()}: rows {r1} and {r2}; "
                "each (unique_id, ds) may appear once.",
                file=source,
                row=r2,
                column="ds",
                value=str(df["ds"].iloc[r2 - 1]),
            )
        if (d > 1).any():
            if gap_policy is GapPolicy.ERROR:
                k = int(np.flatnonzero(d > 1)[0])
                r = int(rows_o[lo + k + 1]) + 1
                raise InputError(
                    f"series {ids_o[lo]!r} skips {int(d[k]) - 1} period(s) before this date; "
                    "give a row with y = 0 for every period without sales, or use the "
                    "fill-zero gap policy.",
                    file=source,
                    row=r,
                    column="ds",
                    value=str(df["ds"].iloc[r - 1]),
                )
            full = np.zeros(int(p[-1] - p[0]) + 1)
            full[p - p[0]] = y_o[lo:hi]
            n_filled += len(full) - len(p)
            vals = full
        else:
            vals = y_o[lo:hi].astype(float)
        out_ids.append(str(ids_o[lo]))
        out_vals.append(vals)
        starts.append(int(p[0]))
    if n_filled:
        notes.append(f"{source}: filled {n_filled} missing period(s) with y = 0.")
    return Panel(
        tuple(out_ids),
        tuple(out_vals),
        np.array(starts, dtype=np.int64),
        freq,
        anchor,
        tuple(notes),
    )


def _first_seen_rank(ids: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inverse]


def _is_unsorted_within(ids: np.ndarray, periods: np.ndarray) -> bool:
    same = ids[1:] == ids[:-1]
    return bool((np.diff(periods)[same] < 0).any())


def validate_signals(df: pd.DataFrame, panel: Panel, source: str = "signals") -> SignalPanel:
    """Validate presale signals against a validated history.

    Rows dated after a series' last history period are the current campaign: they must start on
    the first period after the history and run without gaps (day 1, 2, ..., t). Rows dated inside
    the history are past-campaign signals.

    Raises
    ------
    InputError
        Missing/unknown columns, empty cells, negative or fractional counts, duplicate rows, a
        series not in the history, current signals that skip a day or do not start right after
        the history.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError("signals must be a pandas DataFrame.", file=source, value=type(df))
    require_columns(df, SIGNAL_REQUIRED, SIGNAL_OPTIONAL, source)
    df = df.reset_index(drop=True)
    ids = string_column(df, "unique_id", source) if len(df) else np.array([], dtype=object)
    dates = _dates(df, source) if len(df) else np.array([], dtype="datetime64[ns]")
    dep = numeric_column(df, "deposits", source, minimum=0, integer=True)
    has_carts = "add_to_cart" in df.columns
    carts = (
        numeric_column(df, "add_to_cart", source, minimum=0, integer=True)
        if has_carts
        else np.zeros(len(df), dtype=np.int64)
    )
    periods = to_period(dates, panel.freq) if len(df) else np.array([], dtype=np.int64)
    if panel.freq is Freq.MONTH and len(df):
        dom = (dates.astype("datetime64[D]") - dates.astype("datetime64[M]")).astype(np.int64)
        reject_first(
            dom,
            "monthly data: dates must be month starts.",
            file=source,
            column="ds",
            value_at=lambda k: str(df["ds"].iloc[k]),
        )
    index = {sid: j for j, sid in enumerate(panel.ids)}
    ends = panel.ends
    seen: dict[tuple[str, int], int] = {}
    cur: dict[str, dict[int, tuple[int, int, int]]] = {}
    past_rows: list[tuple[str, int, int, int]] = []
    for k in range(len(df)):
        sid = str(ids[k])
        if sid not in index:
            raise InputError(
                "this series is not in the history; signals need a history to update.",
                file=source,
                row=k + 1,
                column="unique_id",
                value=sid,
            )
        key = (sid, int(periods[k]))
        if key in seen:
            raise InputError(
                f"duplicate row for series {sid!r}: rows {seen[key] + 1} and {k + 1}; each "
                "(unique_id, ds) may appear once.",
                file=source,
                row=k + 1,
                column="ds",
                value=str(df["ds"].iloc[k]),
            )
        seen[key] = k
        offset = int(periods[k] - ends[index[sid]])
        if offset >= 1:
            cur.setdefault(sid, {})[offset] = (int(dep[k]), int(carts[k]), k)
        else:
            past_rows.append((sid, int(periods[k]), int(dep[k]), int(carts[k])))
    current_dep: dict[str, np.ndarray] = {}
    current_cart: dict[str, np.ndarray] = {}
    for sid, days in cur.items():
        n = max(days)
        missing = [d for d in range(1, n + 1) if d not in days]
        if missing:
            k = days[min(d for d in days if d > missing[0])][2]
            raise InputError(
                f"series {sid!r}: signals must cover every day from the first day after the "
                f"history; day {missing[0]} of the horizon is missing.",
                file=source,
                row=k + 1,
                column="ds",
                value=str(df["ds"].iloc[k]),
            )
        current_dep[sid] = np.array([days[d][0] for d in range(1, n + 1)], dtype=float)
        current_cart[sid] = np.array([days[d][1] for d in range(1, n + 1)], dtype=float)
    past = pd.DataFrame(past_rows, columns=["unique_id", "period", "deposits", "add_to_cart"])
    return SignalPanel(current_dep, current_cart, past, has_carts)
