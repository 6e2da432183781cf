"""``presale-supply policies``: compare order policies on simulated campaigns."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.data import Policy, Problem
from presale_supply.exceptions import InputError
from presale_supply.replenishment.formulation import Risk
from presale_supply.stochastic.planner import cvar, solve_stochastic
from presale_supply.stochastic.simulate import (
    POLICIES,
    ExampleFactory,
    _ci,
    compare_policies,
    summarise,
)

__all__ = ["plan_scenarios", "register", "run_comparison", "sensitivity_table"]


def _floats(text: str, name: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(
            f"{name} must be comma-separated numbers.", column=name, value=text
        ) from None
    if any(not (0 <= v <= 1) for v in vals):
        raise InputError(f"{name} must be between 0 and 1.", column=name, value=text)
    return vals


def run_comparison(
    *,
    campaigns: int,
    n_skus: int = 12,
    level_cv: float = 0.35,
    scenarios: int = 6,
    solver: str = "cpsat",
    time_limit: float = 10.0,
    workers: int = 1,
    first_seed: int = 0,
    lock_ratios: list[float] | None = None,
    buffers: list[float] | None = None,
    sensitivity_campaigns: int = 0,
    out: Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the policy comparison (and optionally the lock / buffer sensitivity) and write
    ``policies_runs.csv``, ``policies_table.csv``, ``policies_sensitivity.csv`` and
    ``policies.json`` under ``out``. Returns the JSON document."""
    if campaigns < 1 or n_skus < 1 or scenarios < 1 or workers < 1:
        raise InputError(
            "campaigns, n_skus, scenarios and workers must be >= 1.",
            value=(campaigns, n_skus, scenarios, workers),
        )
    t0 = time.perf_counter()
    sim: dict[str, Any] = {"n_scenarios": scenarios, "solver": solver, "time_limit": time_limit}
    seeds = list(range(first_seed, first_seed + campaigns))
    pool: Executor | None = ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        main = compare_policies(
            ExampleFactory(n_skus, level_cv), seeds, executor=pool, progress=progress, **sim
        )
        sens_runs: list[pd.DataFrame] = []
        sens_seeds = seeds[: sensitivity_campaigns or 0]
        grid: list[tuple[str, float, tuple[str, ...]]] = [
            ("lock_ratio", v, ("fixed_lock", "stochastic_lock")) for v in lock_ratios or []
        ]
        grid += [("capacity_buffer", v, ("stochastic_lock",)) for v in buffers or []]
        for name, v, pols in grid if sens_seeds else []:
            c = compare_policies(
                ExampleFactory(n_skus, level_cv, Policy(**{name: v})),  # type: ignore[arg-type]
                sens_seeds,
                pols,
                executor=pool,
                progress=progress,
                **sim,
            )
            sens_runs.append(c.runs.assign(parameter=name, value=v))
    finally:
        if pool is not None:
            pool.shutdown()
    sens = sensitivity_table(pd.concat(sens_runs, ignore_index=True)) if sens_runs else None
    table = main.table
    runs = main.runs
    diff = None
    if {"fixed_lock", "stochastic_lock"} <= set(runs["policy"]) and runs["cost"].notna().any():
        piv = runs.pivot(index="campaign", columns="policy", values="cost")
        diff = {}
        for other in ("fixed_lock", "deterministic_lock", "up_front"):
            if other not in piv:
                continue
            pair = piv[["stochastic_lock", other]].dropna()
            d = (pair["stochastic_lock"] - pair[other]).to_numpy()
            if not len(d):
                continue
            m, lo, hi = _ci(d)
            diff[other] = {
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "campaigns_better": int((d < 0).sum()),
                "campaigns": len(d),
                "relative": m / float(pair[other].mean()),  # over the same campaigns
            }
    doc: dict[str, Any] = {
        "campaigns": campaigns,
        "n_skus": n_skus,
        "level_cv": level_cv,
        "scenarios": scenarios,
        "solver": solver,
        "time_limit": time_limit,
        "workers": workers,
        "seconds": time.perf_counter() - t0,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "table": table.to_dict(orient="records"),
        "stochastic_lock_minus": diff,
        "sensitivity": [] if sens is None else sens.to_dict(orient="records"),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        runs.to_csv(out / "policies_runs.csv", index=False)
        table.to_csv(out / "policies_table.csv", index=False)
        if sens is not None:
            sens.to_csv(out / "policies_sensitivity.csv", index=False)
            pd.concat(sens_runs).to_csv(out / "policies_sensitivity_runs.csv", index=False)
        (out / "policies.json").write_text(json.dumps(doc, indent=2, default=float))
    return doc


#: The campaign plan's values, against which sensitivity values are compared.
BASELINE = {"lock_ratio": 0.30, "capacity_buffer": 0.15}


def sensitivity_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (parameter, value, policy): the policy table over the campaigns feasible at that
    value, the share of campaigns where the value admits no plan, and the cost difference to
    the plan's value (0.30 lock, 0.15 buffer) paired by campaign, over the campaigns feasible
    at both (``diff_vs_baseline`` with its 95% interval)."""
    parts = []
    for name, g in runs.groupby("parameter", sort=False):
        base_v = BASELINE.get(str(name))
        for v, gv in g.groupby("value", sort=True):
            t = summarise(gv)
            pols = sorted(set(gv["policy"]))
            if t.empty:
                t = pd.DataFrame({"policy": pols, "campaigns": 0})
            n_all = gv.groupby("policy")["campaign"].nunique()
            t["infeasible_share"] = (
                t["policy"].map(gv[gv["cost"].isna()].groupby("policy").size() / n_all).fillna(0.0)
            )
            if base_v is not None:
                base = g[np.isclose(g["value"], base_v)]
                for k, pol in enumerate(t["policy"]):
                    a = gv[gv["policy"] == pol].set_index("campaign")["cost"]
                    b = base[base["policy"] == pol].set_index("campaign")["cost"]
                    d = (a - b).dropna().to_numpy()
                    if len(d):
                        m, lo, hi = _ci(d)
                        t.loc[k, ["diff_vs_baseline", "diff_ci_low", "diff_ci_high"]] = m, lo, hi
                        t.loc[k, "paired_campaigns"] = len(d)
            parts.append(t.assign(parameter=name, value=v))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def paired_lines(doc: dict[str, Any]) -> list[str]:
    """One line per comparison of the stochastic lock with another policy, paired by
    campaign."""
    out = []
    for other, d in (doc.get("stochastic_lock_minus") or {}).items():
        out.append(
            f"stochastic lock - {other.replace('_', ' ')}: {d['mean']:,.0f} per campaign "
            f"(95% CI [{d['ci_low']:,.0f}, {d['ci_high']:,.0f}], {d['relative']:+.2%}); "
            f"lower in {d['campaigns_better']} of {d['campaigns']} campaigns"
        )
    return out


def format_table(table: pd.DataFrame) -> str:
    """A planner-readable policy table."""
    lines = [
        f"{'policy':<18} {'expected cost':>15} {'95% CI':>27} {'fill':>6} {'sell-thr':>8} "
        f"{'cleared':>7} {'peak cap':>8} {'regret':>9}"
    ]
    for r in table.to_dict(orient="records"):
        if not r.get("campaigns"):
            lines.append(
                f"{r['policy']:<18} infeasible in all {r['infeasible_campaigns']} campaigns"
            )
            continue
        ci = f"[{r['cost_ci_low']:,.0f}, {r['cost_ci_high']:,.0f}]"
        regret = r.get("regret_share")
        lines.append(
            f"{r['policy']:<18} {r['expected_cost']:>15,.0f} {ci:>27} {r['fill_rate']:>6.1%} "
            f"{r['sell_through']:>8.1%} {r['cleared_last_3_days']:>7.1%} "
            f"{r['peak_capacity_use']:>8.1%} "
            + (f"{regret:>9.2%}" if regret is not None and regret == regret else f"{'-':>9}")
        )
    return "\n".join(lines)


def _check_solver_fits(risk: Risk, solver: str) -> None:
    """Fail before solving when the risk options need a solver that ``solver`` is not: CVaR
    adds continuous variables, which CP-SAT cannot take."""
    import importlib

    from presale_supply.backends.base import BACKENDS

    def continuous_ok(name: str) -> bool:
        module, cls = BACKENDS[name].split(":")
        return bool(getattr(importlib.import_module(module), cls).supports_continuous)

    if risk.cvar_weight <= 0 or solver not in BACKENDS or continuous_ok(solver):
        return
    mip = ", ".join(n for n in BACKENDS if n != "highs" and continuous_ok(n))
    raise InputError(
        f"--cvar-weight needs a MIP solver ({solver} takes integer variables only, and CVaR "
        f"adds continuous ones): add --solver highs (or {mip})."
    )


def _cost_lines(res: Any, risk: Risk) -> list[str]:
    """The cost lines of the ``plan`` summary. The solver's bound and gap are on the
    objective: the expected cost when risk neutral, else the CVaR-weighted cost, which is
    then printed on its own line with the bound and gap, and the expected cost below it."""
    bound = "n/a" if res.bound is None else f"{res.bound:,.2f}"
    gap = "n/a" if res.gap is None else f"{res.gap:.4%}"
    if risk.cvar_weight <= 0:
        return [f"expected    {res.expected_cost:,.2f}  (bound {bound}, gap {gap})"]
    w = risk.cvar_weight
    a = risk.cvar_alpha
    return [
        f"objective   {res.objective:,.2f}  (bound {bound}, gap {gap}): expected cost x "
        f"{1 - w:g} + CVaR{a:.0%} x {w:g}",
        f"expected    {res.expected_cost:,.2f}",
    ]


def plan_scenarios(problem: Problem, args: argparse.Namespace, out: Path) -> int:
    """``presale-supply plan`` on a folder whose demand has scenarios: solve the two-stage
    plan and write ``orders_now.csv``, ``scenario_orders.csv``, ``scenario_costs.csv`` and
    ``summary.json`` under ``out``. Returns the exit code."""
    risk = Risk(
        service_level=args.service_level,
        chance=args.chance,
        cvar_alpha=args.cvar_alpha,
        cvar_weight=args.cvar_weight,
    )
    _check_solver_fits(risk, args.solver)
    if not args.quiet:
        print(
            f"two-stage plan over {problem.demand.n_scenarios} demand scenarios, rounds "
            f"1..{args.stage + 1} shared, with {args.solver} (limit {args.time_limit:g} s)",
            file=sys.stderr,
        )
    formulation = "aggregate" if args.formulation in ("auto", "aggregate_ls") else args.formulation
    res = solve_stochastic(
        problem,
        args.solver,
        stage=args.stage,
        risk=risk,
        time_limit=args.time_limit,
        threads=args.threads,
        seed=args.seed,
        gap=max(args.gap, 1e-6),
        formulation=formulation,
        log=args.log,
    )
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "status": res.status.value,
        "objective": res.objective,
        "expected_cost": res.expected_cost,
        "bound": res.bound,
        "gap": res.gap,
        "solver": res.solver,
        "seconds": res.seconds,
        "message": res.message,
        "scenarios": problem.demand.n_scenarios,
        "stage": args.stage,
        "model_size": res.model_size,
    }
    if res.plans:
        w = problem.demand.weights
        summary["cvar"] = cvar(res.scenario_costs, w, risk.cvar_alpha)
        res.orders_now().to_csv(out / "orders_now.csv", index=False)
        res.scenario_orders().to_csv(out / "scenario_orders.csv", index=False)
        res.cost_distribution().to_csv(out / "scenario_costs.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    if args.json:
        print(json.dumps(summary, indent=2, default=float))
    else:
        print(f"status      {res.status.value}  ({res.message})")
        if res.plans and res.expected_cost is not None:
            c = res.scenario_costs
            for line in _cost_lines(res, risk):
                print(line)
            print(f"scenarios   min {c.min():,.2f}  max {c.max():,.2f}  "
                  f"CVaR{risk.cvar_alpha:.0%} {summary['cvar']:,.2f}")  # fmt: skip
            now = res.orders_now()
            print(f"order now   {len(now)} orders, {int(now['quantity'].sum()):,} units "
                  f"(rounds 1..{args.stage + 1})")  # fmt: skip
        written = (
            ["orders_now.csv", "scenario_orders.csv", "scenario_costs.csv"] if res.plans else []
        )
        print(f"wrote {', '.join([*written, 'summary.json'])} to {out}/")
    return 0 if res.plans else 1


def _cmd(args: argparse.Namespace) -> int:
    doc = run_comparison(
        campaigns=args.campaigns,
        n_skus=args.n_skus,
        level_cv=args.level_cv,
        scenarios=args.scenarios,
        solver=args.solver,
        time_limit=args.time_limit,
        workers=args.workers,
        first_seed=args.seed,
        lock_ratios=_floats(args.lock_ratios, "lock-ratios") if args.lock_ratios else None,
        buffers=_floats(args.buffers, "buffers") if args.buffers else None,
        sensitivity_campaigns=args.sensitivity_campaigns,
        out=Path(args.out) if args.out else None,
        progress=not args.quiet,
    )
    print(format_table(pd.DataFrame(doc["table"])))
    print()
    for line in paired_lines(doc):
        print(line)
    if args.out:
        print(f"\nwrote {Path(args.out) / 'policies.json'} and the CSV tables")
    return 0


def register(sub: Any) -> None:
    """Add ``policies`` to the ``presale-supply`` subcommands."""
    p = sub.add_parser(
        "policies",
        help="compare order policies on simulated campaigns (value of staging)",
        description="Simulate campaigns of the example generator and compare: everything up "
        "front, the fixed lock plus re-plans, the stochastic lock plus re-plans, and perfect "
        f"foresight ({', '.join(POLICIES)}). See docs/stochastic.md.",
    )
    p.add_argument("--campaigns", type=int, default=20, help="simulated campaigns (20)")
    p.add_argument("--n-skus", type=int, default=12, help="SKUs per campaign (12)")
    p.add_argument("--level-cv", type=float, default=0.35, help="demand level uncertainty (0.35)")
    p.add_argument("--scenarios", type=int, default=6, help="scenarios per planning call (6)")
    p.add_argument("--solver", default="cpsat")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds per planning call")
    p.add_argument("--workers", type=int, default=1, help="processes (1)")
    p.add_argument("--seed", type=int, default=0, help="first campaign seed")
    p.add_argument("--lock-ratios", default="", help="sensitivity, e.g. 0.1,0.2,0.3,0.4,0.5,0.6")
    p.add_argument("--buffers", default="", help="sensitivity, e.g. 0,0.1,0.15,0.2,0.3")
    p.add_argument(
        "--sensitivity-campaigns", type=int, default=0, help="campaigns per sensitivity value"
    )
    p.add_argument("--out", default="", help="folder for the CSV and JSON results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd)
