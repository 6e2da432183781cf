"""Simulated presale signals overlaid on real demand (no public data set has deposits).

For each series with real window units :math:`y_1..y_H` and total :math:`Y`:

* a deposit share :math:`p_i \\sim \\mathrm{Beta}(k p, k (1 - p))` (default ``p = 0.5``,
  ``k = 20``): each of the :math:`Y` real units was reserved with a deposit with probability
  :math:`p_i`, on a day drawn uniformly from ``1..H`` (independent of its sale day);
* add-to-cart counts per day :math:`\\sim \\mathrm{Poisson}(r\\, g_i\\, Y / H)` with
  :math:`g_i \\sim \\mathrm{Gamma}` of mean 1 and coefficient of variation ``cart_cv``.

Only the first ``seen_days`` days are returned: the signals seen so far.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError

__all__ = ["overlay_signals"]


def overlay_signals(
    window: pd.DataFrame,
    seen_days: int,
    *,
    deposit_share: float = 0.5,
    share_concentration: float = 20.0,
    cart_ratio: float = 3.0,
    cart_cv: float = 0.3,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw signals ``unique_id, ds, deposits, add_to_cart`` from real window demand.

    Parameters
    ----------
    window : pandas.DataFrame
        ``unique_id, ds, y``: the real units of the campaign window (every series the same
        number of consecutive periods).
    seen_days : int
        Signal days to return (1 <= seen_days <= window length).
    deposit_share, share_concentration, cart_ratio, cart_cv : float
        Simulation parameters (module docstring).
    seed : int
        Random seed.

    Raises
    ------
    InputError
        If ``seen_days`` is out of range or a parameter is invalid.
    """
    if not 0 < deposit_share < 1 or share_concentration <= 0 or cart_ratio < 0 or cart_cv <= 0:
        raise InputError(
            "need 0 < deposit_share < 1, share_concentration > 0, cart_ratio >= 0, cart_cv > 0.",
            value=(deposit_share, share_concentration, cart_ratio, cart_cv),
        )
    rng = np.random.default_rng(seed)
    rows = []
    for sid, g in window.sort_values(["unique_id", "ds"]).groupby("unique_id", sort=True):
        h = len(g)
        if not 1 <= seen_days <= h:
            raise InputError(f"seen_days must be in 1..{h}.", column="seen_days", value=seen_days)
        total = round(float(g["y"].sum()))
        p = rng.beta(share_concentration * deposit_share, share_concentration * (1 - deposit_share))
        n_dep = rng.binomial(total, p)
        per_day = rng.multinomial(n_dep, np.full(h, 1.0 / h))
        shape = 1.0 / cart_cv**2
        gain = rng.gamma(shape, 1.0 / shape)
        carts = rng.poisson(cart_ratio * gain * total / h, size=h)
        ds = pd.to_datetime(g["ds"]).to_numpy()
        for d in range(seen_days):
            rows.append((sid, ds[d], int(per_day[d]), int(carts[d])))
    return pd.DataFrame(rows, columns=["unique_id", "ds", "deposits", "add_to_cart"])
