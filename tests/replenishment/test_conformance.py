"""Backend conformance: textbook lot-sizing oracles solved by every backend in BACKENDS, and an
exact Wagner-Whitin dynamic program (written here, independent of the planner) compared with the
planner on random uncapacitated instances.

Textbook values:
- Wagner-Whitin, T=4, h=2, K=500, d=(90, 120, 80, 70): 1380 (order in periods 1 and 3).
- h=0.8, K=120, d=(150, 100, 80, 200): 424.
- Capacitated single item, K=40, unit cost 1, h=1, d=(10, 20, 30, 40), capacity 30: 280.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presale_supply.backends.base import Status, relative_gap
from presale_supply.replenishment.checker import check_plan

from .helpers import ALL_BACKENDS, lot_sizing, run

TEXTBOOK = {
    "ww_h2_k500": (
        {"demand": [[90, 120, 80, 70]], "holding": [2.0], "setup_cost": [500.0]},
        1380.0,
    ),
    "ww_h08_k120": (
        {"demand": [[150, 100, 80, 200]], "holding": [0.8], "setup_cost": [120.0]},
        424.0,
    ),
    "capacitated_k40_cap30": (
        {
            "demand": [[10, 20, 30, 40]],
            "holding": [1.0],
            "setup_cost": [40.0],
            "unit_cost": [1.0],
            "capacity": 30.0,
        },
        280.0,
    ),
}


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("case", sorted(TEXTBOOK))
def test_textbook_optimum(backend: str, case: str) -> None:
    spec, expected = TEXTBOOK[case]
    problem = lot_sizing(**spec, name=case)
    res = run(problem, backend, time_limit=30)
    assert res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert res.bound is not None and res.bound <= res.objective + 1e-6
    assert res.gap == relative_gap(res.objective, res.bound)
    assert res.gap is not None and res.gap <= 1e-6
    assert res.arrays is not None and check_plan(problem, res.arrays).ok
    # the plan serves every period's demand on time (lot sizing allows no shortage)
    inv = res.inventory
    assert (inv["sold"] == inv["demand"]).all()
    assert (inv["short"] == 0).all()


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_textbook_capacity_respected(backend: str) -> None:
    """The capacitated textbook plan never makes more than 30 units in a period and pays 4 setups
    (100 units cannot be made in 3 periods of 30)."""
    spec, _ = TEXTBOOK["capacitated_k40_cap30"]
    res = run(lot_sizing(**spec), backend, time_limit=30)
    assert res.status is Status.OPTIMAL
    prod = res.production.groupby("day")["units"].sum()
    assert prod.max() <= 30
    assert prod.sum() == 100
    assert len(res.orders) == 4


# ---- Wagner-Whitin dynamic program ------------------------------------------------------------
def wagner_whitin(demand: list[int], setup: float, holding: float, unit: float = 0.0) -> float:
    """Exact optimum of uncapacitated single-item lot sizing without backlog.

    ``F[t]`` = cheapest cost of serving periods 1..t ending with zero stock; the last order
    (placed in period j) serves periods j..t, or nothing is ordered when they have no demand.
    """
    T = len(demand)
    F = [0.0] + [math.inf] * T
    for t in range(1, T + 1):
        for j in range(1, t + 1):
            block = demand[j - 1 : t]
            if sum(block) == 0:
                cost = 0.0
            else:
                cost = setup + unit * sum(block)
                cost += holding * sum((k - j) * demand[k - 1] for k in range(j, t + 1))
            F[t] = min(F[t], F[j - 1] + cost)
    return F[T]


def test_wagner_whitin_dp_reproduces_textbook() -> None:
    """The oracle itself is checked on the textbook numbers before it is trusted."""
    assert wagner_whitin([90, 120, 80, 70], 500, 2) == pytest.approx(1380)
    assert wagner_whitin([150, 100, 80, 200], 120, 0.8) == pytest.approx(424)
    assert wagner_whitin([0, 0, 5], 10, 1) == pytest.approx(10)
    assert wagner_whitin([0, 0, 0], 10, 1) == 0


ww_instances = st.tuples(
    st.lists(st.integers(0, 60), min_size=2, max_size=7),
    st.integers(0, 300),  # setup cost
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.7]),  # holding cost
    st.sampled_from([0.0, 1.0, 2.5]),  # unit cost
)


@pytest.mark.parametrize("backend", ["cpsat", "cbc"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=ww_instances)
def test_random_uncapacitated_matches_wagner_whitin(
    backend: str, inst: tuple[list[int], int, float, float]
) -> None:
    demand, setup, holding, unit = inst
    problem = lot_sizing([demand], holding=[holding], setup_cost=[float(setup)], unit_cost=[unit])
    res = run(problem, backend, time_limit=20)
    assert res.status is Status.OPTIMAL, res.message
    expected = wagner_whitin(demand, setup, holding, unit)
    assert res.objective == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert res.arrays is not None and check_plan(problem, res.arrays).ok
    # the cost splits into setups and holding only (purchase is unit x total demand)
    assert res.check is not None
    costs = res.check.costs
    assert costs["purchase"] == pytest.approx(unit * sum(demand))
    assert costs["fixed_order"] == pytest.approx(setup * len(res.orders))
    assert costs["shortage"] == pytest.approx(0.0)
