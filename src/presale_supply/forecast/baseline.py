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

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from presale_supply.forecast.params import BaseModel, DemandPattern, ForecastParams, SelectionPolicy

__all__ = ["HistoryModel", "classify", "choose_model", "forecast_panel_values"]

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


def _make(model: BaseModel, season: int, alpha_d: float, alpha_p: float) -> Any:
    from statsforecast import models as sfm

    if model is BaseModel.AUTO_ETS:
        return sfm.AutoETS(season_length=season)
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
    ) -> None:
        self.model = model
        self.season_length = season_length
        self.tsb = (tsb_alpha_d, tsb_alpha_p)
        self._fitted: list[Any] = []
        self._y: np.ndarray | None = None

    def _parts(self, season: int) -> list[Any]:
        names = _COMBO_PARTS if self.model is BaseModel.INTERMITTENT_COMBO else (self.model,)
        return [_make(m, season, *self.tsb) for m in names]

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
                outs = [np.asarray(m.forecast(y=x, h=h)["mean"], float) for m in self._parts(season)]
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
) -> tuple[np.ndarray, list[DemandPattern], list[BaseModel]]:
    """Forecast every series ``h`` periods ahead with its chosen model.

    Returns
    -------
    means : numpy.ndarray
        Shape ``(n_series, h)``.
    patterns, models : list
        Demand class and chosen model per series.
    """
    from tqdm.auto import tqdm

    means = np.zeros((len(values), h))
    patterns: list[DemandPattern] = []
    models: list[BaseModel] = []
    it = tqdm(values, desc=desc, file=sys.stderr, disable=not progress, leave=False)
    for i, y in enumerate(it):
        pat = classify(y, params.adi_cutoff, params.cv2_cutoff)
        model = choose_model(pat, params)
        hm = HistoryModel(model, season, params.tsb_alpha_d, params.tsb_alpha_p)
        means[i] = hm.forecast(y, h)
        patterns.append(pat)
        models.append(model)
    return means, patterns, models
