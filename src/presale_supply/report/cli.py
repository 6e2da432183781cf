"""``presale-supply report``: the HTML campaign report (registered by :mod:`presale_supply.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from presale_supply.backends.base import BACKENDS
from presale_supply.exceptions import InputError

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``report`` subcommand to the top-level parser."""
    p = sub.add_parser(
        "report",
        help="write the HTML campaign report",
        description="Plan a campaign folder (or the embedded example with --example), run the "
        "48-hour SLA check around the balance payment, and write one self-contained HTML "
        "report with the demand fan chart, order rounds, inventory, capacity heatmap, SLA by "
        "hour and (with --policies N or --policy-table) the policy comparison. See docs/report.md.",
    )
    p.add_argument(
        "dir",
        nargs="?",
        default=None,
        metavar="DIR",
        help="campaign folder (see `presale-supply init`)",
    )
    p.add_argument("--example", action="store_true", help="report on the embedded example campaign")
    p.add_argument(
        "--seed", type=int, default=0, help="example, solver and SLA-spike seed (default: 0)"
    )
    p.add_argument(
        "--example-skus",
        type=int,
        default=None,
        metavar="N",
        help="SKUs of the example campaign (default: 200)",
    )
    p.add_argument("--out", required=True, help="the HTML file to write, e.g. report.html")
    p.add_argument(
        "--policy-table",
        default=None,
        metavar="CSV",
        help="policy comparison (policy, expected_cost, cost_ci_low, cost_ci_high, fill_rate, "
        "sell_through, cleared_last_3_days, peak_capacity_use, regret)",
    )
    p.add_argument(
        "--policies",
        type=int,
        default=0,
        metavar="N",
        help="simulate N campaigns and add the policy comparison (up front, fixed lock, "
        "deterministic lock, stochastic lock, perfect foresight; see `presale-supply policies`)",
    )
    p.add_argument(
        "--forecast",
        default=None,
        metavar="CSV",
        help="forecast for the fan chart: daily quantiles (unique_id, ds, mean, q...; the "
        "--out of `presale-supply forecast`) or sample paths (scenario, unique_id, ds, units; "
        "its --paths-out); with --example the example is forecast instead",
    )
    p.add_argument(
        "--no-forecast",
        action="store_true",
        help="with --example: do not forecast; the fan chart shows the plan's demand",
    )
    p.add_argument(
        "--forecast-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="with --example: stop the forecast after S seconds and use the plan's demand "
        "(default: 30)",
    )
    p.add_argument("--no-sla", action="store_true", help="leave out the SLA check")
    p.add_argument(
        "--solver",
        default="auto",
        choices=["auto", *sorted(BACKENDS)],
        help="solver backend (default: auto, see docs/model.md)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=20.0,
        metavar="S",
        help="solver wall-clock limit in seconds (default: 20)",
    )
    p.add_argument("--title", default=None, help="report title (default: the campaign name)")
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    p.set_defaults(func=_cmd_report)


def _out_path(text: str) -> Path:
    """The output file, checked before any work is done."""
    out = Path(text)
    if out.is_dir():
        raise InputError("is a folder; --out takes a file name such as report.html.", file=text)
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise InputError("the output's folder is a file.", file=str(parent))
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output's folder: {exc.strerror or exc}.", file=str(parent)
        ) from None
    return out


def _read_forecast(path: str) -> Any:
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError("forecast file not found.", file=path)
    try:
        return pd.read_csv(p, dtype={"unique_id": str, "ds": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read the forecast as CSV ({exc}).", file=path) from None


def _check_forecast_skus(forecast: Any, sku_ids: Any, path: str) -> None:
    """Fail before solving when the forecast is not of this campaign's SKUs: every
    ``unique_id`` must be a SKU of the campaign (the fan chart sums SKUs per category)."""
    if "unique_id" not in forecast.columns:
        raise InputError(
            "the forecast has no 'unique_id' column; expected daily quantiles (unique_id, ds, "
            "mean, q...) or sample paths (scenario, unique_id, ds, units).",
            file=path,
            column="unique_id",
        )
    known = set(sku_ids)
    ids = forecast["unique_id"].dropna().astype(str).unique()
    extra = [s for s in ids if s not in known]
    if extra:
        shown = ", ".join(repr(s) for s in extra[:10]) + (", ..." if len(extra) > 10 else "")
        raise InputError(
            f"{len(extra)} SKU(s) in the forecast are not in the campaign "
            f"({len(known)} SKUs in skus.csv): {shown}. Forecast this campaign's SKUs, or "
            "drop those rows.",
            file=path,
            column="unique_id",
        )


def _cmd_report(args: argparse.Namespace) -> int:
    from presale_supply.report.collect import read_policy_table
    from presale_supply.report.pipeline import example_report, problem_report

    if args.example == (args.dir is not None):
        raise InputError(
            "give either a campaign folder DIR or --example (not both, not neither).",
            value=args.dir,
        )
    if args.time_limit <= 0:
        raise InputError(
            "--time-limit must be > 0 seconds.", column="--time-limit", value=args.time_limit
        )
    if args.forecast_timeout <= 0:
        raise InputError(
            "--forecast-timeout must be > 0 seconds.",
            column="--forecast-timeout",
            value=args.forecast_timeout,
        )
    if args.example_skus is not None and not args.example:
        raise InputError("--example-skus works only with --example.")
    if args.example_skus is not None and args.example_skus < 1:
        raise InputError(
            "--example-skus must be >= 1.", column="--example-skus", value=args.example_skus
        )
    out = _out_path(args.out)
    policies = read_policy_table(args.policy_table) if args.policy_table else None
    if args.policies < 0:
        raise InputError("--policies must be >= 0.", column="--policies", value=args.policies)
    if args.policies and policies is not None:
        raise InputError("give --policies N or --policy-table CSV, not both.")
    if args.policies:
        import pandas as pd

        from presale_supply.stochastic.cli import run_comparison

        if not args.quiet:
            print(f"report: simulating {args.policies} campaigns per policy", file=sys.stderr)
        doc = run_comparison(campaigns=args.policies, progress=not args.quiet)
        table = pd.DataFrame(doc["table"])
        policies = table[table["campaigns"] > 0].reset_index(drop=True)  # with a cost to show

    def log(line: str) -> None:
        if not args.quiet:
            print(f"report: {line}", file=sys.stderr, flush=True)

    if args.example:
        if args.forecast:
            raise InputError("--forecast is for a campaign folder; --example forecasts itself.")
        run = example_report(
            args.seed,
            n_skus=args.example_skus,
            solver=args.solver,
            time_limit=args.time_limit,
            forecast=not args.no_forecast,
            forecast_timeout=args.forecast_timeout,
            policies=policies,
            sla=not args.no_sla,
            title=args.title,
            log=log,
        )
    else:
        from presale_supply.io import read_problem_dir

        problem = read_problem_dir(args.dir)
        forecast = _read_forecast(args.forecast) if args.forecast else None
        if forecast is not None:
            _check_forecast_skus(forecast, problem.skus.ids, args.forecast)
        run = problem_report(
            problem,
            solver=args.solver,
            time_limit=args.time_limit,
            seed=args.seed,
            forecast=forecast,
            policies=policies,
            sla=not args.no_sla,
            title=args.title,
            log=log,
        )
    try:
        out.write_text(run.html, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the report: {exc.strerror or exc}.", file=str(out)
        ) from None
    print(out)
    return 0 if run.plan.status.has_solution else 1
