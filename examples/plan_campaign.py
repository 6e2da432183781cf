"""Plan the embedded example campaign with the replenishment planner, then compare two solvers.

What it shows, in order:

1. build a planner ``Problem`` from the synthetic example campaign
   (``presale_supply.datasets.example_campaign``; no real data) and pre-check that the 30%
   lock fits the suppliers' capacity;
2. solve it with CP-SAT and read the honest outcome: status, total cost, proven bound, gap;
3. the KPI summary of the plan (fill rate, sell-through, lock achieved, peak capacity use) and
   its cost breakdown;
4. the orders per order round (lock round, presale round, replenishment round);
5. write the plan's tables (``orders.csv``, ``inventory.csv``, ``capacity.csv``,
   ``production.csv``, ``summary.json``) to a folder;
6. compare two backends (CP-SAT and HiGHS by default) on the very same problem.

Run from the project root::

    .venv/bin/python examples/plan_campaign.py               # 200 SKUs, 30 s per solve
    .venv/bin/python examples/plan_campaign.py my-plan       # write the plan into my-plan/
    .venv/bin/python examples/plan_campaign.py --small       # 20 SKUs, 2 s per solve (tests)
    .venv/bin/python examples/plan_campaign.py --compare cpsat,scip --time-limit 60

Without an output folder the plan goes to a new temporary folder, whose path is printed.
The command-line equivalent of steps 1-5 is ``presale-supply demo`` (see README.md).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from presale_supply import available_backends
from presale_supply.data import Problem
from presale_supply.datasets import ExampleParams, example_campaign
from presale_supply.replenishment.plan import PlanResult
from presale_supply.replenishment.solve import precheck, solve


def build_problem(seed: int, n_skus: int) -> Problem:
    """The example campaign as a validated, immutable planner problem."""
    # Every number of the example comes from a field of ExampleParams (docs/example_campaign.md);
    # here only the assortment size changes. The same seed gives the same campaign.
    ex = example_campaign(seed, ExampleParams(n_skus=n_skus))
    stages = ", ".join(f"{s.name} {s.days} d" for s in ex.campaign.stages)
    print(
        f"example campaign (seed {seed}): {len(ex.skus)} SKUs, {len(ex.suppliers)} suppliers, "
        f"{ex.campaign.n_days} days from {ex.campaign.start_date} ({stages})"
    )
    # to_problem() validates the SKU, supplier and demand tables and adds the default Policy:
    # 30% lock in the first round, 15% capacity buffer for suppliers under agreement.
    problem = ex.to_problem()
    policy = problem.policy
    print(
        f"policy: lock {policy.lock_ratio:.0%} of expected demand in round 1, capacity buffer "
        f"{policy.capacity_buffer:.0%}, shortage = {policy.shortage.value}; "
        f"order rounds on days {list(problem.rounds)}"
    )
    return problem


def show_result(result: PlanResult) -> None:
    """Status, cost, bound and gap: what the solve proved, not just what it found."""
    gap = "n/a" if result.gap is None else f"{result.gap:.4%}"
    bound = "n/a" if result.bound is None else f"{result.bound:,.2f}"
    cost = "n/a" if result.objective is None else f"{result.objective:,.2f}"
    print(f"status      {result.status.value}")  # OPTIMAL only when proven within the gap
    print(f"total cost  {cost}")
    print(f"bound       {bound}")
    print(f"gap         {gap}")
    print(f"solver      {result.solver}, {result.seconds:.1f} s")
    print(f"note        {result.message}")
    for why in result.diagnosis:  # filled when the problem is infeasible
        print(f"  why: {why}")


def show_kpis(result: PlanResult) -> None:
    """The KPI summary and cost breakdown of a plan."""
    k = result.kpis()
    policy = result.problem.policy
    print(
        f"fill rate         {k['fill_rate']:.2%} ({k['units_sold']:,} of {k['units_demanded']:,})"
    )
    print(
        f"sell-through      {k['sell_through']:.2%} (target {k['sell_through_target']:.0%}); "
        f"{k['units_ordered']:,} units ordered, {k['units_left_at_end']:,} left at the end"
    )
    if k["lock_ratio_min"] is not None:
        print(
            f"lock achieved     at least {k['lock_ratio_min']:.2%} of campaign demand in round 1 "
            f"for every SKU (policy: {policy.lock_ratio:.0%})"
        )
    at = k["peak_capacity_at"]
    where = f" ({at['supplier']}, day {at['day']})" if at else ""
    print(f"peak capacity use {k['peak_capacity_utilisation']:.2%}{where}")
    if k["peak_utilisation_under_agreement"] is not None:
        print(
            f"  under agreement {k['peak_utilisation_under_agreement']:.2%} "
            f"(limit {k['capacity_limit_share']:.0%})"
        )
    if k["peak_utilisation_without_agreement"] is not None:
        print(f"  without         {k['peak_utilisation_without_agreement']:.2%} (limit 100%)")
    print(f"orders placed     {k['orders_placed']:,}")
    # The checker recomputed every cost term from the decisions; summary() carries them.
    costs = result.summary()["costs"]
    print("costs             " + ", ".join(f"{n} {v:,.0f}" for n, v in costs.items()))


def orders_per_round(result: PlanResult) -> pd.DataFrame:
    """One row per order round: when it is placed, how many orders, SKUs, units and packs."""
    orders = result.orders  # sku, supplier, round, order_day, arrival_day, quantity, packs
    campaign = result.problem.campaign
    table = orders.groupby("round").agg(
        order_day=("order_day", "first"),
        orders=("sku", "size"),
        suppliers=("supplier", "nunique"),
        first_arrival=("arrival_day", "min"),
        last_arrival=("arrival_day", "max"),
        units=("quantity", "sum"),
        packs=("packs", "sum"),
    )
    table["share_of_units"] = (table["units"] / table["units"].sum()).map("{:.1%}".format)
    # Name the stage each round is placed in (round 1, the lock, may fall in the warm-up).
    table.insert(
        1,
        "stage",
        [
            campaign.stage_of(int(d)) if 1 <= d <= campaign.n_days else "before day 1"
            for d in table["order_day"]
        ],
    )
    return table


def compare_backends(
    problem: Problem, backends: list[str], done: dict[str, PlanResult], **options: Any
) -> pd.DataFrame:
    """Solve the same problem with each backend and tabulate status, cost, bound and gap."""
    # The model is solver-neutral: only the backend name changes between the solves.
    # Solves already made (``done``) are reused instead of being run again.
    results = dict(done)
    for name in backends:
        if name not in results:
            results[name] = solve(problem, name, **options)
    rows = [
        {
            "backend": name,
            "status": r.status.value,
            "cost": r.objective,
            "bound": r.bound,
            "gap": r.gap,
            "seconds": round(r.seconds, 2),
            "formulation": r.model_size.get("formulation"),
            "message": r.message,
        }
        for name, r in results.items()
        if name in backends
    ]
    table = pd.DataFrame(rows)
    # Best plan found by any backend, and how far each one is from it.
    best = table["cost"].min()
    table["vs_best"] = (table["cost"] / best - 1).map(lambda v: "-" if pd.isna(v) else f"{v:+.4%}")
    return table


def main(argv: list[str] | None = None) -> int:
    """Plan the example campaign; return 0 when a plan was found (1 otherwise)."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", nargs="?", type=Path, help="output folder (default: a temp dir)")
    parser.add_argument("--small", action="store_true", help="20 SKUs and 2 s limits (fast)")
    parser.add_argument("--seed", type=int, default=0, help="example campaign seed (default 0)")
    parser.add_argument("--skus", type=int, default=None, help="number of SKUs (default 200)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--threads", type=int, default=None, help="solver threads")
    parser.add_argument(
        "--compare",
        default="cpsat,highs",
        help="comma-separated backends to compare (default cpsat,highs; '' to skip)",
    )
    args = parser.parse_args(argv)
    n_skus = args.skus or (20 if args.small else 200)
    time_limit = args.time_limit or (2.0 if args.small else 30.0)
    threads = args.threads or (1 if args.small else 2)

    print("== 1. the problem ==")
    problem = build_problem(args.seed, n_skus)
    # precheck() finds lock/capacity conflicts without running a solver; [] means none.
    findings = precheck(problem)
    if not findings:
        print("pre-check: the lock fits every supplier's capacity")
    for f in findings:
        print(f"pre-check: {f}")

    print(f"\n== 2. solve with CP-SAT (limit {time_limit:g} s, {threads} thread(s)) ==")
    # A run stopped by the time limit is FEASIBLE with its gap, never OPTIMAL; every returned
    # plan has been re-verified by an independent checker.
    result = solve(problem, "cpsat", time_limit=time_limit, threads=threads)
    show_result(result)
    if not result.status.has_solution:
        return 1

    print("\n== 3. KPI summary ==")
    show_kpis(result)

    print("\n== 4. orders per round ==")
    print(orders_per_round(result).to_string())

    out = args.out or Path(tempfile.mkdtemp(prefix="presale-plan-"))
    print(f"\n== 5. plan files in {out} ==")
    for path in result.write(out):  # creates the folder if needed
        print(f"  {path.name:<16} {path.stat().st_size:>9,} bytes")

    backends = [b.strip() for b in args.compare.split(",") if b.strip()]
    installed = set(available_backends())  # solver packages that can be imported
    usable = [b for b in backends if b in installed]
    if backends:
        print(f"\n== 6. the same problem, backends {', '.join(backends)} ==")
        missing = [b for b in backends if b not in usable]
        if missing:
            print(f"unknown or not installed, skipped: {', '.join(missing)}")
    if usable:
        table = compare_backends(
            problem, usable, {"cpsat": result}, time_limit=time_limit, threads=threads
        )
        print(
            table.to_string(
                index=False,
                columns=[c for c in table.columns if c != "message"],
                formatters={
                    "cost": "{:,.2f}".format,
                    "bound": "{:,.2f}".format,
                    "gap": "{:.4%}".format,
                },
                na_rep="-",
            )
        )
        for _, row in table[table["cost"].isna()].iterrows():  # no plan: say why
            print(f"{row['backend']}: {row['message']}")
        print(
            "(each backend gets the same limit; a lower bound closer to the cost proves more. "
            "Costs are recomputed by the same checker, so they compare directly.)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
