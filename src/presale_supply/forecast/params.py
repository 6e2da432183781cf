"""Options and parameters of the forecaster: enums and frozen, validated dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from presale_supply.exceptions import InputError

__all__ = [
    "DEFAULT_QUANTILES",
    "BaseModel",
    "DemandPattern",
    "ForecastParams",
    "GapPolicy",
    "SelectionPolicy",
    "check_quantiles",
]

DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


class BaseModel(StrEnum):
    """History models, all provided by statsforecast."""

    AUTO_ETS = "AutoETS"
    SEASONAL_NAIVE = "SeasonalNaive"
    CROSTON_SBA = "CrostonSBA"
    TSB = "TSB"
    ADIDA = "ADIDA"
    IMAPA = "IMAPA"
    #: The mean of CrostonSBA, TSB, ADIDA and IMAPA (a forecast combination).
    INTERMITTENT_COMBO = "IntermittentCombo"


class DemandPattern(StrEnum):
    """Syntetos-Boylan demand classes from ADI (mean interval between demands) and CV^2."""

    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"

    @property
    def is_intermittent(self) -> bool:
        """True for the classes with ADI above the cut-off (intermittent and lumpy)."""
        return self in (DemandPattern.INTERMITTENT, DemandPattern.LUMPY)


class SelectionPolicy(StrEnum):
    """How the history model of a series is chosen."""

    #: Smooth/erratic series get ``smooth_model``; intermittent/lumpy get ``intermittent_model``.
    PATTERN = "pattern"
    #: Every series gets ``smooth_model``.
    SMOOTH_ONLY = "smooth"
    #: Every series gets ``intermittent_model``.
    INTERMITTENT_ONLY = "intermittent"
    #: Like PATTERN, but the intermittent model is the candidate (CrostonSBA, TSB, ADIDA, IMAPA,
    #: their combination) with the lowest mean scaled error on the rolling calibration windows.
    BACKTEST = "backtest"


class GapPolicy(StrEnum):
    """What to do when a series skips periods."""

    #: Raise an :class:`~presale_supply.exceptions.InputError` naming the first gap.
    ERROR = "error"
    #: Insert the missing periods with ``y = 0`` (documented repair: a day without a row is
    #: a day without sales). The number of inserted rows is reported in the result notes.
    FILL_ZERO = "fill-zero"


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    """Return ``quantiles`` as a sorted tuple, checking each is strictly inside (0, 1).

    Raises
    ------
    InputError
        If a level is outside (0, 1), repeated, or the list is empty.
    """
    qs = tuple(float(q) for q in quantiles)
    if not qs:
        raise InputError("at least one quantile level is needed.", column="quantiles")
    for q in qs:
        if not 0.0 < q < 1.0:
            raise InputError(
                "quantile levels must be strictly between 0 and 1 (e.g. 0.1,0.5,0.9).",
                column="quantiles",
                value=q,
            )
    if len(set(qs)) != len(qs):
        raise InputError("quantile levels must be distinct.", column="quantiles", value=qs)
    return tuple(sorted(qs))


@dataclass(frozen=True)
class ForecastParams:
    """Parameters of the forecaster.

    Parameters
    ----------
    season_length : int or None
        Season of the history models; ``None`` picks 7 for daily, 52 for weekly and 12 for
        monthly data.
    smooth_model, intermittent_model : BaseModel
        History model of smooth/erratic and of intermittent/lumpy series.
    ets_model : str
        AutoETS model string (error, trend, season; ``Z`` = chosen by AIC). ``"ZNZ"`` (no trend)
        fits about five times faster.
    selection : SelectionPolicy
        How a series' model is chosen (default: demand pattern, with the intermittent model
        chosen by backtest).
    adi_cutoff, cv2_cutoff : float
        Syntetos-Boylan cut-offs (1.32 and 0.49).
    tsb_alpha_d, tsb_alpha_p : float
        Smoothing weights of TSB (demand size and probability).
    calibration_windows : int
        Rolling-origin windows used to calibrate the intervals (0 disables calibration and uses
        ``level_cv`` and ``daily_cv`` as given).
    calibration_target : float
        Nominal coverage of the central interval that calibration aims at (0.8).
    recalibrate_levels : {"both", "upper", "none"}
        After calibrating the dispersion, recalibrate the quantile levels on the same held-out
        windows, per band of the predictive mean (see :mod:`~presale_supply.forecast.uncertainty`):
        ``"both"`` (default) so that outcomes fall below each lower quantile, and above each
        upper quantile, as often as its level says, which brings the whole-unit intervals of
        mostly-zero series to their nominal coverage (at a cost in pinball loss on such
        series, whose lower quantiles then exclude some zeros); ``"upper"`` only the levels
        from 0.5 up; ``"none"`` keeps the model's own quantiles. Applies only to intervals
        calibrated on the history windows: not after past campaigns are learnt, nor to
        signal-updated series.
    level_cv, daily_cv : float
        Uncalibrated defaults of the two dispersion parameters (coefficients of variation of the
        window-level multiplier and of the day-level multiplier).
    min_series_per_class : int
        Intervals are calibrated per demand class (smooth vs intermittent) when each class has at
        least this many series; otherwise pooled.
    n_paths : int
        Number of sample paths (scenarios) drawn by ``sample_paths``.
    seed : int
        Seed of the path sampler.
    gap_policy : GapPolicy
        What to do with missing periods in the history.
    max_train : int or None
        Fit the history models on at most this many most recent periods (``None``: all);
        AutoETS time grows with series length.
    seasonal_profile : bool
        Daily data: give flat (intermittent-model) forecasts the recent weekday pattern,
        keeping their total (see :func:`~presale_supply.forecast.baseline.seasonal_shape`).
    campaign_profile : bool
        When past campaigns are given, split each series' campaign total over the horizon with
        the campaign-day profile learnt from them (see :mod:`presale_supply.forecast.profile`)
        instead of the history model's (weekday) profile.
    profile_strength : float or None
        Prior strength :math:`\\tau` (units) shrinking each series' own campaign profile towards
        the pooled one; ``None`` chooses it by leave-one-campaign-out cross-validation (pooled
        only with one past campaign), ``math.inf`` forces the pooled profile.
    """

    season_length: int | None = None
    smooth_model: BaseModel = BaseModel.AUTO_ETS
    ets_model: str = "ZZZ"
    intermittent_model: BaseModel = BaseModel.INTERMITTENT_COMBO
    selection: SelectionPolicy = SelectionPolicy.BACKTEST
    adi_cutoff: float = 1.32
    cv2_cutoff: float = 0.49
    tsb_alpha_d: float = 0.1
    tsb_alpha_p: float = 0.1
    calibration_windows: int = 4
    calibration_target: float = 0.8
    recalibrate_levels: str = "both"
    level_cv: float = 0.3
    daily_cv: float = 0.5
    min_series_per_class: int = 10
    n_paths: int = 200
    seed: int = 0
    gap_policy: GapPolicy = GapPolicy.ERROR
    seasonal_profile: bool = True
    max_train: int | None = None
    campaign_profile: bool = True
    profile_strength: float | None = None

    def __post_init__(self) -> None:
        if self.season_length is not None and (
            isinstance(self.season_length, bool)
            or not isinstance(self.season_length, int)
            or self.season_length < 1
        ):
            raise InputError(
                "season_length must be a whole number >= 1 (or None to infer it).",
                column="season_length",
                value=self.season_length,
            )
        for name in ("smooth_model", "intermittent_model"):
            value = getattr(self, name)
            if not isinstance(value, BaseModel):
                try:
                    object.__setattr__(self, name, BaseModel(value))
                except ValueError:
                    raise InputError(
                        f"unknown model; valid: {[m.value for m in BaseModel]}.",
                        column=name,
                        value=value,
                    ) from None
        for name, enum in (("selection", SelectionPolicy), ("gap_policy", GapPolicy)):
            value = getattr(self, name)
            if not isinstance(value, enum):
                try:
                    object.__setattr__(self, name, enum(value))
                except ValueError:
                    raise InputError(
                        f"unknown option; valid: {[m.value for m in enum]}.",
                        column=name,
                        value=value,
                    ) from None
        ets = str(self.ets_model).upper()
        if len(ets) != 3 or ets[0] not in "ZAM" or ets[1] not in "ZAMN" or ets[2] not in "ZAMN":
            raise InputError(
                "ets_model must be 3 letters: error Z/A/M, trend Z/A/M/N, season Z/A/M/N.",
                column="ets_model",
                value=self.ets_model,
            )
        object.__setattr__(self, "ets_model", ets)
        positive = ("adi_cutoff", "cv2_cutoff", "level_cv", "daily_cv")
        for name in positive:
            if not float(getattr(self, name)) > 0:
                raise InputError("must be > 0.", column=name, value=getattr(self, name))
        for name in ("tsb_alpha_d", "tsb_alpha_p"):
            v = float(getattr(self, name))
            if not 0 < v <= 1:
                raise InputError("must be in (0, 1].", column=name, value=v)
        if self.recalibrate_levels not in ("both", "upper", "none"):
            raise InputError(
                "unknown option; valid: ['both', 'upper', 'none'].",
                column="recalibrate_levels",
                value=self.recalibrate_levels,
            )
        if not 0.0 < self.calibration_target < 1.0:
            raise InputError(
                "must be in (0, 1).", column="calibration_target", value=self.calibration_target
            )
        for name in ("calibration_windows", "min_series_per_class", "n_paths", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError("must be a whole number >= 0.", column=name, value=v)
        if self.max_train is not None and (
            isinstance(self.max_train, bool)
            or not isinstance(self.max_train, int)
            or self.max_train < 4
        ):
            raise InputError(
                "max_train must be a whole number >= 4 (or None).",
                column="max_train",
                value=self.max_train,
            )
        if self.profile_strength is not None and not float(self.profile_strength) > 0:
            raise InputError(
                "profile_strength must be > 0 (or None to choose it by cross-validation).",
                column="profile_strength",
                value=self.profile_strength,
            )
        if self.n_paths < 1:
            raise InputError("must be >= 1.", column="n_paths", value=self.n_paths)
