r"""Predictive distribution of whole units, its quantiles, sample paths and calibration.

The model of one series over a window of ``h`` periods:

.. math::

    Y \sim \mathrm{Gamma}(\alpha, \beta), \quad
    G_d \sim \mathrm{Gamma}(1/\kappa_D, 1/\kappa_D), \quad
    y_d \mid Y, G_d \sim \mathrm{Poisson}(Y\, w_d\, G_d),

where :math:`w_d` is the forecast's daily profile (:math:`\sum_d w_d = 1`), :math:`Y` the
window total's level (mean :math:`m = \alpha/\beta`) and :math:`G_d` day-level noise. Without
presale signals :math:`\alpha = 1/\kappa_L`. With :math:`\mu_d = m w_d`, :math:`S_2 = \sum w_d^2`:

.. math::

    \mathrm{Var}\,y_d = \mu_d + \mu_d^2 c_D,\ c_D = (1 + 1/\alpha)(1 + \kappa_D) - 1; \qquad
    \mathrm{Var}\,T = m + m^2 c_T,\ c_T = (1 + 1/\alpha)(1 + S_2 \kappa_D) - 1.

Quantiles of :math:`y_d` and of the total :math:`T = \sum_d y_d` are taken from the negative
binomial with that mean and variance (size :math:`1/c`), so they are whole units, non-negative
and monotone in the level. Sample paths draw the hierarchy itself, so days within a path are
correlated through :math:`Y`.

Calibration (rolling origin): on held-out windows, :math:`\kappa_L` is set by bisection so that
the central interval of window totals covers the target share, then :math:`\kappa_D` so that the
daily intervals do; two rounds. This is split-conformal calibration of a one-parameter family
per quantity.

Level recalibration: whole-unit intervals of low counts cover more than their nominal level
even at Poisson dispersion (a central 80% interval of a Poisson with mean 0.3 is [0, 1] and
covers 96%). So, last, each requested level :math:`\tau` is mapped to a level :math:`\tau'`
chosen on the held-out windows (quantile recalibration, in the spirit of Kuleshov et al.,
2018, made exact for counts): a lower level (:math:`\tau < 0.5`) so that outcomes fall
*below* the quantile in a share :math:`\tau` of cases, :math:`\tau'` being the empirical
:math:`\tau`-quantile of :math:`F(y)` (:math:`y < q_{\tau'}` exactly when
:math:`F(y) < \tau'`); an upper level so that outcomes lie *above* it in a share
:math:`1 - \tau`, :math:`\tau'` being the empirical :math:`\tau`-quantile of
:math:`F(y - 1)` (:math:`y > q_{\tau'}` exactly when :math:`F(y - 1) \ge \tau'`). The
central interval's two miss rates, and so its coverage, then match their targets on the
held-out windows; for a calibrated model of large counts the map is close to the identity
(for low counts it is not: that is its purpose). Held-out values whose forecast mean is 0 are
left out (their quantiles are 0 at every level).
The map is learnt per band of the predictive mean (:data:`MEAN_BANDS`), so that series with
mostly zeros and series with large counts each get their own; a band with fewer than
:data:`MIN_BAND_POINTS` held-out values uses the map of all of them, and with fewer than
:data:`MIN_MAP_POINTS` in all the levels are kept as requested.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Dispersion",
    "LevelMap",
    "calibrate",
    "central_coverage",
    "daily_c",
    "level_map",
    "nb_quantiles",
    "pit_grid",
    "sample_paths",
    "shape_total",
]

_MIN_K, _MAX_K = 1e-4, 4.0


@dataclass(frozen=True)
class Dispersion:
    """Calibrated dispersion: squared coefficients of variation of level and day noise."""

    kappa_level: float
    kappa_daily: float


def nb_quantiles(
    mean: np.ndarray, c: np.ndarray | float, taus: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Quantiles of a negative binomial with ``mean`` and variance ``mean + c * mean**2``.

    Parameters
    ----------
    mean : numpy.ndarray
        Means (>= 0), any shape.
    c : numpy.ndarray or float
        Squared coefficient of the extra-Poisson variation (>= 0; 0 gives Poisson).
    taus : sequence of float
        Levels in (0, 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(taus),) + mean.shape``, int64.
    """
    stats = importlib.import_module("scipy.stats")

    mu = np.maximum(np.asarray(mean, dtype=float), 0.0)
    cc = np.broadcast_to(np.maximum(np.asarray(c, dtype=float), 1e-9), mu.shape)
    n = 1.0 / cc
    p = n / (n + np.where(mu > 0, mu, 1.0))
    out = np.zeros((len(taus), *mu.shape), dtype=np.int64)
    for k, tau in enumerate(taus):
        q = stats.nbinom.ppf(tau, n, p)
        q = np.where(mu > 0, q, 0.0)
        out[k] = np.nan_to_num(q, nan=0.0, posinf=0.0).astype(np.int64)
    return out


def daily_c(alpha: np.ndarray | float, kappa_daily: np.ndarray | float) -> np.ndarray:
    """Extra-Poisson variance coefficient of a single period (see module equations)."""
    return (1.0 + 1.0 / np.asarray(alpha, dtype=float)) * (1.0 + kappa_daily) - 1.0


