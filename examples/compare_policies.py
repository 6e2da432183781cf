"""Compare order policies on simulated campaigns: is a stochastic lock worth it?

What it shows
-------------
1. A two-stage stochastic plan of one campaign: the lock round decided once for every demand
   scenario, the later rounds per scenario (``solve_stochastic``).
2. The rolling re-plan of one simulated campaign under each policy (``CampaignSimulator``):
   everything up front, the fixed 30% lock plus re-plans, the deterministic planner's lock
   plus re-plans, the stochastic lock plus re-plans, and perfect foresight (the lower bound).
3. The value-of-staging table over several campaigns (``compare_policies``), with 95%
   confidence intervals and the regret against perfect foresight.

Run::

    python examples/compare_policies.py            # 10 campaigns of 12 SKUs (about a minute)
    python examples/compare_policies.py --small    # 2 campaigns of 6 SKUs (seconds)

The full benchmark (200 campaigns and the lock / buffer sensitivity) is
``make bench-policies``; see docs/stochastic.md.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from presale_supply.data import Demand
from presale_supply.datasets import ExampleParams, example_campaign
from presale_supply.stochastic import (
    POLICIES,
    CampaignSimulator,
    DemandModel,
    ExampleFactory,
    compare_policies,
    solve_stochastic,
)
from presale_supply.stochastic.cli import format_table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--small", action="store_true", help="a quick run (2 campaigns, 6 SKUs)")
    ap.add_argument("--campaigns", type=int, default=None)
    ap.add_argument("--scenarios", type=int, default=6)
    args = ap.parse_args(argv)
    n_skus = 6 if args.small else 12
    campaigns = args.campaigns or (2 if args.small else 10)

    # 1. one campaign, planned over scenarios of the demand model's prior ---------------------
    ex = example_campaign(0, ExampleParams(n_skus=n_skus))
    problem = ex.to_problem()
    model = DemandModel.from_example(ex)  # level uncertainty cv 0.35, deposits, NB noise
    scen = model.scenarios(
        None, day=problem.rounds[0], n=args.scenarios, rng=np.random.default_rng(0)
    )
    stoch = dataclasses.replace(
        problem, demand=Demand(scen, np.full(args.scenarios, 1 / args.scenarios))
    )
    res = solve_stochastic(stoch, "cpsat", time_limit=30)
    print(f"two-stage plan: {res.status.value}, expected cost {res.expected_cost:,.0f}, "
          f"gap {(res.gap or 0):.3%}, {res.model_size['variables']:,} variables")  # fmt: skip
    print(
        f"  scenario costs from {res.scenario_costs.min():,.0f} to {res.scenario_costs.max():,.0f}"
    )
    now = res.orders_now()
    print(f"  lock round: {len(now)} orders, {int(now['quantity'].sum()):,} units "
          f"(the 30% rule alone: {int(stoch.lock_units().sum()):,} units)\n")  # fmt: skip

    # 2. one simulated campaign under each policy ----------------------------------------------
    sim = CampaignSimulator(problem, model, n_scenarios=args.scenarios, time_limit=10)
    truth = model.draw(np.random.default_rng(1))
    print("one simulated campaign (same demand for every policy):")
    for pol in POLICIES:
        out = sim.run(pol, truth, seed=1)
        k = out.kpis
        print(
            f"  {pol:<18} cost {out.cost:>12,.0f}  fill {k['fill_rate']:.1%}  sell-through "
            f"{k['sell_through']:.1%}  ordered {int(out.order_units.sum()):,} units in "
            f"{len(out.solves)} planning calls"
        )

    # 3. the value-of-staging table over several campaigns -------------------------------------
    print(f"\n{campaigns} simulated campaigns:")
    comp = compare_policies(
        ExampleFactory(n_skus=n_skus), range(campaigns), n_scenarios=args.scenarios, time_limit=10
    )
    print(format_table(comp.table))
    piv = comp.runs.pivot(index="campaign", columns="policy", values="cost")
    for other in ("fixed_lock", "deterministic_lock"):
        pair = piv[["stochastic_lock", other]].dropna()
        better = int((pair["stochastic_lock"] < pair[other]).sum())
        print(f"stochastic lock cheaper than {other} in {better} of {len(pair)} campaigns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
