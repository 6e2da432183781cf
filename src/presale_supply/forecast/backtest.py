"""Rolling-origin backtests and the metrics table.

A backtest with ``n_windows`` windows of ``horizon`` periods holds back the last
``w * horizon`` periods for ``w = n_windows, ..., 1``, fits the forecaster on what is left
(including its own inner calibration windows, which lie entirely before the cutoff) and
forecasts the next ``horizon`` periods. History-model forecasts are shared between outer and
inner windows, so each distinct cutoff is fitted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.forecast import metrics
from presale_supply.forecast.data import Panel, from_period, validate_history
from presale_supply.forecast.forecaster import (
    Forecaster,
    _BaselineCache,
    _check_horizon,
    quantile_column,
)
from presale_supply.forecast.params import DEFAULT_QUANTILES, ForecastParams, check_quantiles

__all__ = ["backtest", "metrics_table"]


def backtest(
    history: pd.DataFrame,
    horizon: int,
    n_windows: int = 3,
    *,
    params: ForecastParams | None = None,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    progress: bool | None = None,
    source: str = "history",
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of the forecaster (history only).

    ``executor`` runs the per-series history models on it, as in
    :meth:`~presale_supply.forecast.Forecaster.fit` (identical results).

    Returns
    -------
    pandas.DataFrame
        ``unique_id, cutoff, ds, y, mean, q...`` for every held-out period; ``cutoff`` is the last
        period used for fitting.

    Raises
    ------
    InputError
        Invalid history, horizon or number of windows, or series too short to hold back.
    """
    _check_horizon(horizon)
    if isinstance(n_windows, bool) or not isinstance(n_windows, int) or n_windows < 1:
        raise InputError(
            "n_windows must be a whole number >= 1.", column="n_windows", value=n_windows
        )
    p = params or ForecastParams()
    qs = check_quantiles(quantiles)
    h = int(horizon)
    full = validate_history(history, source, gap_policy=p.gap_policy)
    season = p.season_length or full.freq.default_season
    show = len(full.ids) >= 50 if progress is None else progress
    cache = _BaselineCache(full, p, season, show, executor)
    frames = []
    for w in range(n_windows, 0, -1):
        cut = w * h
        fc = Forecaster(p)._fit_panel(full, cut, h, None, None, "signals", show, cache)
        res = fc.predict(None, qs)
        actual = np.concatenate([v[len(v) - cut : len(v) - cut + h] for v in full.values])
        df = res.daily.copy()
        df.insert(2, "y", actual)
        ends = np.repeat(full.ends - cut, h)
        df.insert(1, "cutoff", from_period(ends, full.freq, full.anchor))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def metrics_table(
    results: pd.DataFrame,
    history: pd.DataFrame,
    *,
    season: int = 1,
    model_col: str | None = None,
    interval: tuple[float, float] = (0.1, 0.9),
) -> pd.DataFrame:
    """WAPE, MASE, RMSSE, mean pinball loss and interval coverage of backtest results.

    Parameters
    ----------
    results : pandas.DataFrame
        ``unique_id, cutoff, ds, y, mean`` and quantile columns ``q...``; optionally a model
        column to compare several models.
    history : pandas.DataFrame
        The full history (``unique_id, ds, y``); each series' MASE/RMSSE scale is computed from
        its values up to each cutoff.
    season : int
        Lag of the naive forecast used for scaling.
    model_col : str, optional
        Column naming the model; one row per model.
    interval : (float, float)
        Quantile levels of the interval whose coverage is reported.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model, wape, mase, rmsse, pinball, coverage, n``. MASE and RMSSE are
        means over (series, cutoff) pairs with a non-zero scale.
    """
    panel = validate_history(history[["unique_id", "ds", "y"]], "history")
    index = {sid: i for i, sid in enumerate(panel.ids)}
    df = results.copy()
    df["unique_id"] = df["unique_id"].astype(str)
    if model_col is None:
        df["_model"] = "forecaster"
        model_col = "_model"
    qcols = [c for c in df.columns if c.startswith("q") and c[1:].replace(".", "", 1).isdigit()]
    lo_c, hi_c = quantile_column(interval[0]), quantile_column(interval[1])
    rows = []
    for name, g in df.groupby(model_col, sort=False):
        mases, rmsses = [], []
        for (sid, cutoff), s in g.groupby(["unique_id", "cutoff"], sort=False):
            i = index[str(sid)]
            v = panel.values[i]
            train = v[: _train_len(panel, i, pd.Timestamp(str(cutoff)))]
            sc1 = metrics.scale(train, season, 1)
            sc2 = metrics.scale(train, season, 2)
            y = s["y"].to_numpy(float)
            f = s["mean"].to_numpy(float)
            if np.isfinite(sc1):
                mases.append(float(np.abs(y - f).mean()) / sc1)
                rmsses.append(float(np.sqrt(((y - f) ** 2).mean() / sc2)))
        y_all = g["y"].to_numpy(float)
        pin = [
            metrics.pinball(y_all, g[c].to_numpy(float), float(c[1:]))
            for c in qcols
            if g[c].notna().all()
        ]
        cov = (
            metrics.coverage(y_all, g[lo_c].to_numpy(float), g[hi_c].to_numpy(float))
            if lo_c in g and hi_c in g and g[lo_c].notna().all()
            else float("nan")
        )
        rows.append(
            {
                "model": name,
                "wape": metrics.wape(y_all, g["mean"].to_numpy(float)),
                "mase": float(np.mean(mases)) if mases else float("nan"),
                "rmsse": float(np.mean(rmsses)) if rmsses else float("nan"),
                "pinball": float(np.mean(pin)) if pin else float("nan"),
                "coverage": cov,
                "n": len(g),
            }
        )
    return pd.DataFrame(rows)


def _train_len(panel: Panel, i: int, cutoff: pd.Timestamp) -> int:
    from presale_supply.forecast.data import to_period

    c = int(to_period(np.array([cutoff.to_datetime64()]), panel.freq)[0])
    return int(c - panel.starts[i]) + 1
