r"""The presale layer: campaign uplift and the signal update of the window total.

Uplift (empirical-Bayes ratio estimator). For past campaign windows ``c`` and series ``i``, with
realised window total :math:`Y_{ci}` and the history model's total :math:`M_{ci}` forecast from
data before the window:

.. math::

    \bar u = \frac{\sum_{c,i} Y_{ci}}{\sum_{c,i} M_{ci}}, \qquad
    u_i = \frac{\sum_c Y_{ci} + \tau \bar u}{\sum_c M_{ci} + \tau},

with :math:`\tau` the median over series of :math:`\sum_c M_{ci}` (one typical series' worth of
prior volume), so a series with little history of its own is pulled to the pooled uplift.

Signals. :math:`D_t` are cumulative deposits after the first :math:`t` signal days and
:math:`\rho(t) = \sum_{c,i} D_{cit} / \sum_{c,i} Y_{ci}` the share of final demand deposited by
then, pooled over past campaigns. Given the total :math:`Y`, :math:`E D_t = \rho(t) Y` and
:math:`\mathrm{Var}\, D_t = \rho Y + v (\rho Y)^2`, with :math:`v` (between-series variation of
the deposit share) estimated by moments. The same holds for add-to-cart counts with their own
:math:`\rho_C, v_C`. Each signal is turned into a Poisson-equivalent observation by the factor
:math:`s = 1/(1 + v D_t)` and the Gamma prior of the total (mean :math:`m_0 = u M`,
shape :math:`\alpha_0 = 1/\kappa_L`) is updated conjugately:

.. math::

    \alpha = \alpha_0 + s D_t + s_C C_t, \qquad
    \beta = \alpha_0 / m_0 + s \rho(t) + s_C \rho_C(t), \qquad E[Y \mid D, C] = \alpha / \beta.

The posterior mean moves from :math:`m_0` towards :math:`D_t / \rho(t)` as :math:`\rho(t)` and the
counts grow, and is non-decreasing in :math:`D_t`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from presale_supply.exceptions import InputError

__all__ = ["SignalModel", "estimate_signal_model", "estimate_uplift", "posterior"]


@dataclass(frozen=True)
class SignalModel:
    """How presale signals relate to final window demand, learnt from past campaigns.

    Attributes
    ----------
    deposit_rho, cart_rho : tuple of float
        :math:`\\rho(t)` for ``t = 1, 2, ...`` signal days (cumulative count / final total).
    deposit_v, cart_v : float
        Relative extra variance of each signal.
    n_observations : int
        Past (campaign, series) pairs used.
    """

    deposit_rho: tuple[float, ...]
    deposit_v: float
    cart_rho: tuple[float, ...] = ()
    cart_v: float = 0.0
    n_observations: int = 0

    def __post_init__(self) -> None:
        if not self.deposit_rho or any(not r > 0 for r in self.deposit_rho):
            raise InputError(
                "deposit rho(t) must be positive for every signal day.",
                column="deposit_rho",
                value=self.deposit_rho,
            )
        if self.deposit_v < 0 or self.cart_v < 0:
            raise InputError("signal variances must be >= 0.", value=(self.deposit_v, self.cart_v))

    @staticmethod
    def _at(rho: tuple[float, ...], t: int) -> float:
        return rho[min(t, len(rho)) - 1] if rho else 0.0


def _moments(total: np.ndarray, cum: np.ndarray) -> tuple[tuple[float, ...], float]:
    """Pooled ratio rho(t) and moment estimate of v.

    ``cum`` is (n, t_max) with NaN where a past campaign had fewer signal days; each ``t`` uses
    the campaigns that reached it.
    """
    rho: list[float] = []
    vs: list[float] = []
    for t in range(cum.shape[1]):
        ok = ~np.isnan(cum[:, t])
        den = float(total[ok].sum())
        if den <= 0:
            raise InputError("past campaigns have no demand; rho(t) cannot be estimated.")
        r = float(cum[ok, t].sum()) / den
        rho.append(r)
        e = r * total[ok]
        denom = float((e**2).sum())
        if r > 0 and denom > 0:
            vs.append(max(0.0, float(((cum[ok, t] - e) ** 2 - e).sum()) / denom))
    return tuple(rho), float(np.median(vs)) if vs else 0.0


def estimate_signal_model(
    totals: np.ndarray,
    cum_deposits: np.ndarray,
    cum_carts: np.ndarray | None = None,
) -> SignalModel:
    """Estimate :class:`SignalModel` from past campaigns (see module equations).

    Parameters
    ----------
    totals : numpy.ndarray
        Realised window totals, shape ``(n,)`` (one per past campaign and series).
    cum_deposits, cum_carts : numpy.ndarray
        Cumulative signals after each signal day, shape ``(n, t_max)``; NaN after the last
        signal day of a campaign shorter than ``t_max``.

    Raises
    ------
    InputError
        If there is no past demand or no deposits.
    """
    y = np.asarray(totals, dtype=float)
    d = np.atleast_2d(np.asarray(cum_deposits, dtype=float))
    rho, v = _moments(y, d)
    if not all(r > 0 for r in rho):
        raise InputError("past campaigns have no deposits on some signal day; rho(t) is 0.")
    crho: tuple[float, ...] = ()
    cv = 0.0
    if cum_carts is not None and np.asarray(cum_carts).sum() > 0:
        crho, cv = _moments(y, np.atleast_2d(np.asarray(cum_carts, dtype=float)))
    return SignalModel(rho, v, crho, cv, int(y.size))


def posterior(
    m0: np.ndarray,
    alpha0: float,
    deposits: np.ndarray,
    carts: np.ndarray | None,
    t: np.ndarray,
    model: SignalModel,
    *,
    alpha0_array: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and shape of the window total given cumulative signals.

    Parameters
    ----------
    m0 : numpy.ndarray
        Prior means (uplifted history forecast totals), shape ``(n,)``.
    alpha0 : float
        Prior shape ``1 / kappa_L`` (``alpha0_array`` gives one per series instead).
    deposits, carts : numpy.ndarray
        Cumulative signals after ``t`` days, shape ``(n,)``; ``carts`` may be None.
    t : numpy.ndarray
        Signal days seen per series (0 = none; then the prior is returned).

    Returns
    -------
    mean, shape : numpy.ndarray
    """
    m = np.maximum(np.asarray(m0, dtype=float), 1e-3)
    alpha = (
        np.full(m.shape, float(alpha0))
        if alpha0_array is None
        else np.asarray(alpha0_array, dtype=float).copy()
    )
    beta = alpha / m
    dep = np.asarray(deposits, dtype=float)
    tt = np.asarray(t, dtype=np.int64)
    rho = np.array([SignalModel._at(model.deposit_rho, int(k)) if k > 0 else 0.0 for k in tt])
    s = 1.0 / (1.0 + model.deposit_v * dep)
    alpha = alpha + np.where(tt > 0, s * dep, 0.0)
    beta = beta + s * rho
    if carts is not None and model.cart_rho:
        c = np.asarray(carts, dtype=float)
        crho = np.array([SignalModel._at(model.cart_rho, int(k)) if k > 0 else 0.0 for k in tt])
        sc = 1.0 / (1.0 + model.cart_v * c)
        alpha = alpha + np.where(tt > 0, sc * c, 0.0)
        beta = beta + sc * crho
    mean = np.where(tt > 0, alpha / beta, np.asarray(m0, dtype=float))
    return mean, alpha


def estimate_uplift(actual_totals: np.ndarray, model_totals: np.ndarray) -> np.ndarray:
    """Per-series campaign uplift (see module equations).

    Parameters
    ----------
    actual_totals, model_totals : numpy.ndarray
        Shape ``(n_campaigns, n_series)``: realised and history-model window totals.

    Returns
    -------
    numpy.ndarray
        Uplift per series, shape ``(n_series,)``; all ones when the models forecast nothing.
    """
    y = np.atleast_2d(np.asarray(actual_totals, dtype=float)).sum(axis=0)
    m = np.atleast_2d(np.asarray(model_totals, dtype=float)).sum(axis=0)
    if m.sum() <= 0:
        return np.ones_like(m)
    pooled = y.sum() / m.sum()
    tau = float(np.median(m)) if np.median(m) > 0 else float(m.mean())
    return (y + tau * pooled) / (m + tau)
