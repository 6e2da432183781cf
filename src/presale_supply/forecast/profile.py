r"""The campaign-day profile: how a campaign total is split over the campaign's days.

Past campaigns are aligned on their first day. With :math:`y_{cid}` the units of series
:math:`i` on day :math:`d = 1..h` of past campaign :math:`c` and :math:`Y_{ci} = \sum_d y_{cid}`,
the pooled profile is the ratio estimator

.. math::

    P_d = \frac{\sum_{c,i} y_{cid}}{\sum_{c,i} Y_{ci}}, \qquad \sum_d P_d = 1,

and each series' own profile is shrunk towards it (a Dirichlet-multinomial posterior mean with
prior strength :math:`\tau` units):

.. math::

    p_{id} = \frac{\sum_c y_{cid} + \tau P_d}{\sum_c Y_{ci} + \tau}.

:math:`\tau = \infty` is the pooled profile for every series. :math:`\tau` is chosen by
leave-one-campaign-out cross-validation on a grid (multiples of the median series total): for
each held-out campaign :math:`c` the profiles are re-estimated from the other campaigns and
scored by the multinomial log loss :math:`-\sum_{i,d} y_{cid} \log p^{(-c)}_{id}`. With one past
campaign there is nothing to validate on and the pooled profile is used; the profiles that
calibrate the intervals are then pooled over the other series (leave-one-series-out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CampaignProfile", "estimate_profile", "pooled_profile", "shrunk_profiles"]

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class CampaignProfile:
    """Campaign-day profiles learnt from past campaigns.

    Attributes
    ----------
    pooled : numpy.ndarray
        :math:`P_d`, shape ``(h,)``, summing to 1.
    series : numpy.ndarray
        :math:`p_{id}`, shape ``(n_series, h)``; rows sum to 1 (series without past campaigns
        get ``pooled``).
    strength : float
        :math:`\\tau` (``inf``: pooled only).
    holdout : numpy.ndarray
        Profile of each past (campaign, series) observation estimated without its campaign
        (with a single past campaign: the pooled profile of the other series), shape
        ``(n_obs, h)``; used to calibrate the intervals.
    n_campaigns : int
    """

    pooled: np.ndarray
    series: np.ndarray
    strength: float
    holdout: np.ndarray
    n_campaigns: int


def pooled_profile(daily: np.ndarray) -> np.ndarray:
    """:math:`P_d` from daily units ``(n_obs, h)`` (uniform when there are no units)."""
    y = np.asarray(daily, dtype=float)
    s = y.sum(axis=0)
    tot = float(s.sum())
    if tot <= 0:
        return np.full(y.shape[1], 1.0 / y.shape[1])
    return s / tot


def shrunk_profiles(own: np.ndarray, pooled: np.ndarray, tau: float) -> np.ndarray:
    """:math:`p_{id}` from each series' summed daily units ``own`` ``(n, h)``."""
    own = np.asarray(own, dtype=float)
    pooled = np.asarray(pooled, dtype=float)
    if not np.isfinite(tau):
        return np.broadcast_to(pooled, own.shape).copy()
    tot = own.sum(axis=1, keepdims=True)
    return (own + tau * pooled[None, :]) / (tot + tau)


def _own(daily: np.ndarray, series: np.ndarray, n_series: int) -> np.ndarray:
    out = np.zeros((n_series, daily.shape[1]))
    np.add.at(out, series, daily)
    return out


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    return float(-(y * np.log(np.maximum(p, _EPS))).sum())


def estimate_profile(
    daily: np.ndarray,
    series: np.ndarray,
    campaign: np.ndarray,
    n_series: int,
    strength: float | None = None,
) -> CampaignProfile:
    """Estimate the campaign-day profile (see module equations).

    Parameters
    ----------
    daily : numpy.ndarray
        Units per past (campaign, series) observation and campaign day, shape ``(n_obs, h)``.
    series, campaign : numpy.ndarray
        Series index (``0..n_series-1``) and campaign index of each observation.
    n_series : int
    strength : float, optional
        :math:`\\tau`; ``None`` chooses it by leave-one-campaign-out cross-validation
        (pooled only with a single past campaign), ``inf`` forces the pooled profile.
    """
    y = np.asarray(daily, dtype=float)
    sid = np.asarray(series, dtype=np.int64)
    cid = np.asarray(campaign, dtype=np.int64)
    camps = np.unique(cid)
    pooled = pooled_profile(y)

    def holdout(tau: float) -> np.ndarray:
        out = np.empty_like(y)
        for c in camps:
            rest = cid != c
            held = ~rest
            p_rest = pooled_profile(y[rest])
            own = _own(y[rest], sid[rest], n_series)
            out[held] = shrunk_profiles(own, p_rest, tau)[sid[held]]
        return out

    if len(camps) < 2:
        tau = np.inf if strength is None else float(strength)
        own = _own(y, sid, n_series)
        # No other campaign to hold out: each observation's profile is pooled over the *other*
        # series (leave-one-series-out), so its own noise does not shape its calibration mean.
        rest = y.sum(axis=0)[None, :] - own[sid]
        rest_tot = rest.sum(axis=1, keepdims=True)
        loso = np.divide(
            rest, rest_tot, out=np.broadcast_to(pooled, y.shape).copy(), where=rest_tot > 0
        )
        return CampaignProfile(
            pooled,
            shrunk_profiles(own, pooled, tau),
            tau,
            loso if not np.isfinite(tau) else shrunk_profiles(own, pooled, tau)[sid],
            len(camps),
        )
    if strength is None:
        totals = _own(y, sid, n_series).sum(axis=1)
        scale = float(np.median(totals[totals > 0])) if (totals > 0).any() else 1.0
        grid = [scale * 2.0**k for k in range(-3, 9)] + [np.inf]
        losses = [_log_loss(y, holdout(t)) for t in grid]
        tau = float(grid[int(np.argmin(losses))])
    else:
        tau = float(strength)
    return CampaignProfile(
        pooled,
        shrunk_profiles(_own(y, sid, n_series), pooled, tau),
        tau,
        holdout(tau),
        len(camps),
    )
