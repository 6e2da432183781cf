"""Continuous quantities (``Policy.integer_quantities = False``), as the lot-sizing literature
states its reference optima: a hand-solved instance where whole units cost more."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from presale_supply.backends.base import Status
from presale_supply.exceptions import InputError
from presale_supply.lotsizing import LotSizingInstance, lot_sizing_problem

from .helpers import run


def _instance() -> LotSizingInstance:
    # 6 units due on day 2; 3 capacity units per unit and 10 per day, so a day makes at most
    # 10/3 units: day 1 must make 6 - 10/3 = 8/3 (continuous) or 3 (whole units).
    return LotSizingInstance(
        name="hand",
        demand=np.array([[0, 6]]),
        capacity=np.array([10.0, 10.0]),
        unit_time=np.array([3.0]),
        holding_cost=np.array([1.0]),
        setup_time=np.array([0.0]),
        setup_cost=np.array([10.0]),
        unit_cost=np.array([0.0]),
    )


@pytest.mark.parametrize("backend", ["highs", "cbc", "scip"])
def test_continuous_optimum_below_the_whole_unit_one(backend: str) -> None:
    cont = run(lot_sizing_problem(_instance(), continuous=True), backend, gap=1e-9)
    whole = run(lot_sizing_problem(_instance()), backend, gap=1e-9)
    assert cont.status is Status.OPTIMAL and whole.status is Status.OPTIMAL
    assert cont.objective == pytest.approx(20 + 8 / 3, abs=1e-6)  # two setups + 8/3 held
    assert whole.objective == pytest.approx(23.0, abs=1e-6)  # two setups + 3 held
    assert cont.arrays is not None and cont.arrays.order_units[0, 0] == pytest.approx(8 / 3)
    assert cont.check is not None and cont.check.ok


def test_checker_still_rejects_fractions_in_the_integer_model() -> None:
    p = lot_sizing_problem(_instance(), continuous=True)
    res = run(p, "highs", gap=1e-9)
    from presale_supply.replenishment.checker import check_plan

    integer = dataclasses.replace(p, policy=dataclasses.replace(p.policy, integer_quantities=True))
    assert res.arrays is not None
    report = check_plan(integer, res.arrays)
    assert any("not a whole number" in v for v in report.violations)


def test_cpsat_refuses_continuous_quantities_clearly() -> None:
    with pytest.raises(InputError, match="LP-based backend"):
        run(lot_sizing_problem(_instance(), continuous=True), "cpsat")
