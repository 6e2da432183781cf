r"""History models: per-series choice between a smooth and an intermittent statsforecast model.

Demand pattern (Syntetos, Boylan & Croston 2005) of a series ``x`` with ``n`` periods of which
``k`` are non-zero:

.. math::

    \mathrm{ADI} = n / k, \qquad \mathrm{CV}^2 = \left(\frac{\mathrm{sd}(x_{x>0})}
    {\mathrm{mean}(x_{x>0})}\right)^2

ADI > 1.32 is intermittent (CV^2 <= 0.49) or lumpy (CV^2 > 0.49); otherwise smooth or erratic.
The models are statsforecast's (imported lazily); this module adds no forecasting equations of
its own. Negative point forecasts (possible with additive ETS) are clipped to 0.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from presale_supply.forecast.data import Panel
from presale_supply.forecast.params import BaseModel, DemandPattern, ForecastParams, SelectionPolicy
from presale_supply.parallel import Partition, chunk_slices, executor_workers, run_partitions

__all__ = [
    "HistoryModel",
    "choose_model",
    "classify",
    "forecast_panel_values",
    "seasonal_shape",
    "select_intermittent",
]

_COMBO_PARTS = (BaseModel.CROSTON_SBA, BaseModel.TSB, BaseModel.ADIDA, BaseModel.IMAPA)


def classify(y: np.ndarray, adi_cutoff: float = 1.32, cv2_cutoff: float = 0.49) -> DemandPattern:
    """Return the Syntetos-Boylan demand class of one series (an all-zero series is lumpy)."""
    x = np.asarray(y, dtype=float)
    nz = x[x > 0]
    if nz.size == 0:
        return DemandPattern.LUMPY
    adi = x.size / nz.size
    cv2 = float(nz.var() / nz.mean() ** 2) if nz.size > 1 else 0.0
    if adi > adi_cutoff:
        return DemandPattern.LUMPY if cv2 > cv2_cutoff else DemandPattern.INTERMITTENT
    return DemandPattern.ERRATIC if cv2 > cv2_cutoff else DemandPattern.SMOOTH


def choose_model(pattern: DemandPattern, params: ForecastParams) -> BaseModel:
    """The history model a series of this demand class gets under ``params.selection``."""
    if params.selection is SelectionPolicy.SMOOTH_ONLY:
        return params.smooth_model
    if params.selection is SelectionPolicy.INTERMITTENT_ONLY:
        return params.intermittent_model
    return params.intermittent_model if pattern.is_intermittent else params.smooth_model


def _make(model: BaseModel, season: int, alpha_d: float, alpha_p: float, ets: str) -> Any:
    from statsforecast import models as sfm

    if model is BaseModel.AUTO_ETS:
        return sfm.AutoETS(season_length=season, model=ets if season > 1 else ets[:2] + "N")
    if model is BaseModel.SEASONAL_NAIVE:
        return sfm.SeasonalNaive(season_length=season)
    if model is BaseModel.CROSTON_SBA:
        return sfm.CrostonSBA()
    if model is BaseModel.TSB:
        return sfm.TSB(alpha_d=alpha_d, alpha_p=alpha_p)
    if model is BaseModel.ADIDA:
        return sfm.ADIDA()
    if model is BaseModel.IMAPA:
        return sfm.IMAPA()
    raise ValueError(model)  # pragma: no cover - combos are expanded by the caller


class HistoryModel:
    """A thin fit/predict wrapper around one statsforecast model for one series.

    Parameters
    ----------
    model : BaseModel
        Which model; ``INTERMITTENT_COMBO`` averages CrostonSBA, TSB, ADIDA and IMAPA.
    season_length : int
        Season of AutoETS / SeasonalNaive (reduced to 1 when the series is shorter than two
        seasons).
    tsb_alpha_d, tsb_alpha_p : float
        TSB smoothing weights.
    ets_model : str
        AutoETS model string (``"ZZZ"``: all chosen by AIC).

    Notes
    -----
    Fallbacks, in order, when a model cannot be fitted: the same model without season, then the
    series mean. An all-zero series forecasts zero.
    """

    def __init__(
        self,
        model: BaseModel,
        season_length: int = 1,
        tsb_alpha_d: float = 0.1,
        tsb_alpha_p: float = 0.1,
        ets_model: str = "ZZZ",
    ) -> None:
        self.model = model
        self.ets_model = ets_model
        self.season_length = season_length
        self.tsb = (tsb_alpha_d, tsb_alpha_p)
        self._fitted: list[Any] = []
        self._y: np.ndarray | None = None

    def _parts(self, season: int) -> list[Any]:
        names = _COMBO_PARTS if self.model is BaseModel.INTERMITTENT_COMBO else (self.model,)
        return [_make(m, season, *self.tsb, self.ets_model) for m in names]

    def _season(self, n: int) -> int:
        return self.season_length if n >= 2 * self.season_length else 1

    def fit(self, y: np.ndarray) -> HistoryModel:
        """Fit to one series (oldest first); returns ``self``."""
        x = np.ascontiguousarray(y, dtype=float)
        self._y = x
        self._fitted = []
        if not x.any():
            return self
        for season in dict.fromkeys((self._season(x.size), 1)):
            try:
                self._fitted = [m.fit(y=x) for m in self._parts(season)]
                return self
            except Exception:  # statsforecast raises assorted errors on degenerate series
                continue
        return self

    def predict(self, h: int) -> np.ndarray:
        """Point forecasts for the next ``h`` periods (non-negative)."""
        if self._y is None:
            raise RuntimeError("call fit() before predict()")
        if not self._y.any():
            return np.zeros(h)
        if not self._fitted:
            return np.full(h, float(self._y.mean()))
        out = np.mean([np.asarray(m.predict(h=h)["mean"], dtype=float) for m in self._fitted], 0)
        return _clean(out, self._y)

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:
        """Fit and predict in one step without keeping state (statsforecast's ``forecast``)."""
        x = np.ascontiguousarray(y, dtype=float)
        if not x.any():
            return np.zeros(h)
        for season in dict.fromkeys((self._season(x.size), 1)):
            try:
                outs = [
                    np.asarray(m.forecast(y=x, h=h)["mean"], float) for m in self._parts(season)
                ]
                return _clean(np.mean(outs, 0), x)
            except Exception:
                continue
        return np.full(h, float(x.mean()))


def _clean(f: np.ndarray, y: np.ndarray) -> np.ndarray:
    f = np.where(np.isfinite(f), f, float(y.mean()))
    return np.maximum(f, 0.0)


def forecast_panel_values(
    values: Sequence[np.ndarray],
    h: int,
    params: ForecastParams,
    season: int,
    *,
    progress: bool = False,
    desc: str = "history models",
    executor: Executor | None = None,
    ids: Sequence[str] | None = None,
) -> tuple[np.ndarray, list[DemandPattern], list[BaseModel]]:
    """Forecast every series ``h`` periods ahead with its chosen model.

    Each series is fitted on its own, so with an ``executor`` the series are split into
    contiguous chunks (about four per worker) that run concurrently and are stacked back in
    their order: the result is the same, bit for bit, as without one.

    Parameters
    ----------
    executor : concurrent.futures.Executor, optional
        Run chunks of series on it (see :mod:`presale_supply.parallel`).
    ids : sequence of str, optional
        Series ids, used only to name a chunk that fails.

    Returns
    -------
    means : numpy.ndarray
        Shape ``(n_series, h)``.
    patterns, models : list
        Demand class and chosen model per series.
    """
    tqdm = importlib.import_module("tqdm.auto").tqdm

    if executor is not None and len(values) > 1:
        return _forecast_chunks(values, h, params, season, progress, desc, executor, ids)
    means = np.zeros((len(values), h))
    patterns: list[DemandPattern] = []
    models: list[BaseModel] = []
    it = tqdm(values, desc=desc, file=sys.stderr, disable=not progress, leave=False)
    for i, y_full in enumerate(it):
        y = y_full if params.max_train is None else y_full[-params.max_train :]
        pat = classify(y, params.adi_cutoff, params.cv2_cutoff)
        model = choose_model(pat, params)
        hm = HistoryModel(model, season, params.tsb_alpha_d, params.tsb_alpha_p, params.ets_model)
        with warnings.catch_warnings():
            # statsforecast warns on degenerate fits (e.g. zero residual variance); the
            # fallbacks in HistoryModel handle those series.
            warnings.simplefilter("ignore", RuntimeWarning)
            means[i] = hm.forecast(y, h)
        patterns.append(pat)
        models.append(model)
    return means, patterns, models


def _chunk_name(ids: Sequence[str] | None, sl: slice) -> str:
    if ids is None:
        return f"series {sl.start}-{sl.stop - 1}"
    return f"series {ids[sl.start]} .. {ids[sl.stop - 1]} (rows {sl.start}-{sl.stop - 1})"


def _forecast_chunks(
    values: Sequence[np.ndarray],
    h: int,
    params: ForecastParams,
    season: int,
    progress: bool,
    desc: str,
    executor: Executor,
    ids: Sequence[str] | None,
) -> tuple[np.ndarray, list[DemandPattern], list[BaseModel]]:
    """:func:`forecast_panel_values` on chunks of series, run on ``executor``, in order."""
    tqdm = importlib.import_module("tqdm.auto").tqdm

    slices = chunk_slices(len(values), 4 * executor_workers(executor))
    parts = [
        Partition(_chunk_name(ids, sl), (list(values[sl]), h, params, season)) for sl in slices
    ]
    with tqdm(
        total=len(values), desc=desc, file=sys.stderr, disable=not progress, leave=False
    ) as bar:
        res = run_partitions(
            forecast_panel_values,
            parts,
            executor,
            on_done=lambda pos, _: bar.update(slices[pos].stop - slices[pos].start),
        )
    means = np.concatenate([r[0] for r in res], axis=0) if res else np.zeros((0, h))
    patterns = [p for r in res for p in r[1]]
    models = [m for r in res for m in r[2]]
    return means, patterns, models


def seasonal_shape(
    values: Sequence[np.ndarray],
    means: np.ndarray,
    season: int,
    *,
    lookback_seasons: int = 8,
    prior_weight: float = 10.0,
) -> np.ndarray:
    r"""Give flat forecasts the in-season shape of recent history (e.g. the weekday pattern).

    History models for intermittent demand forecast a flat line. For series whose forecast is
    flat, the forecast is redistributed over the horizon by a seasonal index (the total is kept):
    with :math:`S_{ik}` the units of series ``i`` in season position ``k`` over the last
    ``lookback_seasons`` seasons, :math:`n_i` its non-zero periods there and
    :math:`\bar s_k` the mean over series of :math:`S_{ik} / \sum_k S_{ik}`, the index is
    :math:`\mathrm{season} \cdot (n_i S_{ik}/\sum_k S_{ik} + w \bar s_k) / (n_i + w)`
    (``w = prior_weight``), which pulls sparse series to the pooled pattern.

    Parameters
    ----------
    values : sequence of numpy.ndarray
        Training series, each ending right before the horizon.
    means : numpy.ndarray
        Point forecasts, shape ``(n, h)``.
    season : int
        Season length (>= 2 to have an effect).

    Returns
    -------
    numpy.ndarray
        Adjusted forecasts, same shape and row totals as ``means``.
    """
    if season < 2:
        return means
    n, h = means.shape
    window = season * lookback_seasons
    shares = np.zeros((n, season))
    nonzero = np.zeros(n)
    for i, v in enumerate(values):
        x = v[-window:]
        pos = (np.arange(len(v) - len(x), len(v))) % season  # position relative to series end
        sums = np.bincount(pos, weights=x, minlength=season)
        tot = sums.sum()
        if tot > 0:
            shares[i] = sums / tot
        nonzero[i] = float((x > 0).sum())
    have = shares.sum(axis=1) > 0
    pooled = shares[have].mean(axis=0) if have.any() else np.full(season, 1.0 / season)
    out = means.copy()
    for i, v in enumerate(values):
        row = means[i]
        if row.sum() <= 0 or np.ptp(row) > 1e-9 * max(1.0, float(row.max())):
            continue
        own = shares[i] if have[i] else pooled
        idx = season * (nonzero[i] * own + prior_weight * pooled) / (nonzero[i] + prior_weight)
        future_pos = (len(v) + np.arange(h)) % season
        shaped = row * idx[future_pos]
        if shaped.sum() > 0:
            out[i] = shaped * row.sum() / shaped.sum()
    return out


def select_intermittent(
    panel: Panel,
    cut0: int,
    h: int,
    params: ForecastParams,
    season: int,
    *,
    executor: Executor | None = None,
) -> BaseModel:
    r"""Choose the intermittent model by rolling-origin backtest (``SelectionPolicy.BACKTEST``).

    On the intermittent/lumpy series (history without its last ``cut0`` periods), each candidate
    (CrostonSBA, TSB, ADIDA, IMAPA and their mean) forecasts ``params.calibration_windows``
    (at least 1) held-out windows of ``h`` periods; the candidate with the lowest mean MASE
    (scale: in-sample lag-1 MAE; series with a zero scale are skipped) wins. The windows lie
    before the forecast origin, so nothing of the future is used.

    With an ``executor``, the per-series errors are computed on chunks of series concurrently
    and concatenated in series order before the means are taken (the same result, bit for
    bit).
    """
    values = list(panel.values)
    if executor is not None and len(values) > 1:
        slices = chunk_slices(len(values), 4 * executor_workers(executor))
        parts = [
            Partition(_chunk_name(panel.ids, sl), (values[sl], cut0, h, params, season))
            for sl in slices
        ]
        chunks = run_partitions(_intermittent_errors, parts, executor)
        errors = {m: [e for c in chunks for e in c[m]] for m in _CANDIDATES}
    else:
        errors = _intermittent_errors(values, cut0, h, params, season)
    scored = {m: float(np.mean(e)) for m, e in errors.items() if e}
    if not scored:
        return params.intermittent_model
    return min(scored, key=lambda m: scored[m])


_CANDIDATES = (*_COMBO_PARTS, BaseModel.INTERMITTENT_COMBO)


def _intermittent_errors(
    values: Sequence[np.ndarray], cut0: int, h: int, params: ForecastParams, season: int
) -> dict[BaseModel, list[float]]:
    """Scaled errors of each candidate, series by series (see :func:`select_intermittent`)."""
    from presale_supply.forecast.metrics import scale

    parts = _COMBO_PARTS
    errors: dict[BaseModel, list[float]] = {m: [] for m in _CANDIDATES}
    for v_full in values:
        v = v_full[: len(v_full) - cut0] if cut0 else v_full
        recent = v if params.max_train is None else v[-params.max_train :]
        if not classify(recent, params.adi_cutoff, params.cv2_cutoff).is_intermittent:
            continue
        for w in range(1, max(1, params.calibration_windows) + 1):
            cut = w * h
            if len(v) - cut < 4:
                break
            train = v[: len(v) - cut]
            if params.max_train is not None:
                train = train[-params.max_train :]
            test = v[len(v) - cut : len(v) - cut + h]
            sc = scale(train, 1)
            if not np.isfinite(sc):
                continue
            fs = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                for m in parts:
                    f = HistoryModel(m, season, params.tsb_alpha_d, params.tsb_alpha_p).forecast(
                        train, h
                    )
                    fs.append(f)
                    errors[m].append(float(np.abs(test - f).mean()) / sc)
            combo = np.mean(fs, axis=0)
            errors[BaseModel.INTERMITTENT_COMBO].append(float(np.abs(test - combo).mean()) / sc)
    return errors
