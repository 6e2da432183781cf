r"""Forecast accuracy metrics as pure numpy functions.

Definitions (``y`` actuals, ``f`` forecasts over the evaluated periods, ``x`` the in-sample
history of the series, ``m`` the season used for scaling):

.. math::

    \mathrm{WAPE} = \frac{\sum |y - f|}{\sum |y|}, \qquad
    \mathrm{MASE} = \frac{\mathrm{mean}|y - f|}{\mathrm{mean}_t |x_t - x_{t-m}|}, \qquad
    \mathrm{RMSSE} = \sqrt{\frac{\mathrm{mean}(y - f)^2}{\mathrm{mean}_t (x_t - x_{t-m})^2}}

pinball loss of quantile :math:`q_\tau`:
:math:`\mathrm{mean}\,\max(\tau (y - q), (\tau - 1)(y - q))`;
coverage of an interval: share of ``y`` with ``lo <= y <= hi``.
"""

from __future__ import annotations

import numpy as np

from presale_supply.exceptions import InputError

__all__ = ["coverage", "mase", "pinball", "rmsse", "scale", "wape"]


def _pair(y: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y, dtype=float)
    b = np.asarray(f, dtype=float)
    if a.shape != b.shape:
        raise InputError(f"actuals and forecasts differ in shape: {a.shape} vs {b.shape}.")
    return a, b


def wape(y: np.ndarray, f: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |y - f| / sum |y| (NaN when sum |y| = 0)."""
    a, b = _pair(y, f)
    den = float(np.abs(a).sum())
    return float(np.abs(a - b).sum()) / den if den > 0 else float("nan")


def scale(history: np.ndarray, season: int = 1, power: int = 1) -> float:
    """In-sample mean of ``|x_t - x_{t-season}|**power`` (falls back to lag 1 if too short).

    Returns NaN when the history is too short or constant.
    """
    x = np.asarray(history, dtype=float)
    m = season if len(x) > season else 1
    if len(x) <= m:
        return float("nan")
    d = np.abs(x[m:] - x[:-m]) ** power
    s = float(d.mean())
    return s if s > 0 else float("nan")


def mase(y: np.ndarray, f: np.ndarray, history: np.ndarray, season: int = 1) -> float:
    """Mean absolute scaled error against the in-sample seasonal naive forecast."""
    a, b = _pair(y, f)
    return float(np.abs(a - b).mean()) / scale(history, season, 1)


def rmsse(y: np.ndarray, f: np.ndarray, history: np.ndarray, season: int = 1) -> float:
    """Root mean squared scaled error (the M5 competition's measure)."""
    a, b = _pair(y, f)
    return float(np.sqrt(((a - b) ** 2).mean() / scale(history, season, 2)))


def pinball(y: np.ndarray, q: np.ndarray, tau: float) -> float:
    """Mean pinball (quantile) loss of quantile forecasts ``q`` at level ``tau``."""
    a, b = _pair(y, q)
    if not 0 < tau < 1:
        raise InputError("tau must be in (0, 1).", value=tau)
    d = a - b
    return float(np.maximum(tau * d, (tau - 1) * d).mean())


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of actuals inside the closed interval ``[lo, hi]``."""
    a, b = _pair(y, lo)
    _, c = _pair(y, hi)
    if a.size == 0:
        return float("nan")
    return float(((a >= b) & (a <= c)).mean())
