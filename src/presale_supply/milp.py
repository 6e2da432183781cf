"""A solver-neutral mixed-integer linear program in matrix form.

:class:`MILP` is what every backend consumes: ``min c @ x + c0`` subject to
``row_lb <= A @ x <= row_ub`` and ``lb <= x <= ub``, with ``x[j]`` integer where ``integer[j]``.
``A`` is kept in compressed sparse row form as three numpy arrays, so no sparse-matrix package is
needed. Backends translate it into their own objects; nothing here imports a solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MILP", "MILPBuilder"]


@dataclass(frozen=True, eq=False)
class MILP:
    """An immutable MILP: minimise ``c @ x + c0`` s.t. ``row_lb <= A x <= row_ub``, bounds.

    Attributes
    ----------
    c : ndarray (n,)
        Objective coefficients.
    c0 : float
        Objective constant.
    lb, ub : ndarray (n,)
        Variable bounds (``ub`` may be ``inf``).
    integer : ndarray of bool (n,)
        Integrality.
    indptr, indices, data : ndarray
        ``A`` in CSR form (``m + 1``, ``nnz``, ``nnz``).
    row_lb, row_ub : ndarray (m,)
        Row bounds (``-inf`` / ``inf`` for one-sided rows).
    row_names : tuple of str
        A short name per row (for diagnostics and LP files).
    hint : dict, optional
        Suggested values for some variables (a warm start); backends may use or ignore it.
    implied_integer : ndarray of bool (n,)
        Continuous variables that take whole values at some optimum (so an all-integer solver
        such as CP-SAT may declare them integer without changing the optimum).
    """

    c: np.ndarray
    c0: float
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    row_names: tuple[str, ...]
    implied_integer: np.ndarray
    name: str = "model"
    hint: dict[int, float] | None = None

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return len(self.c)

    @property
    def n_rows(self) -> int:
        """Number of constraints."""
        return len(self.row_lb)

    @property
    def n_integer(self) -> int:
        """Number of integer variables."""
        return int(self.integer.sum())

    def row(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and coefficients of row ``k``."""
        s, e = self.indptr[k], self.indptr[k + 1]
        return self.indices[s:e], self.data[s:e]

    def activity(self, x: np.ndarray) -> np.ndarray:
        """``A @ x``."""
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
        return np.bincount(rows, weights=self.data * x[self.indices], minlength=self.n_rows)

    def objective(self, x: np.ndarray) -> float:
        """``c @ x + c0``."""
        return float(self.c @ x + self.c0)

    def max_violation(self, x: np.ndarray) -> float:
        """Largest violation of a row, bound or integrality by ``x`` (0 when feasible)."""
        act = self.activity(x)
        v = [
            np.max(self.row_lb - act, initial=0.0),
            np.max(act - self.row_ub, initial=0.0),
            np.max(self.lb - x, initial=0.0),
            np.max(x - self.ub, initial=0.0),
        ]
        xi = x[self.integer]
        v.append(np.max(np.abs(xi - np.round(xi)), initial=0.0))
        return float(max(v))


class MILPBuilder:
    """Incremental builder of a :class:`MILP` (variables in blocks, rows one at a time)."""

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self._c: list[np.ndarray] = []
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._implied: list[np.ndarray] = []
        self._n = 0
        self.c0 = 0.0
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._rlb: list[float] = []
        self._rub: list[float] = []
        self._names: list[str] = []

    @property
    def n_vars(self) -> int:
        """Variables added so far."""
        return self._n

    def add_vars(
        self,
        n: int,
        *,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = np.inf,
        integer: bool = False,
        cost: float | np.ndarray = 0.0,
        implied_integer: bool = False,
    ) -> np.ndarray:
        """Add ``n`` variables; return their indices."""
        idx = np.arange(self._n, self._n + n)
        self._c.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=bool))
        self._implied.append(np.full(n, implied_integer and not integer, dtype=bool))
        self._n += n
        return idx

    def add_row(
        self,
        cols: np.ndarray | list[int],
        vals: np.ndarray | list[float],
        lo: float = -np.inf,
        hi: float = np.inf,
        name: str = "",
    ) -> int:
        """Add ``lo <= sum(vals * x[cols]) <= hi``; return the row index.

        Repeated columns are summed.
        """
        c = np.asarray(cols, dtype=np.int64)
        v = np.asarray(vals, dtype=float)
        if len(c) != len(np.unique(c)):
            u, inv = np.unique(c, return_inverse=True)
            v = np.bincount(inv, weights=v, minlength=len(u))
            c = u
        keep = v != 0
        self._cols.append(c[keep])
        self._vals.append(v[keep])
        self._rlb.append(float(lo))
        self._rub.append(float(hi))
        self._names.append(name)
        return len(self._rlb) - 1

    def build(self) -> MILP:
        """Freeze into a :class:`MILP`."""

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        lengths = np.array([len(c) for c in self._cols], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        arrays: dict[str, Any] = {
            "c": cat(self._c, float),
            "lb": cat(self._lb, float),
            "ub": cat(self._ub, float),
            "integer": cat(self._int, bool),
            "implied_integer": cat(self._implied, bool),
            "indptr": indptr,
            "indices": cat(self._cols, np.int64),
            "data": cat(self._vals, float),
            "row_lb": np.asarray(self._rlb, dtype=float),
            "row_ub": np.asarray(self._rub, dtype=float),
        }
        for a in arrays.values():
            a.setflags(write=False)
        return MILP(c0=float(self.c0), row_names=tuple(self._names), name=self.name, **arrays)