def shape_total(
    alpha: np.ndarray | float, s2: np.ndarray, kappa_daily: np.ndarray | float
) -> np.ndarray:
    """Extra-Poisson variance coefficient of the window total (see module equations)."""
    return (1.0 + 1.0 / np.asarray(alpha, dtype=float)) * (1.0 + s2 * kappa_daily) - 1.0


def _cdf_pair(
    y: np.ndarray, mean: np.ndarray, c: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """``F(y)`` and ``F(y - 1)`` under NB(mean, c), shaped like ``y`` (zero mean: mass on 0)."""
    stats = importlib.import_module("scipy.stats")
    yy = np.asarray(y, dtype=float)
    mu = np.broadcast_to(np.maximum(np.asarray(mean, dtype=float), 0.0), yy.shape)
    cc = np.broadcast_to(np.maximum(np.asarray(c, dtype=float), 1e-9), yy.shape)
    n = 1.0 / cc
    p = n / (n + np.where(mu > 0, mu, 1.0))
    f_y = np.where(mu > 0, stats.nbinom.cdf(yy, n, p), 1.0)
    f_prev = np.where(mu > 0, stats.nbinom.cdf(yy - 1, n, p), np.where(yy >= 1, 1.0, 0.0))
    return f_y, f_prev


def central_coverage(y: np.ndarray, mean: np.ndarray, c: np.ndarray, level: float) -> float:
    """Share of ``y`` inside the central ``level`` interval of NB(mean, c).

    Uses the CDF instead of quantiles (much faster): with ``q_tau = min{k : F(k) >= tau}``,
    ``q_lo <= y <= q_hi`` holds exactly when ``F(y) >= tau_lo`` and ``F(y - 1) < tau_hi``.
    """
    lo_tau = (1.0 - level) / 2.0
    hi_tau = 1.0 - lo_tau
    f_y, f_prev = _cdf_pair(y, mean, c)
    covered = (f_y >= lo_tau) & (f_prev < hi_tau)
    return float(covered.mean()) if covered.size else float("nan")


#: Edges of the predictive-mean bands of the level recalibration.
MEAN_BANDS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
#: Fewest held-out values for a band of its own.
MIN_BAND_POINTS = 300
#: Fewest held-out values for any recalibration (fewer: the levels are kept as requested, since
#: a tail quantile of so few values is mostly noise).
MIN_MAP_POINTS = 1000


@dataclass(frozen=True, eq=False)
class LevelMap:
    """Held-out PIT grids (:func:`pit_grid`) per band of the predictive mean, and pooled."""

    pooled: np.ndarray | None
    bands: dict[int, np.ndarray]
    tails: str = "both"

    @classmethod
    def fit(
        cls, y: np.ndarray, mean: np.ndarray, c: np.ndarray | float, tails: str = "both"
    ) -> LevelMap:
        """Learn the grids from held-out outcomes ``y`` with predictive ``mean`` and ``c``."""
        yy = np.asarray(y, dtype=float).reshape(-1)
        mu = np.asarray(mean, dtype=float).reshape(-1)
        cc = np.broadcast_to(np.asarray(c, dtype=float), np.shape(mean)).reshape(-1)
        # A zero mean forecasts 0 at every level, so its outcomes say nothing about the levels.
        keep = mu > 0
        yy, mu, cc = yy[keep], mu[keep], cc[keep]
        if yy.size < MIN_MAP_POINTS:
            return cls(None, {}, tails)
        band = np.searchsorted(MEAN_BANDS, mu, side="right")
        bands = {}
        for b in np.unique(band):
            sel = band == b
            if sel.sum() >= MIN_BAND_POINTS:
                bands[int(b)] = pit_grid(yy[sel], mu[sel], cc[sel])
        return cls(pit_grid(yy, mu, cc), bands, tails)

    def quantiles(
        self, mean: np.ndarray, c: np.ndarray | float, taus: Sequence[float]
    ) -> np.ndarray:
        """Whole-unit quantiles at the recalibrated levels (as :func:`nb_quantiles`)."""
        mu = np.asarray(mean, dtype=float)
        cc = np.broadcast_to(np.asarray(c, dtype=float), mu.shape)
        band = np.searchsorted(MEAN_BANDS, mu, side="right")
        out = np.zeros((len(taus), *mu.shape), dtype=np.int64)
        for b in np.unique(band):
            sel = band == b
            levels = level_map(self.bands.get(int(b), self.pooled), taus, self.tails)
            out[:, sel] = nb_quantiles(mu[sel], cc[sel], levels)
        return out


def pit_grid(
    y: np.ndarray, mean: np.ndarray, c: np.ndarray | float, size: int = 1001
) -> np.ndarray:
    """Evenly spaced quantiles of ``F(y)`` and of ``F(y - 1)`` under NB(mean, c).

    Parameters
    ----------
    y, mean : numpy.ndarray
        Realised counts and predictive means (same shape).
    c : numpy.ndarray or float
        Extra-Poisson variance coefficient (broadcast to ``y``).
    size : int
        Number of quantiles kept of each (levels ``0, 1/(size-1), ..., 1``).

    Returns
    -------
    numpy.ndarray
        Shape ``(2, size)``: row 0 from ``F(y)``, row 1 from ``F(y - 1)``; a zero mean puts all
        mass on 0.
    """
    f_y, f_prev = _cdf_pair(y, mean, c)
    levels = np.linspace(0.0, 1.0, size)
    return np.vstack([np.quantile(f_y, levels), np.quantile(f_prev, levels)])


def level_map(grid: np.ndarray | None, taus: Sequence[float], tails: str = "both") -> np.ndarray:
    """Recalibrated levels (module docstring) from a :func:`pit_grid`.

    Parameters
    ----------
    grid : numpy.ndarray or None
        Output of :func:`pit_grid` on held-out windows; ``None`` gives the identity.
    taus : sequence of float
        Requested levels, increasing.
    tails : {"both", "upper"}
        ``"upper"`` keeps the levels below 0.5 as requested.

    Returns
    -------
    numpy.ndarray
        Levels in ``[1e-6, 1 - 1e-6]``, non-decreasing in ``taus``.
    """
    t = np.asarray(taus, dtype=float)
    if grid is None:
        return t
    levels = np.linspace(0.0, 1.0, grid.shape[1])
    lower = np.interp(t, levels, grid[0])
    upper = np.interp(t, levels, grid[1])
    out = np.where(t < 0.5, lower if tails == "both" else t, upper)
    return np.clip(np.maximum.accumulate(out), 1e-6, 1.0 - 1e-6)


def _bisect(
    f: Callable[[float], float], target: float, lo: float = _MIN_K, hi: float = _MAX_K
) -> float:
    """Smallest value in ``[lo, hi]`` whose coverage ``f`` reaches ``target``.

    Coverage of a negative binomial interval rises with the dispersion and falls again when the
    distribution collapses onto 0, so the first crossing is found on a log grid and refined by
    bisection; without a crossing the grid point of highest coverage is returned.
    """
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), 25))
    covs = []
    for k, g in enumerate(grid):
        c = f(float(g))
        covs.append(c)
        if c >= target:
            if k == 0:
                return float(g)
            a, b = float(np.log(grid[k - 1])), float(np.log(g))
            for _ in range(16):
                mid = 0.5 * (a + b)
                if f(float(np.exp(mid))) < target:
                    a = mid
                else:
                    b = mid
            return float(np.exp(b))
    return float(grid[int(np.argmax(covs))])


