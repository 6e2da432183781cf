"""Interval calibration on held-out windows (synthetic data with known dispersion)."""

from __future__ import annotations

import numpy as np

from presale_supply.forecast import uncertainty as unc


def _draw(rng: np.random.Generator, mu: np.ndarray, kl: float, kd: float) -> np.ndarray:
    level = rng.gamma(1 / kl, kl, size=(mu.shape[0], 1))
    g = rng.gamma(1 / kd, kd, size=mu.shape)
    return rng.poisson(mu * level * g)


def test_calibrated_intervals_cover_held_out_windows() -> None:
    rng = np.random.default_rng(4)
    mu = rng.uniform(2, 60, size=(600, 14))
    train = _draw(rng, mu[:300], 0.15, 0.3)
    test = _draw(rng, mu[300:], 0.15, 0.3)
    disp = unc.calibrate(train, mu[:300], 0.8)
    c = unc.daily_c(1 / disp.kappa_level, disp.kappa_daily)
    cov = unc.central_coverage(test, mu[300:], np.full(test.shape, c), 0.8)
    assert 0.75 <= cov <= 0.85
    # Poisson-only intervals (no calibration) under-cover on the same data
    assert unc.central_coverage(test, mu[300:], np.full(test.shape, 1e-9), 0.8) < 0.7


def test_nb_quantiles_whole_monotone_and_zero_mean() -> None:
    mu = np.array([0.0, 0.3, 5.0, 500.0])
    q = unc.nb_quantiles(mu, 0.5, (0.1, 0.5, 0.9))
    assert q.dtype == np.int64 and (q >= 0).all()
    assert (np.diff(q, axis=0) >= 0).all()
    assert (q[:, 0] == 0).all()


def test_sample_paths_match_moments() -> None:
    m, a = np.array([100.0, 10.0]), np.array([4.0, 4.0])
    w = np.full((2, 5), 0.2)
    paths = unc.sample_paths(m, a, w, np.array([0.2, 0.2]), 4000, 0)
    tot = paths.sum(axis=2)
    np.testing.assert_allclose(tot.mean(axis=0), m, rtol=0.05)
    # Var T = m + m^2 c_T with c_T from the module equations
    c_t = unc.shape_total(a, (w**2).sum(axis=1), np.array([0.2, 0.2]))
    np.testing.assert_allclose(tot.var(axis=0), m + m**2 * c_t, rtol=0.15)
