"""Validation helpers for tabular input: every error names file, row, column and value.

Rows are numbered as a person reading the CSV would: ``row 1`` is the first data row, which is
line 2 of the file (line 1 is the header).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError

__all__ = [
    "bool_column",
    "check_unique",
    "numeric_column",
    "reject_first",
    "require_columns",
    "string_column",
]

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def require_columns(
    df: pd.DataFrame, required: Iterable[str], optional: Iterable[str], source: str
) -> None:
    """Raise if a required column is missing or an unknown column is present.

    Raises
    ------
    InputError
        Naming the missing (or unknown) column and listing the valid ones.
    """
    required = list(required)
    optional = list(optional)
    cols = [str(c) for c in df.columns]
    missing = [c for c in required if c not in cols]
    if missing:
        raise InputError(
            f"missing required column(s) {missing}; the file has {cols}. Required: "
            f"{required}; optional: {optional}.",
            file=source,
            column=missing[0],
        )
    unknown = [c for c in cols if c not in required and c not in optional]
    if unknown:
        raise InputError(
            f"unknown column(s) {unknown}; valid columns are {required + optional}. "
            "(A typo in a column name would otherwise be ignored.)",
            file=source,
            column=unknown[0],
        )
    dup = [c for c in cols if cols.count(c) > 1]
    if dup:
        raise InputError("duplicate column name.", file=source, column=dup[0])


def reject_first(
    mask: np.ndarray,
    message: str,
    *,
    file: str | None,
    column: str | None = None,
    value_at: Callable[[int], Any] | None = None,
) -> None:
    """Raise :class:`InputError` at the first row where ``mask`` is true; return if none is.

    The row is reported 1-based (``row k + 1`` for position ``k``), and the value is
    ``value_at(k)`` when given.
    """
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return
    k = int(np.flatnonzero(m)[0])
    raise InputError(
        message,
        file=file,
        row=k + 1,
        column=column,
        value=None if value_at is None else value_at(k),
    )


def string_column(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    """Return column ``col`` as an array of stripped strings; empty or missing values are errors."""
    raw = df[col]
    reject_first(
        raw.isna().to_numpy(),
        "a value is required here (the cell is empty).",
        file=source,
        column=col,
    )
    out = raw.astype(str).str.strip().to_numpy(dtype=object)
    reject_first(
        np.array([s == "" for s in out], dtype=bool),
        "a value is required here (the cell is blank).",
        file=source,
        column=col,
        value_at=lambda k: raw.iloc[k],
    )
    return out


def numeric_column(
    df: pd.DataFrame,
    col: str,
    source: str,
    *,
    default: float | None = None,
    minimum: float | None = None,
    strictly_positive: bool = False,
    integer: bool = False,
    maximum: float | None = None,
) -> np.ndarray:
    """Return column ``col`` as float64 (or int64 with ``integer=True``), validated.

    A missing column takes ``default`` (when given). Empty cells, NaN, infinity, text, values
    below ``minimum`` (or <= 0 with ``strictly_positive``), above ``maximum``, and non-whole
    values of an integer column are errors naming the row and the value.
    """
    n = len(df)
    if col not in df.columns:
        if default is None:
            raise InputError("column is required.", file=source, column=col)
        arr = np.full(n, float(default))
        return arr.astype(np.int64) if integer else arr
    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        shown = raw.iloc[k]
        what = "an empty cell" if pd.isna(shown) else "not a finite number"
        raise InputError(
            f"{what}; expected a number"
            + (f" >= {minimum:g}" if minimum is not None else "")
            + ".",
            file=source,
            row=k + 1,
            column=col,
            value=None if pd.isna(shown) else shown,
        )

    def cell(k: int) -> Any:
        return raw.iloc[k]

    if strictly_positive:
        reject_first(values <= 0, "must be > 0.", file=source, column=col, value_at=cell)
    if minimum is not None:
        reject_first(
            values < minimum, f"must be >= {minimum:g}.", file=source, column=col, value_at=cell
        )
    if maximum is not None:
        reject_first(
            values > maximum, f"must be <= {maximum:g}.", file=source, column=col, value_at=cell
        )
    if integer:
        reject_first(
            np.abs(values - np.round(values)) > 1e-9,
            "must be a whole number.",
            file=source,
            column=col,
            value_at=cell,
        )
        return np.round(values).astype(np.int64)
    return values


def bool_column(df: pd.DataFrame, col: str, source: str, *, default: bool) -> np.ndarray:
    """Return a yes/no column as bool; accepts true/false, yes/no, 1/0 (case-insensitive)."""
    if col not in df.columns:
        return np.full(len(df), default, dtype=bool)
    out = np.empty(len(df), dtype=bool)
    for k, v in enumerate(df[col].tolist()):
        if isinstance(v, bool | np.bool_):
            out[k] = bool(v)
            continue
        s = "" if pd.isna(v) else str(v).strip().lower()
        if s == "":
            raise InputError(
                "a value is required here (the cell is empty); expected true or false. Leave "
                f"the whole column out to use the default ({str(default).lower()}).",
                file=source,
                row=k + 1,
                column=col,
            )
        if s in _TRUE:
            out[k] = True
        elif s in _FALSE:
            out[k] = False
        else:
            raise InputError(
                "expected true/false (or yes/no, 1/0).", file=source, row=k + 1, column=col, value=v
            )
    return out


def check_unique(values: Sequence[str] | np.ndarray, col: str, source: str) -> None:
    """Raise naming the first repeated key and both rows where it appears."""
    seen: dict[str, int] = {}
    for k, v in enumerate(values):
        if v in seen:
            raise InputError(
                f"duplicate {col} {v!r}: it appears in rows {seen[v] + 1} and {k + 1}; each "
                f"{col} may appear once.",
                file=source,
                row=k + 1,
                column=col,
            )
        seen[v] = k


def check_time_limit(time_limit: Any) -> None:
    """Raise :class:`InputError` unless ``time_limit`` is ``None`` or a finite number of
    seconds > 0 (a Python or NumPy number, not a bool or a string)."""
    if time_limit is None:
        return
    number = isinstance(time_limit, int | float | np.integer | np.floating) and not isinstance(
        time_limit, bool
    )
    if not (number and np.isfinite(time_limit) and time_limit > 0):
        raise InputError(
            "time_limit must be a number of seconds > 0 (or None for no limit).",
            column="time_limit",
            value=time_limit,
        )
