"""Planning under demand uncertainty: the two-stage stochastic lock, rolling re-plans on
simulated campaigns, and the value of staging."""

from presale_supply.replenishment.formulation import Risk
from presale_supply.stochastic.planner import (
    StochasticResult,
    check_scenario_plans,
    cvar,
    scenario_problem,
    solve_stochastic,
    validate_fixed,
)
from presale_supply.stochastic.simulate import (
    POLICIES,
    CampaignOutcome,
    CampaignSimulator,
    DemandModel,
    ExampleFactory,
    PolicyComparison,
    Truth,
    compare_policies,
    simulate_campaign,
    summarise,
)

__all__ = [
    "POLICIES",
    "CampaignOutcome",
    "CampaignSimulator",
    "DemandModel",
    "ExampleFactory",
    "PolicyComparison",
    "Risk",
    "StochasticResult",
    "Truth",
    "check_scenario_plans",
    "compare_policies",
    "cvar",
    "scenario_problem",
    "simulate_campaign",
    "solve_stochastic",
    "summarise",
    "validate_fixed",
]
