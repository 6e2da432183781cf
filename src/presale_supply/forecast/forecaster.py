"""The orchestrator: owns the DataFrames, calls the numpy kernels, returns frozen results.

``Forecaster(params).fit(history, horizon, past_signals=...)`` validates the history, fits the
history models, calibrates the intervals on rolling-origin windows and, when past-campaign
signals are given, learns the campaign uplift, how signals relate to final demand and the
campaign-day profile that splits a campaign total over the days
(:mod:`presale_supply.forecast.profile`).
``predict(signals, quantiles)`` applies the presale update and returns a :class:`ForecastResult`.
:func:`forecast` does both.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.forecast import uncertainty as unc
from presale_supply.forecast.baseline import (
    forecast_panel_values,
    seasonal_shape,
    select_intermittent,
)
from presale_supply.forecast.data import (
    Freq,
    Panel,
    from_period,
    validate_history,
    validate_signals,
)
from presale_supply.forecast.params import (
    DEFAULT_QUANTILES,
    BaseModel,
    DemandPattern,
    ForecastParams,
    SelectionPolicy,
    check_quantiles,
)
from presale_supply.forecast.presale import (
    SignalModel,
    estimate_signal_model,
    estimate_uplift,
    posterior,
)
from presale_supply.forecast.profile import estimate_profile

__all__ = ["ForecastResult", "Forecaster", "forecast", "quantile_column"]

_MIN_TRAIN = 4
_PROGRESS_MIN_SERIES = 50


def quantile_column(q: float) -> str:
    """Output column name of quantile level ``q`` (``0.1 -> "q0.1"``)."""
    return f"q{q:g}"


@dataclass(frozen=True, eq=False)
class ForecastResult:
    """Forecast of every series over the horizon.

    Attributes
    ----------
    daily : pandas.DataFrame
        ``unique_id, ds, mean, q...``: expected units (fractional) and whole-unit quantiles.
    totals : pandas.DataFrame
        ``unique_id, mean, q...``: the horizon total per series.
    summary : pandas.DataFrame
        Per series: demand pattern, history model, uplift, signal days used, prior and
        posterior total mean, calibration group.
    quantiles : tuple of float
    notes : tuple of str
        Repairs and decisions worth telling the user.
    """

    daily: pd.DataFrame
    totals: pd.DataFrame
    summary: pd.DataFrame
    quantiles: tuple[float, ...]
    notes: tuple[str, ...]
    _level_mean: np.ndarray = field(repr=False)
    _level_shape: np.ndarray = field(repr=False)
    _profile: np.ndarray = field(repr=False)
    _kappa_daily: np.ndarray = field(repr=False)
    _dates: pd.DataFrame = field(repr=False)
    default_paths: int = 200
    default_seed: int = 0

    def sample_paths(self, n_paths: int | None = None, seed: int | None = None) -> pd.DataFrame:
        """Coherent whole-unit scenarios ``scenario, unique_id, ds, units``.

        Days of one path share the path's window level, so path totals follow the totals'
        distribution (see :mod:`presale_supply.forecast.uncertainty`).
        """
        n = self.default_paths if n_paths is None else int(n_paths)
        if n < 1:
            raise InputError("n_paths must be >= 1.", column="n_paths", value=n_paths)
        s = self.default_seed if seed is None else int(seed)
        paths = unc.sample_paths(
            self._level_mean, self._level_shape, self._profile, self._kappa_daily, n, s
        )
        n_series, h = self._profile.shape
        return pd.DataFrame(
            {
                "scenario": np.repeat(np.arange(n), n_series * h),
                "unique_id": np.tile(self._dates["unique_id"].to_numpy(), n),
                "ds": np.tile(self._dates["ds"].to_numpy(), n),
                "units": paths.reshape(-1),
            }
        )


@dataclass(frozen=True)
class _Calibration:
    groups: dict[str, unc.Dispersion]
    n_windows: int
    #: Per group: level recalibration of single periods and of window totals
    #: (see :class:`~presale_supply.forecast.uncertainty.LevelMap`).
    pit_daily: dict[str, unc.LevelMap] = field(default_factory=dict)
    pit_total: dict[str, unc.LevelMap] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class _PastCampaigns:
    """Past (campaign, series) observations kept to calibrate signal-updated intervals."""

    totals: np.ndarray
    prior: np.ndarray
    cum_deposits: np.ndarray
    cum_carts: np.ndarray
    daily: np.ndarray
    profile: np.ndarray
    kappa_level: np.ndarray
    n_campaigns: int

    def calibrate(
        self, t: int, model: SignalModel, use_carts: bool, target: float, min_obs: int
    ) -> tuple[float, float, float] | None:
        """Spread factors making past posteriors at day ``t`` cover ``target``.

        Each past campaign is updated with its own first ``t`` signal days; the spread factor
        ``gamma`` (posterior shape divided by it) is set so that the central interval of window
        totals covers ``target``, then the day dispersion so that daily intervals do (two
        alternating rounds, as in :func:`~presale_supply.forecast.uncertainty.calibrate`); last,
        a factor ``<= 1`` on the totals' extra-Poisson variance so that totals cover ``target``.
        Returns ``(gamma, kappa_daily, total_factor)`` or None with too few observations.
        """
        col = min(t, self.cum_deposits.shape[1]) - 1
        ok = ~np.isnan(self.cum_deposits[:, col])
        if ok.sum() < max(min_obs, 2):
            return None
        m, a = posterior(
            self.prior[ok],
            1.0,
            self.cum_deposits[ok, col],
            self.cum_carts[ok, col] if use_carts else None,
            np.full(int(ok.sum()), t),
            model,
            alpha0_array=1.0 / self.kappa_level[ok],
        )
        tot, prof, daily = self.totals[ok], self.profile[ok], self.daily[ok]
        s2 = (prof**2).sum(axis=1)
        gamma, kd = 1.0, 0.25
        if self.n_campaigns < 2:
            # rho(t) was estimated on this very campaign: its totals fit in-sample, so only the
            # day dispersion is calibrated (the model's own posterior spread is kept).
            def daily_only(k: float) -> float:
                c = unc.daily_c(a[:, None], k)
                return unc.central_coverage(daily, m[:, None] * prof, c, target)

            return 1.0, unc._bisect(daily_only, target), 1.0
        for _ in range(2):

            def total_cov(g: float, kd_now: float = kd) -> float:
                return unc.central_coverage(tot, m, unc.shape_total(a / g, s2, kd_now), target)

            gamma = unc._bisect(total_cov, target, lo=1e-2, hi=1e3)

            def daily_cov(k: float, g_now: float = gamma) -> float:
                c = unc.daily_c((a / g_now)[:, None], k)
                return unc.central_coverage(daily, m[:, None] * prof, c, target)

            kd = unc._bisect(daily_cov, target)
        c_model = unc.shape_total(a / gamma, s2, kd)

        def direct_cov(k: float) -> float:
            return unc.central_coverage(tot, m, c_model * k, target)

        # Day noise that is not independent across days can make the modelled total too wide;
        # the totals' spread is therefore rescaled on its own (never widened beyond the model).
        return gamma, kd, min(1.0, unc._bisect(direct_cov, target, lo=1e-3, hi=1.0))


def _group(pattern: DemandPattern) -> str:
    return "intermittent" if pattern.is_intermittent else "smooth"


class _BaselineCache:
    """Memoises history-model forecasts by (periods cut from the end, horizon)."""

    def __init__(
        self,
        panel: Panel,
        params: ForecastParams,
        season: int,
        progress: bool,
        executor: Executor | None = None,
    ) -> None:
        self.panel = panel
        self.params = params
        self.season = season
        self.progress = progress
        self.executor = executor
        self._store: dict[
            tuple[int, int, BaseModel], tuple[np.ndarray, list[DemandPattern], list[BaseModel]]
        ]
        self._store = {}

    def get(
        self, cut: int, h: int, intermittent: BaseModel | None = None
    ) -> tuple[np.ndarray, list[DemandPattern], list[BaseModel], np.ndarray]:
        """Means ``(n, h)``, patterns, models and a mask of series long enough at this cut."""
        params = self.params
        if intermittent is not None:
            params = replace(params, intermittent_model=intermittent)
        lens = np.array([len(v) for v in self.panel.values])
        ok = lens - cut >= _MIN_TRAIN
        key = (cut, h, params.intermittent_model)
        if key not in self._store:
            vals = [
                v[: len(v) - cut] if k else v[:_MIN_TRAIN]
                for v, k in zip(self.panel.values, ok, strict=True)
            ]
            means, pats, models = forecast_panel_values(
                vals,
                h,
                params,
                self.season,
                progress=self.progress,
                desc=f"history models (origin -{cut})",
                executor=self.executor,
                ids=self.panel.ids,
            )
            if self.params.seasonal_profile and self.panel.freq is Freq.DAY:
                means = seasonal_shape(vals, means, self.season)
            self._store[key] = (means, pats, models)
        means, pats, models = self._store[key]
        return means, pats, models, ok


def _pad(rows: list[np.ndarray], width: int) -> np.ndarray:
    out = np.full((len(rows), width), np.nan)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


def _check_horizon(horizon: object) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or int(horizon) < 1:
        raise InputError("horizon must be a whole number >= 1.", column="horizon", value=horizon)


class Forecaster:
    """Campaign demand forecaster (see ``docs/forecast.md``).

    Parameters
    ----------
    params : ForecastParams
        Model choice, calibration and sampling options.
    signal_model : SignalModel, optional
        Use this signal model instead of estimating one from past-campaign signals.
    uplift : float, optional
        Use this campaign uplift for every series instead of estimating it.
    """

    def __init__(
        self,
        params: ForecastParams | None = None,
        *,
        signal_model: SignalModel | None = None,
        uplift: float | None = None,
    ) -> None:
        self.params = params or ForecastParams()
        self._given_signal_model = signal_model
        if uplift is not None and not uplift > 0:
            raise InputError("uplift must be > 0.", column="uplift", value=uplift)
        self._given_uplift = uplift
        self._fitted = False

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        history: pd.DataFrame,
        horizon: int,
        *,
        past_signals: pd.DataFrame | None = None,
        past_campaign_starts: Sequence[str | pd.Timestamp] | None = None,
        source: str = "history",
        signals_source: str = "signals",
        progress: bool | None = None,
        executor: Executor | None = None,
        _cache: _BaselineCache | None = None,
    ) -> Forecaster:
        """Fit history models, calibrate intervals, learn uplift and the signal model.

        Parameters
        ----------
        history : pandas.DataFrame
            ``unique_id, ds, y`` (+ optional ``price, promo, store_open``).
        horizon : int
            Periods to forecast (the campaign window).
        past_signals : pandas.DataFrame, optional
            Signals; rows dated inside the history are past campaigns (later rows are ignored
            here and used by :meth:`predict`).
        past_campaign_starts : sequence of dates, optional
            First day of each past campaign; by default each run of consecutive past signal
            dates is one campaign.
        progress : bool, optional
            Show progress bars on stderr (default: when there are 50 or more series).
        executor : concurrent.futures.Executor, optional
            Fit the history models on chunks of series concurrently on it (a process pool such
            as :func:`presale_supply.parallel.default_executor`, or a Dask ``distributed``
            client's ``get_executor()``). Everything pooled over series (interval calibration,
            uplift, signal model, profiles) stays in this process, so the result is identical
            to the run without one (see ``docs/scale.md``). Default: this process only.

        Raises
        ------
        InputError
            On invalid input (see :func:`~presale_supply.forecast.data.validate_history`).
        """
        _check_horizon(horizon)
        full = validate_history(history, source, gap_policy=self.params.gap_policy)
        return self._fit_panel(
            full,
            0,
            int(horizon),
            past_signals,
            past_campaign_starts,
            signals_source,
            progress,
            _cache,
            executor,
        )

    def _fit_panel(
        self,
        full: Panel,
        cut0: int,
        h: int,
        past_signals: pd.DataFrame | None,
        past_campaign_starts: Sequence[str | pd.Timestamp] | None,
        signals_source: str,
        progress: bool | None,
        cache: _BaselineCache | None,
        executor: Executor | None = None,
    ) -> Forecaster:
        """Fit on ``full`` without its last ``cut0`` periods (backtests share ``cache``)."""
        p = self.params
        panel = full.truncate(cut0) if cut0 else full
        self._signals_source = signals_source
        self._cut0 = cut0
        show = len(panel.ids) >= _PROGRESS_MIN_SERIES if progress is None else progress
        season = p.season_length or panel.freq.default_season
        if cache is None:
            cache = _BaselineCache(full, p, season, show, executor)
        self._intermittent = (
            select_intermittent(full, cut0, h, p, season, executor=cache.executor)
            if p.selection is SelectionPolicy.BACKTEST
            else p.intermittent_model
        )
        means, pats, models, _ = cache.get(cut0, h, self._intermittent)
        self._panel, self._h, self._season = panel, h, season
        self._means, self._patterns, self._models = means, pats, models
        self._calibration = self._calibrate(cache, h)
        self._kappa_level = np.array(
            [self._calibration.groups[self._group_of(i)].kappa_level for i in range(len(pats))]
        )
        self._kappa_daily = np.array(
            [self._calibration.groups[self._group_of(i)].kappa_daily for i in range(len(pats))]
        )
        self._uplift = np.ones(len(panel.ids))
        self._levels_recalibrated = bool(self._calibration.pit_daily)
        self._campaign_profile: np.ndarray | None = None
        self._past: _PastCampaigns | None = None
        self._signal_model = self._given_signal_model
        self._notes = list(panel.notes)
        if p.selection is SelectionPolicy.BACKTEST:
            self._notes.append(
                f"intermittent model chosen by backtest: {self._intermittent.value}."
            )
        if past_signals is not None:
            sp = validate_signals(past_signals, panel, signals_source)
            if len(sp.past):
                self._learn_campaigns(sp.past, past_campaign_starts, cache, h)
        if self._given_uplift is not None:
            self._uplift = np.full(len(panel.ids), float(self._given_uplift))
        self._fitted = True
        return self

    def _group_of(self, i: int) -> str:
        g = _group(self._patterns[i])
        return g if g in self._calibration.groups else "all"

    def _calibrate(self, cache: _BaselineCache, h: int) -> _Calibration:
        p = self.params
        fallback = unc.Dispersion(p.level_cv**2, p.daily_cv**2)
        ys: list[np.ndarray] = []
        fs: list[np.ndarray] = []
        gs: list[str] = []
        for w in range(1, p.calibration_windows + 1):
            cut = w * h
            means, pats, _, ok = cache.get(cut + self._cut0, h, self._intermittent)
            for i, v in enumerate(self._panel.values):
                if ok[i] and len(v) - cut >= max(_MIN_TRAIN, 2):
                    ys.append(v[len(v) - cut : len(v) - cut + h])
                    fs.append(means[i])
                    gs.append(_group(pats[i]))
        if not ys:
            return _Calibration({"all": fallback}, 0)
        y, f, g = np.array(ys), np.array(fs), np.array(gs)
        masks = {"all": np.ones(len(g), dtype=bool)}
        for name in ("smooth", "intermittent"):
            mask = g == name
            if mask.sum() >= p.min_series_per_class and (~mask).sum() >= p.min_series_per_class:
                masks[name] = mask
        groups = {k: unc.calibrate(y[m], f[m], p.calibration_target) for k, m in masks.items()}
        pit_daily: dict[str, unc.LevelMap] = {}
        pit_total: dict[str, unc.LevelMap] = {}
        if p.recalibrate_levels != "none":
            for k, m in masks.items():
                d = groups[k]
                tot = f[m].sum(axis=1)
                w = np.divide(
                    f[m], tot[:, None], out=np.full_like(f[m], 1.0 / h), where=tot[:, None] > 0
                )
                c_tot = unc.shape_total(1.0 / d.kappa_level, (w**2).sum(axis=1), d.kappa_daily)
                c_day = unc.daily_c(1.0 / d.kappa_level, d.kappa_daily)
                pit_daily[k] = unc.LevelMap.fit(y[m], f[m], c_day, p.recalibrate_levels)
                pit_total[k] = unc.LevelMap.fit(y[m].sum(axis=1), tot, c_tot, p.recalibrate_levels)
        return _Calibration(groups, p.calibration_windows, pit_daily, pit_total)

    def _learn_campaigns(
        self,
        past: pd.DataFrame,
        starts: Sequence[str | pd.Timestamp] | None,
        cache: _BaselineCache,
        h: int,
    ) -> None:
        panel = self._panel
        periods = np.sort(past["period"].unique())
        if starts is None:
            breaks = np.flatnonzero(np.diff(periods) > 1) + 1
            run_starts = [int(periods[0]), *(int(periods[b]) for b in breaks)]
            run_ends = [*(int(periods[b - 1]) for b in breaks), int(periods[-1])]
            # A run longer than the horizon is consecutive campaigns of ``h`` periods each.
            start_p = [
                x for lo, hi in zip(run_starts, run_ends, strict=True) for x in range(lo, hi + 1, h)
            ]
        else:
            dates = pd.DatetimeIndex([pd.Timestamp(x) for x in starts]).to_numpy()
            from presale_supply.forecast.data import to_period

            start_p = [int(x) for x in to_period(dates, panel.freq)]
        index = {sid: i for i, sid in enumerate(panel.ids)}
        ends = panel.ends
        totals, model_tot, cum_d, cum_c, sids = [], [], [], [], []
        t_len: list[int] = []
        camp: list[int] = []
        daily_act: list[np.ndarray] = []
        daily_prof: list[np.ndarray] = []
        act = np.zeros((len(start_p), len(panel.ids)))
        mod = np.zeros((len(start_p), len(panel.ids)))
        for c, s in enumerate(start_p):
            rows = past[(past["period"] >= s) & (past["period"] < s + h)]
            for sid, g in rows.groupby("unique_id"):
                i = index[str(sid)]
                if s + h - 1 > ends[i]:
                    raise InputError(
                        f"past campaign starting {from_period(np.array([s]), panel.freq)[0].date()}"
                        f" runs past the end of series {sid!r}'s history; a past campaign needs "
                        f"its whole {h}-period window in the history.",
                        file=self._signals_source,
                        column="ds",
                        value=str(sid),
                    )
                days = (g["period"].to_numpy() - s).astype(int)
                order = np.argsort(days)
                if not np.array_equal(days[order], np.arange(len(days))):
                    raise InputError(
                        f"series {sid!r}: past-campaign signals must cover every day from the "
                        "campaign's first day without gaps.",
                        file=self._signals_source,
                        column="ds",
                        value=str(sid),
                    )
                v = panel.values[i]
                off = int(s - panel.starts[i])
                cut = len(v) - off
                means, _, _, ok = cache.get(cut + self._cut0, h, self._intermittent)
                if not ok[i] or cut < h:
                    continue
                y_tot = float(v[off : off + h].sum())
                totals.append(y_tot)
                model_tot.append(float(means[i].sum()))
                cum_d.append(np.cumsum(g["deposits"].to_numpy()[order]))
                cum_c.append(np.cumsum(g["add_to_cart"].to_numpy()[order]))
                t_len.append(len(days))
                sids.append(i)
                camp.append(c)
                daily_act.append(v[off : off + h])
                daily_prof.append(means[i] / max(float(means[i].sum()), 1e-12))
                act[c, i] = y_tot
                mod[c, i] = float(means[i].sum())
        if not totals:
            self._notes.append("past signals given but no past campaign had enough history.")
            return
        seen = np.zeros(len(panel.ids), dtype=bool)
        seen[sids] = True
        up = estimate_uplift(act, mod)
        pooled = act.sum() / mod.sum() if mod.sum() > 0 else 1.0
        self._uplift = np.where(seen, up, pooled)
        t_max = max(t_len)
        if self._given_signal_model is None:
            self._signal_model = estimate_signal_model(
                np.array(totals), _pad(cum_d, t_max), _pad(cum_c, t_max)
            )
        # Prior spread of a campaign total around the uplifted history forecast.
        tot = np.array(totals)
        # Each past campaign's prior uses the uplift learnt from the *other* campaigns (the
        # pooled uplift when there is only one): an in-sample uplift would make the prior look
        # far too certain (with one past campaign, exactly certain).
        n_camp = act.shape[0]
        loo = np.empty((n_camp, len(panel.ids)))
        for c in range(n_camp):
            if n_camp > 1:
                loo[c] = estimate_uplift(np.delete(act, c, 0), np.delete(mod, c, 0))
            else:
                loo[c] = pooled
        prior = np.array(model_tot) * loo[np.array(camp), np.array(sids)]
        daily = np.array(daily_act, dtype=float)
        profile_note = ""
        if self.params.campaign_profile:
            prof = estimate_profile(
                daily, np.array(sids), np.array(camp), len(panel.ids), self.params.profile_strength
            )
            self._campaign_profile = prof.series
            cal_prof = prof.holdout
            strength = "pooled" if not np.isfinite(prof.strength) else f"tau {prof.strength:.3g}"
            profile_note = f" Daily split: campaign-day profile ({strength})."
        else:
            cal_prof = np.array(daily_prof)
        if len(tot) >= self.params.min_series_per_class:
            target = self.params.calibration_target
            kd = float(np.median(self._kappa_daily))
            s2 = np.full(len(tot), 1.0 / h)
            # The level spread absorbs all extra-Poisson variation of the totals (signals measure
            # the realised total, so this is the spread the signal update weighs them against).
            kl = unc._bisect(
                lambda k: unc.central_coverage(
                    tot, prior, unc.shape_total(1.0 / k, s2, kd), target
                ),
                target,
            )
            self._kappa_level = np.full(len(panel.ids), kl)
            self._levels_recalibrated = False  # the history windows' level maps no longer apply
            if self.params.campaign_profile:
                # Day noise is measured around the campaign profile the days will follow.
                mu_days = prior[:, None] * cal_prof
                kd_c = unc._bisect(
                    lambda k: unc.central_coverage(
                        daily, mu_days, unc.daily_c(1.0 / kl, k), target
                    ),
                    target,
                )
                self._kappa_daily = np.full(len(panel.ids), kd_c)
        self._past = _PastCampaigns(
            tot,
            prior,
            _pad(cum_d, t_max),
            _pad(cum_c, t_max),
            daily,
            cal_prof,
            self._kappa_level[sids],
            n_camp,
        )
        self._notes.append(
            f"learnt from {len(start_p)} past campaign(s), {len(tot)} series-campaigns: pooled "
            f"uplift {pooled:.3f}.{profile_note}"
        )

    # -------------------------------------------------------------- predict
    def predict(
        self,
        signals: pd.DataFrame | None = None,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> ForecastResult:
        """Forecast the horizon, updated with the current campaign's signals.

        Parameters
        ----------
        signals : pandas.DataFrame, optional
            ``unique_id, ds, deposits[, add_to_cart]``; rows after a series' last history day are
            the signals seen so far (day 1, 2, ... of the horizon).
        quantiles : sequence of float
            Levels in (0, 1).

        Raises
        ------
        InputError
            Invalid signals, signals without a signal model, or more signal days than horizon.
        """
        if not self._fitted:
            raise InputError("call fit() before predict().")
        qs = check_quantiles(quantiles)
        panel, h = self._panel, self._h
        n = len(panel.ids)
        dep = np.zeros(n)
        carts = np.zeros(n)
        t = np.zeros(n, dtype=np.int64)
        has_carts = False
        if signals is not None:
            sp = validate_signals(signals, panel, self._signals_source)
            has_carts = sp.has_carts
            for j, sid in enumerate(panel.ids):
                if sid in sp.current_deposits:
                    d = sp.current_deposits[sid]
                    if len(d) > h:
                        raise InputError(
                            f"series {sid!r} has {len(d)} signal days after the history but the "
                            f"horizon is {h}.",
                            file=self._signals_source,
                            column="ds",
                            value=len(d),
                        )
                    t[j] = len(d)
                    dep[j] = d.sum()
                    carts[j] = sp.current_carts[sid].sum()
        if t.any() and self._signal_model is None:
            raise InputError(
                "signals for the forecast horizon need rho(t), the share of final demand "
                "deposited by day t: give past-campaign signal rows dated inside the history, or "
                "a SignalModel.",
                file=self._signals_source,
                column="deposits",
            )
        base_tot = self._means.sum(axis=1)
        m0 = base_tot * self._uplift
        profile = np.divide(
            self._means,
            base_tot[:, None],
            out=np.full_like(self._means, 1.0 / h),
            where=base_tot[:, None] > 0,
        )
        if self._campaign_profile is not None:
            profile = self._campaign_profile
        alpha0 = 1.0 / self._kappa_level
        if self._signal_model is not None and t.any():
            m_post = np.empty(n)
            a_post = np.empty(n)
            for j in range(n):
                mj, aj = posterior(
                    m0[j : j + 1],
                    float(alpha0[j]),
                    dep[j : j + 1],
                    carts[j : j + 1] if has_carts else None,
                    t[j : j + 1],
                    self._signal_model,
                )
                m_post[j], a_post[j] = mj[0], aj[0]
        else:
            m_post, a_post = m0.copy(), alpha0.copy()
        kd = self._kappa_daily.copy()
        total_factor = 1.0
        if self._past is not None and self._signal_model is not None and t.any():
            t_cal = int(np.bincount(t[t > 0]).argmax())
            fit = self._past.calibrate(
                t_cal,
                self._signal_model,
                has_carts,
                self.params.calibration_target,
                self.params.min_series_per_class,
            )
            if fit is None:
                self._notes.append(
                    "too few past (campaign, series) pairs to calibrate signal-updated "
                    "intervals; using the history-calibrated dispersion."
                )
            else:
                gamma, kd_sig, total_factor = fit
                a_post = np.where(t > 0, a_post / gamma, a_post)
                kd = np.where(t > 0, kd_sig, kd)
                self._notes.append(
                    f"signal-updated intervals calibrated on past campaigns at day {t_cal}: "
                    f"level spread x{gamma:.3g}, daily dispersion {kd_sig:.3g}, totals' "
                    f"extra-Poisson variance x{total_factor:.3g}."
                )
        mu = m_post[:, None] * profile
        cd = unc.daily_c(a_post[:, None], kd[:, None])
        s2 = (profile**2).sum(axis=1)
        ct = unc.shape_total(a_post, s2, kd) * np.where(t > 0, total_factor, 1.0)
        qd = np.zeros((len(qs), n, h), dtype=np.int64)
        qt = np.zeros((len(qs), n), dtype=np.int64)
        plain = np.ones(n, dtype=bool)  # series whose quantiles keep the requested levels
        if self._levels_recalibrated:
            # Series without current signals keep the history-calibrated distribution, so the
            # levels recalibrated on the same held-out windows apply to them.
            cal = self._calibration
            groups = np.array([self._group_of(i) for i in range(n)])
            for name in cal.pit_daily:
                rows = np.flatnonzero((groups == name) & (t == 0))
                if rows.size:
                    qd[:, rows] = cal.pit_daily[name].quantiles(mu[rows], cd[rows], qs)
                    qt[:, rows] = cal.pit_total[name].quantiles(m_post[rows], ct[rows], qs)
                    plain[rows] = False
        rest = np.flatnonzero(plain)
        if rest.size:
            qd[:, rest] = unc.nb_quantiles(mu[rest], cd[rest], qs)
            qt[:, rest] = unc.nb_quantiles(m_post[rest], ct[rest], qs)
        periods = panel.ends[:, None] + np.arange(1, h + 1)[None, :]
        ds = from_period(periods.reshape(-1), panel.freq, panel.anchor)
        ids_rep = np.repeat(np.array(panel.ids, dtype=object), h)
        daily = pd.DataFrame({"unique_id": ids_rep, "ds": ds, "mean": mu.reshape(-1)})
        totals = pd.DataFrame({"unique_id": list(panel.ids), "mean": m_post})
        for k, q in enumerate(qs):
            daily[quantile_column(q)] = qd[k].reshape(-1)
            totals[quantile_column(q)] = qt[k]
        summary = pd.DataFrame(
            {
                "unique_id": list(panel.ids),
                "pattern": [p.value for p in self._patterns],
                "model": [m.value for m in self._models],
                "uplift": self._uplift,
                "signal_days": t,
                "prior_total": m0,
                "posterior_total": m_post,
                "kappa_level": self._kappa_level,
                "kappa_daily": kd,
            }
        )
        return ForecastResult(
            daily=daily,
            totals=totals,
            summary=summary,
            quantiles=qs,
            notes=tuple(self._notes),
            _level_mean=m_post,
            _level_shape=a_post,
            _profile=profile,
            _kappa_daily=kd,
            _dates=daily[["unique_id", "ds"]].copy(),
            default_paths=self.params.n_paths,
            default_seed=self.params.seed,
        )


def forecast(
    history: pd.DataFrame,
    signals: pd.DataFrame | None = None,
    horizon: int = 14,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    params: ForecastParams | None = None,
    *,
    past_campaign_starts: Sequence[str | pd.Timestamp] | None = None,
    signal_model: SignalModel | None = None,
    progress: bool | None = None,
    source: str = "history",
    signals_source: str = "signals",
    executor: Executor | None = None,
) -> ForecastResult:
    """Fit and predict in one call (see :class:`Forecaster`).

    ``signals`` may hold both past-campaign rows (dated inside the history, used to learn
    uplift and rho(t)) and the current campaign's rows (dated after the history).
    ``executor`` runs the per-series history models on it (see :meth:`Forecaster.fit`); the
    result is identical to the run without one.
    """
    fc = Forecaster(params, signal_model=signal_model)
    fc.fit(
        history,
        horizon,
        past_signals=signals,
        past_campaign_starts=past_campaign_starts,
        source=source,
        signals_source=signals_source,
        progress=progress,
        executor=executor,
    )
    return fc.predict(signals, quantiles)