def calibrate(
    actual: np.ndarray, mean: np.ndarray, target: float = 0.8, rounds: int = 2
) -> Dispersion:
    """Calibrate ``(kappa_level, kappa_daily)`` on held-out windows.

    Parameters
    ----------
    actual, mean : numpy.ndarray
        Shape ``(n_windows_x_series, h)``: realised values and point forecasts.
    target : float
        Nominal coverage of the central interval.
    rounds : int
        Alternations between the two parameters.
    """
    y = np.asarray(actual, dtype=float)
    mu = np.asarray(mean, dtype=float)
    m = mu.sum(axis=1)
    w = np.divide(mu, m[:, None], out=np.full_like(mu, 1.0 / mu.shape[1]), where=m[:, None] > 0)
    s2 = (w**2).sum(axis=1)
    tot = y.sum(axis=1)
    kd = 0.25
    kl = 0.1
    for _ in range(rounds):

        def total_cov(k: float, kd_now: float = kd) -> float:
            return central_coverage(tot, m, shape_total(1.0 / k, s2, kd_now), target)

        kl = _bisect(total_cov, target)

        def daily_cov(k: float, kl_now: float = kl) -> float:
            return central_coverage(y, mu, daily_c(1.0 / kl_now, k), target)

        kd = _bisect(daily_cov, target)
    return Dispersion(kl, kd)


def sample_paths(
    m: np.ndarray,
    alpha: np.ndarray,
    w: np.ndarray,
    kappa_daily: np.ndarray,
    n_paths: int,
    seed: int,
) -> np.ndarray:
    """Draw whole-unit sample paths from the hierarchy in the module docstring.

    Parameters
    ----------
    m, alpha : numpy.ndarray
        Per series mean and shape of the window level, shape ``(n,)``.
    w : numpy.ndarray
        Daily profile, shape ``(n, h)``, rows summing to 1 (or 0 for a zero forecast).
    kappa_daily : numpy.ndarray
        Day-noise dispersion per series, shape ``(n,)``.
    n_paths, seed : int
        Number of paths and random seed.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_paths, n, h)``, int64.
    """
    rng = np.random.default_rng(seed)
    n, h = w.shape
    a = np.maximum(np.asarray(alpha, dtype=float), 1e-6)
    level = rng.gamma(a[None, :], np.asarray(m, float)[None, :] / a[None, :], size=(n_paths, n))
    kd = np.maximum(np.asarray(kappa_daily, dtype=float), 1e-9)[None, :, None]
    g = rng.gamma(1.0 / kd, kd, size=(n_paths, n, h))
    lam = level[:, :, None] * w[None, :, :] * g
    return rng.poisson(lam).astype(np.int64)
