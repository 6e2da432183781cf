"""Subcommands ``forecast`` and ``backtest`` of ``presale-supply``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.forecast.params import (
    DEFAULT_QUANTILES,
    BaseModel,
    ForecastParams,
    GapPolicy,
    SelectionPolicy,
)

__all__ = ["register"]


def _quantiles(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 0.1,0.5,0.9; got {text!r}"
        ) from None


def _read_csv(path: str, what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} file not found.", file=path)
    try:
        return pd.read_csv(p, dtype={"unique_id": str, "ds": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read {what} as CSV ({exc}).", file=path) from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "history",
        metavar="HISTORY.csv",
        help="columns unique_id, ds, y (optional price, promo, store_open)",
    )
    p.add_argument("--horizon", type=int, required=True, help="periods to forecast")
    p.add_argument(
        "--quantiles",
        type=_quantiles,
        default=DEFAULT_QUANTILES,
        help="comma-separated levels (default 0.1,0.5,0.9)",
    )
    p.add_argument(
        "--season-length",
        type=int,
        default=None,
        help="season of the history models (default 7 daily, 12 monthly)",
    )
    p.add_argument(
        "--selection",
        choices=[s.value for s in SelectionPolicy],
        default=SelectionPolicy.BACKTEST.value,
        help="model choice per series (default: ADI/CV^2 pattern, with the intermittent "
        "model chosen by backtest)",
    )
    p.add_argument(
        "--smooth-model", choices=[m.value for m in BaseModel], default=BaseModel.AUTO_ETS.value
    )
    p.add_argument(
        "--intermittent-model",
        choices=[m.value for m in BaseModel],
        default=BaseModel.INTERMITTENT_COMBO.value,
    )
    p.add_argument(
        "--ets-model", default="ZZZ", help="AutoETS model string; ZNZ (no trend) is ~5x faster"
    )
    p.add_argument(
        "--calibration-windows",
        type=int,
        default=4,
        help="rolling-origin windows used to calibrate intervals (default 4)",
    )
    p.add_argument(
        "--recalibrate-levels",
        choices=["both", "upper", "none"],
        default="both",
        help="quantile-level recalibration on the held-out windows: both tails (default; "
        "nominal interval coverage), upper levels only (better pinball loss on mostly-zero "
        "series), or none",
    )
    p.add_argument(
        "--fill-gaps",
        action="store_true",
        help="insert missing periods with y = 0 instead of failing",
    )
    p.add_argument("--no-progress", action="store_true", help="never show progress bars")


def _params(args: argparse.Namespace) -> ForecastParams:
    return ForecastParams(
        season_length=args.season_length,
        selection=SelectionPolicy(args.selection),
        ets_model=args.ets_model,
        smooth_model=BaseModel(args.smooth_model),
        intermittent_model=BaseModel(args.intermittent_model),
        calibration_windows=args.calibration_windows,
        recalibrate_levels=args.recalibrate_levels,
        gap_policy=GapPolicy.FILL_ZERO if args.fill_gaps else GapPolicy.ERROR,
        n_paths=getattr(args, "n_paths", 200),
        seed=getattr(args, "seed", 0),
    )


def _cmd_forecast(args: argparse.Namespace) -> int:
    from presale_supply.forecast.forecaster import forecast

    history = _read_csv(args.history, "history")
    signals = _read_csv(args.signals, "signals") if args.signals else None
    res = forecast(
        history,
        signals,
        args.horizon,
        args.quantiles,
        _params(args),
        progress=False if args.no_progress else None,
        source=args.history,
        signals_source=args.signals or "signals",
    )
    daily = res.daily.copy()
    daily["ds"] = daily["ds"].dt.strftime("%Y-%m-%d")
    daily["mean"] = daily["mean"].round(3)
    daily.to_csv(args.out, index=False)
    if args.totals_out:
        res.totals.round(3).to_csv(args.totals_out, index=False)
    if args.paths_out:
        paths = res.sample_paths(args.n_paths, args.seed)
        paths["ds"] = paths["ds"].dt.strftime("%Y-%m-%d")
        paths.to_csv(args.paths_out, index=False)
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    n_sig = int((res.summary["signal_days"] > 0).sum())
    print(
        f"forecast {len(res.totals)} series x {args.horizon} periods "
        f"({n_sig} updated with presale signals) -> {args.out}",
        file=sys.stderr,
    )
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from presale_supply.forecast.backtest import backtest, metrics_table

    history = _read_csv(args.history, "history")
    params = _params(args)
    bt = backtest(
        history,
        args.horizon,
        args.windows,
        params=params,
        quantiles=args.quantiles,
        progress=False if args.no_progress else None,
        source=args.history,
    )
    qs = sorted(args.quantiles)
    season = params.season_length or _season_of(bt)
    table = metrics_table(bt, history, season=season, interval=(qs[0], qs[-1]))
    if args.out:
        bt.to_csv(args.out, index=False)
    with pd.option_context("display.width", 120, "display.float_format", "{:.4f}".format):
        print(
            f"rolling-origin backtest: {args.windows} window(s) x {args.horizon} periods; "
            f"coverage of [q{qs[0]:g}, q{qs[-1]:g}]"
        )
        print(table.to_string(index=False))
    return 0


def _season_of(bt: pd.DataFrame) -> int:
    step = pd.to_datetime(bt["ds"]).sort_values().diff().dt.days.dropna()
    step = step[step > 0]
    if step.empty or step.min() == 1:
        return 7
    return 12 if step.min() >= 28 else 52


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` and ``backtest`` subcommands."""
    f = subparsers.add_parser(
        "forecast",
        help="forecast campaign demand with quantiles",
        description="Forecast demand per series and day: mean and whole-unit quantiles, "
        "updated with presale signals when given.",
    )
    _common(f)
    f.add_argument(
        "--signals",
        metavar="SIGNALS.csv",
        default=None,
        help="unique_id, ds, deposits[, add_to_cart]: rows after the history are "
        "the signals so far; rows inside it are past campaigns",
    )
    f.add_argument(
        "--out", required=True, metavar="FILE.csv", help="unique_id, ds, mean, q<level>..."
    )
    f.add_argument(
        "--totals-out",
        metavar="FILE.csv",
        default=None,
        help="per-series horizon totals with quantiles",
    )
    f.add_argument(
        "--paths-out",
        metavar="FILE.csv",
        default=None,
        help="sample paths: scenario, unique_id, ds, units",
    )
    f.add_argument("--n-paths", type=int, default=200)
    f.add_argument("--seed", type=int, default=0)
    f.set_defaults(func=_cmd_forecast)
    b = subparsers.add_parser(
        "backtest",
        help="rolling-origin backtest with WAPE, MASE, RMSSE, pinball, coverage",
        description="Hold back the last windows, forecast them, print the metrics table.",
    )
    _common(b)
    b.add_argument("--windows", type=int, default=3, help="held-out windows (default 3)")
    b.add_argument(
        "--out", metavar="FILE.csv", default=None, help="write per-period backtest results"
    )
    b.set_defaults(func=_cmd_backtest)
