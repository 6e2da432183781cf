"""Planner commands: ``init``, ``plan``, ``lotsizing`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from presale_supply.backends.base import BACKENDS, Status
from presale_supply.exceptions import InputError
from presale_supply.replenishment.formulation import FORMULATIONS

__all__ = ["register"]


def _solver_args(p: argparse.ArgumentParser, default_limit: float = 60.0) -> None:
    p.add_argument(
        "--solver",
        default="auto",
        choices=["auto", *sorted(BACKENDS)],
        help="solver backend (default: auto = CP-SAT racing SCIP when --threads >= 2, "
        "CP-SAT alone with 1 thread or on a model of more than 20,000 integer variables, "
        "SCIP with continuous quantities; see docs/model.md)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=default_limit,
        metavar="S",
        help=f"wall-clock limit in seconds (default: {default_limit:g})",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=2,
        help="solver threads (default: 2; use 1 with --work-limit or --node-limit "
        "for a reproducible run)",
    )
    p.add_argument(
        "--work-limit",
        type=float,
        default=None,
        metavar="W",
        help="CP-SAT deterministic time limit (reproducible, unlike --time-limit)",
    )
    p.add_argument(
        "--node-limit",
        type=int,
        default=None,
        metavar="N",
        help="branch-and-bound node limit for SCIP, HiGHS and CBC (reproducible)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--gap",
        type=float,
        default=1e-6,
        help="relative gap at which to stop and call it optimal (default: 1e-6)",
    )
    p.add_argument(
        "--formulation",
        default="auto",
        choices=["auto", *FORMULATIONS],
        help="model variant (default: auto = aggregate for cpsat, "
        "facility_location for MIP solvers)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    p.add_argument("--log", action="store_true", help="stream the solver's own log to stderr")


def register(sub: Any) -> None:
    """Add the planner's subcommands to the top-level parser."""
    p = sub.add_parser(
        "init",
        help="write the example campaign as editable files",
        description="Write the embedded example campaign (campaign.toml, "
        "skus.csv, suppliers.csv, demand.csv) into DIR as a template.",
    )
    p.add_argument("dir", help="folder to create (must be empty or new)")
    p.add_argument("--seed", type=int, default=0, help="example generator seed")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser(
        "plan",
        help="plan a campaign folder",
        description="Solve the staged replenishment plan of a campaign folder "
        "and write orders.csv, inventory.csv, capacity.csv, production.csv, "
        "summary.json.",
    )
    p.add_argument("dir", help="campaign folder (see `presale-supply init`)")
    p.add_argument("--out", default=None, help="output folder (default: DIR/plan)")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout")
    _solver_args(p)
    g = p.add_argument_group(
        "scenario demand",
        "used when demand.csv has two or more scenarios: a two-stage stochastic plan whose "
        "first rounds are one decision for every scenario (docs/stochastic.md)",
    )
    g.add_argument(
        "--stage",
        type=int,
        default=0,
        help="index of the last round decided now; 0 (default) = the lock round "
        "(round 1 in the output files) only",
    )
    g.add_argument("--service-level", type=float, default=None, help="per-SKU fill rate floor")
    g.add_argument(
        "--chance", type=float, default=0.0, help="probability the fill rate may be missed"
    )
    g.add_argument("--cvar-weight", type=float, default=0.0, help="weight of CVaR (0..1)")
    g.add_argument("--cvar-alpha", type=float, default=0.9, help="CVaR tail level (0.9)")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser(
        "lotsizing",
        help="solve a Trigeiro lot-sizing file",
        description="Solve a Trigeiro-format capacitated lot-sizing file as a "
        "special case of the planner (no lock, no buffer, no shortage).",
    )
    p.add_argument(
        "file", help="a Trigeiro-format .DAT file (format: presale_supply.lotsizing.read_trigeiro)"
    )
    p.add_argument(
        "--unit-times",
        action="store_true",
        help="set every unit production time to 1 (e.g. G30 -> tr6-15)",
    )
    p.add_argument(
        "--continuous",
        action="store_true",
        help="continuous production quantities, as in the literature's reference optima "
        "(needs --solver scip, highs, cbc or pulp-highs)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _solver_args(p)
    p.set_defaults(func=_cmd_lotsizing)

    p = sub.add_parser(
        "demo",
        help="plan the embedded example campaign",
        description="Generate the example campaign, plan it and print a "
        "readable summary (what `make demo` runs).",
    )
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--example-seed", type=int, default=0, help="example generator seed")
    p.add_argument(
        "--no-forecast",
        action="store_true",
        help="plan on the example's own demand instead of forecasting it first",
    )
    _solver_args(p, default_limit=30.0)
    p.set_defaults(func=_cmd_demo)


def _progress_printer(quiet: bool) -> Any:
    if quiet:
        return None
    last = [0.0]

    def show(seconds: float, incumbent: float, bound: float | None) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.2:
            return
        last[0] = now
        gap = (
            ""
            if bound is None or incumbent == 0
            else (f"  gap {abs(incumbent - bound) / abs(incumbent):7.3%}")
        )
        b = "" if bound is None else f"  bound {bound:,.2f}"
        print(
            f"  [{seconds:7.1f}s] incumbent {incumbent:,.2f}{b}{gap}", file=sys.stderr, flush=True
        )

    return show


def _say_split(problem: Any, args: argparse.Namespace) -> None:
    """Tell the reader that the progress lines are running totals when the plan is solved
    supplier by supplier."""
    from presale_supply.replenishment.decompose import decomposable

    if not args.quiet and decomposable(problem) and len(problem.suppliers) > 1:
        print(
            f"  solving {len(problem.suppliers)} suppliers one after the other; the lines "
            "below are running totals over the suppliers solved so far",
            file=sys.stderr,
            flush=True,
        )


def _solve_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.time_limit is not None and args.time_limit <= 0:
        raise InputError(
            "--time-limit must be > 0 seconds.", column="--time-limit", value=args.time_limit
        )
    log = bool(args.log) or (not args.quiet and args.solver not in ("cpsat", "auto"))
    return {
        "solver": args.solver,
        "time_limit": args.time_limit,
        "threads": args.threads,
        "seed": args.seed,
        "gap": args.gap,
        "work_limit": args.work_limit,
        "node_limit": args.node_limit,
        "formulation": args.formulation,
        "log": log,
        "progress": _progress_printer(args.quiet),
    }


def _writable(out: Path) -> None:
    """Fail before solving when the output folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".presale-supply-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise InputError(
            f"cannot write the output folder: {exc.strerror or exc}.", file=str(out)
        ) from None


def _cmd_init(args: argparse.Namespace) -> int:
    from presale_supply.datasets import example_campaign
    from presale_supply.io import FILES, write_problem_dir

    d = Path(args.dir)
    clash = [f for f in FILES if (d / f).exists()]
    if clash and not args.force:
        raise InputError(f"{clash} already exist; use --force to overwrite.", file=str(d))
    ex = example_campaign(args.seed)
    paths = write_problem_dir(d, ex.campaign, ex.skus, ex.suppliers, ex.demand)
    print(f"wrote the example campaign (seed {args.seed}) to {d}/:")
    for p in paths:
        print(f"  {p.name}")
    print(f"plan it with: presale-supply plan {d} --out {d / 'plan'}")
    return 0


def format_summary(result: Any) -> str:
    """A readable multi-line summary of a :class:`PlanResult`."""
    s = result.summary()
    lines = [f"status      {s['status']}"]
    if s["objective"] is not None:
        gap = "n/a" if s["gap"] is None else f"{s['gap']:.4%}"
        bound = "n/a" if s["bound"] is None else f"{s['bound']:,.2f}"
        lines += [
            f"total cost  {s['objective']:,.2f}",
            f"bound       {bound}",
            f"gap         {gap}",
        ]
    lines.append(f"solver      {s['solver']}, {s['seconds']:.1f} s")
    lines.append(f"note        {s['message']}")
    for d in s.get("diagnosis", []):
        lines.append(f"  why: {d}")
    if "costs" in s:
        c = s["costs"]
        lines.append(
            "costs       " + ", ".join(f"{k} {v:,.2f}" for k, v in c.items() if k != "total")
        )
        k = s["kpis"]
        lines += [
            f"fill rate   {k['fill_rate']:.2%}  ({k['units_sold']:,} of "
            f"{k['units_demanded']:,} units)",
            f"sell-thru   {k['sell_through']:.2%} (target {k['sell_through_target']:.0%})  "
            f"({k['units_ordered']:,} units ordered, "
            f"{k['units_left_at_end']:,} left at the end)",
            f"lock        min first-round share {k['lock_ratio_min']:.2%} of expected demand"
            if k["lock_ratio_min"] is not None
            else "lock        none",
            _capacity_line(k),
            f"orders      {k['orders_placed']:,} placed",
        ]
    return "\n".join(lines)


def _capacity_line(k: dict[str, Any]) -> str:
    parts = []
    if k.get("peak_utilisation_under_agreement") is not None:
        parts.append(
            f"peak utilisation {k['peak_utilisation_under_agreement']:.2%} for suppliers "
            f"under a capacity agreement (limit {k['capacity_limit_share']:.0%})"
        )
    if k.get("peak_utilisation_without_agreement") is not None:
        parts.append(
            f"{k['peak_utilisation_without_agreement']:.2%} for those without one (limit 100%)"
        )
    return "capacity    " + "; ".join(parts)


def _exit_code(status: Status) -> int:
    return 0 if status.has_solution else 1


def _cmd_plan(args: argparse.Namespace) -> int:
    from presale_supply.io import read_problem_dir
    from presale_supply.replenishment.solve import solve

    problem = read_problem_dir(args.dir)
    out = Path(args.out) if args.out else Path(args.dir) / "plan"
    _writable(out)
    if not args.quiet:
        print(
            f"planning {len(problem.skus)} SKUs x {len(problem.suppliers)} suppliers x "
            f"{problem.n_days} days, rounds on days {list(problem.rounds)}, with "
            f"{args.solver} (limit {args.time_limit:g} s)",
            file=sys.stderr,
        )
    if problem.demand.n_scenarios > 1:
        from presale_supply.stochastic.cli import plan_scenarios

        return plan_scenarios(problem, args, out)
    used = [
        name
        for name, on in (
            ("--stage", args.stage != 0),
            ("--service-level", args.service_level is not None),
            ("--chance", args.chance != 0),
            ("--cvar-weight", args.cvar_weight != 0),
        )
        if on
    ]
    if used:
        raise InputError(
            f"{', '.join(used)} apply to scenario demand, but demand.csv has one scenario; add "
            "scenario and weight columns (docs/stochastic.md) or drop these options.",
            file=str(Path(args.dir) / "demand.csv"),
        )
    _say_split(problem, args)
    result = solve(problem, **_solve_kwargs(args))
    paths = result.write(out)
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print(format_summary(result))
        print(f"wrote {', '.join(p.name for p in paths)} to {out}/")
    return _exit_code(result.status)


def _cmd_lotsizing(args: argparse.Namespace) -> int:
    from presale_supply.lotsizing import lot_sizing_problem, read_trigeiro
    from presale_supply.replenishment.solve import solve

    inst = read_trigeiro(args.file)
    problem = lot_sizing_problem(inst, unit_times=args.unit_times, continuous=args.continuous)
    result = solve(problem, **_solve_kwargs(args))
    out = {
        "instance": inst.name
        + ("-unit-times" if args.unit_times else "")
        + ("-continuous" if args.continuous else ""),
        "items": inst.shape[0],
        "periods": inst.shape[1],
        "solver": args.solver,
        "solved_by": result.solver,
        "formulation": result.model_size.get("formulation"),
        "status": result.status.value,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "seconds": round(result.seconds, 3),
        "message": result.message,
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:12s}{v}")
    return _exit_code(result.status)


def _forecast_demand(ex: Any, seed: int) -> tuple[Any, str]:
    """Forecast the example campaign; return (planner demand frame, summary text)."""
    import numpy as np

    from presale_supply.forecast import to_planner_demand
    from presale_supply.forecast.demo import forecast_example_campaign

    res = forecast_example_campaign(seed, progress=False)
    demand = to_planner_demand(res, "mean", start=ex.campaign.start_date)
    truth = ex.demand.groupby("sku")["units"].sum()
    totals = res.totals.set_index("unique_id")
    fc = totals["mean"].reindex(truth.index).to_numpy(dtype=float)
    lo = totals["q0.1"].reindex(truth.index).to_numpy(dtype=float)
    hi = totals["q0.9"].reindex(truth.index).to_numpy(dtype=float)
    t = truth.to_numpy(dtype=float)
    wape = float(np.abs(fc - t).sum() / t.sum())
    cover = float(((t >= lo) & (t <= hi)).mean())
    days_seen = int(
        ex.signals["ds"]
        .ge(str(ex.campaign.start_date))
        .groupby(ex.signals["unique_id"])
        .sum()
        .max()
    )
    text = (
        f"forecast of {len(truth)} SKUs x {ex.campaign.n_days} days from one year of history "
        f"and {days_seen} days of presale signals (deposits, add-to-cart)\n"
        f"campaign totals: forecast {fc.sum():,.0f} units vs {t.sum():,.0f} simulated actual; "
        f"WAPE {wape:.1%}; 80% interval covers {cover:.0%} of SKUs"
    )
    return demand, text


def _cmd_demo(args: argparse.Namespace) -> int:
    from presale_supply.data import Demand, Problem, Skus, Suppliers
    from presale_supply.datasets import example_campaign
    from presale_supply.io import write_problem_dir
    from presale_supply.replenishment.solve import solve

    out = Path(args.out)
    _writable(out)
    ex = example_campaign(args.example_seed)
    stages = " / ".join(f"{s.name} {s.days}" for s in ex.campaign.stages)
    print(f"== presale_supply demo: example campaign (seed {args.example_seed}) ==")
    print(
        f"{len(ex.skus)} SKUs, {len(ex.suppliers)} suppliers, {ex.campaign.n_days} days "
        f"({stages}), starting {ex.campaign.start_date}"
    )
    demand = ex.demand
    if not args.no_forecast:
        print("\n-- demand forecast --", flush=True)
        demand, text = _forecast_demand(ex, args.example_seed)
        print(text)
    write_problem_dir(out / "campaign", ex.campaign, ex.skus, ex.suppliers, demand)
    skus = Skus.from_frame(ex.skus, source="example skus")
    problem = Problem(
        ex.campaign,
        skus,
        Suppliers.from_frame(ex.suppliers, source="example suppliers"),
        Demand.from_frame(demand, skus.ids, ex.campaign.n_days, source="forecast demand"),
    )
    what = "the example's demand" if args.no_forecast else "the forecast mean"
    print(
        f"\n-- replenishment plan on {what} ({args.solver}, limit {args.time_limit:g} s; "
        f"order rounds on days {list(problem.rounds)}) --",
        flush=True,
    )
    _say_split(problem, args)
    result = solve(problem, **_solve_kwargs(args))
    result.write(out / "plan")
    print(format_summary(result))
    print(f"plan files in {out / 'plan'}/ (inputs in {out / 'campaign'}/)")
    try:
        from presale_supply.sla.example import example_summary
    except ImportError:  # pragma: no cover
        return _exit_code(result.status)
    print("\n-- 48-hour delivery promise (balance-payment spike) --")
    print(example_summary(args.example_seed))
    return _exit_code(result.status)
