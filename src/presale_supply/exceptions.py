"""Exception hierarchy of presale_supply.

Every error the library raises on purpose derives from :class:`PresaleSupplyError`, so callers can
catch one type. Errors about input carry where the bad value is (file, row, column) and what would
be valid.
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = [
    "InfeasibleError",
    "InputError",
    "PlanCheckError",
    "PresaleSupplyError",
    "SolverError",
    "SolverUnavailableError",
]


class PresaleSupplyError(Exception):
    """Base class of every error raised by presale_supply."""


class InputError(PresaleSupplyError, ValueError):
    """Invalid input data or parameters.

    Parameters
    ----------
    message : str
        What is wrong and what would be valid.
    file, row, column : optional
        Where the bad value is. ``row`` is the 1-based data row of a CSV file (the header is row 0
        in this numbering, so row 1 is the first line below the header).
    value : optional
        The offending value, quoted in the message.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        if hasattr(value, "item") and callable(value.item):
            with contextlib.suppress(TypeError, ValueError):  # numpy scalars as plain numbers
                value = value.item()
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.reason = message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        text = f"{prefix}: {message}" if prefix else message
        if value is not None and "Got" not in message:
            text += f" Got: {value!r}."
        super().__init__(text)


class InfeasibleError(PresaleSupplyError):
    """The planning problem has no feasible plan; the message says why in planner words.

    Attributes
    ----------
    findings : list of str
        One sentence per cause found (supplier, days, SKUs, and by how much).
    """

    def __init__(self, message: str, findings: list[str] | None = None) -> None:
        self.findings = list(findings or [])
        super().__init__(message)


class SolverUnavailableError(PresaleSupplyError):
    """The requested solver backend is not installed or not known."""


class SolverError(PresaleSupplyError):
    """A solver failed in a way that is not a property of the problem."""


class PlanCheckError(PresaleSupplyError):
    """A plan returned by a solver failed the independent feasibility check.

    Attributes
    ----------
    violations : list of str
        Every violated constraint found by :func:`presale_supply.replenishment.checker.check_plan`.
    """

    def __init__(self, message: str, violations: list[str]) -> None:
        self.violations = list(violations)
        super().__init__(message + "\n" + "\n".join(f"  - {v}" for v in violations[:20]))
