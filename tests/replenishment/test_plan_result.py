"""PlanResult: the documented tables, KPIs, summary() and write(), cross-checked against each other
and against the raw problem data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from presale_supply.backends.base import Status
from presale_supply.data import Policy, Problem, Shortage
from presale_supply.replenishment.plan import PlanResult

from .helpers import presale_problem, run

ORDERS = ["sku", "supplier", "round", "order_day", "arrival_day", "quantity", "packs"]
INVENTORY = ["sku", "day", "demand", "on_hand", "sold", "short"]
CAPACITY = ["supplier", "day", "used", "capacity", "limit", "utilisation"]
PRODUCTION = ["sku", "supplier", "round", "day", "units"]


def make_problem(shortage: Shortage = Shortage.LOST_SALES) -> Problem:
    """Three SKUs, two suppliers: S1 lead 0 (no agreement), S2 lead 2 (agreement: 85%). The lock
    round is day 1 (presale starts on day 3, longest lead 2), later rounds days 3 and 6."""
    rng = np.random.default_rng(3)
    demand = rng.integers(2, 12, size=(3, 8))
    return presale_problem(
        demand=demand,
        sku_supplier=[0, 1, 1],
        capacity=[40.0, 30.0],
        lead=[0, 2],
        guarantee=[False, True],
        unit_cost=[4.0, 6.0, 2.0],
        holding=[0.2, 0.1, 0.3],
        order_cost=[15.0, 8.0, 12.0],
        pack=[1, 4, 2],
        moq=[0, 8, 0],
        penalty=[12.0, 15.0, 9.0],
        backlog_cost=[0.5, 0.5, 0.5],
        clearance=[1.0, 2.0, 0.5],
        initial=[3, 0, 1],
        capacity_per_order=[1.0, 2.0, 0.0],
        policy=Policy(shortage=shortage),
    )


@pytest.fixture(scope="module")
def solved() -> PlanResult:
    res = run(make_problem(), "cpsat", time_limit=30)
    assert res.status is Status.OPTIMAL, res.message
    return res


def test_problem_rounds(solved: PlanResult) -> None:
    assert solved.problem.rounds == (1, 3, 6)
    assert solved.problem.first_day == 1


def test_orders_table(solved: PlanResult) -> None:
    p, orders = solved.problem, solved.orders
    assert list(orders.columns) == ORDERS
    assert len(orders) > 0
    lead = dict(zip(p.suppliers.ids, p.suppliers.lead_time_days.tolist(), strict=True))
    pack = dict(zip(p.skus.ids, p.skus.pack_size.tolist(), strict=True))
    sup_of = dict(zip(p.skus.ids, p.skus.supplier, strict=True))
    for row in orders.itertuples():
        assert row.supplier == sup_of[row.sku]
        assert row.order_day == p.rounds[row.round - 1]
        assert row.arrival_day == row.order_day + lead[row.supplier]
        assert row.quantity == row.packs * pack[row.sku] and row.quantity > 0
    # round 1 is the lock round and every SKU with demand orders in it
    assert set(orders.loc[orders["round"] == 1, "sku"]) == set(p.skus.ids)
    assert not orders.duplicated(["sku", "round"]).any()


def test_production_table_matches_orders(solved: PlanResult) -> None:
    p, prod, orders = solved.problem, solved.production, solved.orders
    assert list(prod.columns) == PRODUCTION
    made = prod.groupby(["sku", "round"])["units"].sum()
    ordered = orders.set_index(["sku", "round"])["quantity"]
    pd.testing.assert_series_equal(made.sort_index(), ordered.sort_index(), check_names=False)
    lead = dict(zip(p.suppliers.ids, p.suppliers.lead_time_days.tolist(), strict=True))
    for row in prod.itertuples():
        o = p.rounds[row.round - 1]
        assert o <= row.day <= o + max(lead[row.supplier], 1) - 1


def test_inventory_table_balances(solved: PlanResult) -> None:
    p, inv, orders = solved.problem, solved.inventory, solved.orders
    assert list(inv.columns) == INVENTORY
    assert len(inv) == len(p.skus) * p.n_days
    for k, sku in enumerate(p.skus.ids):
        rows = inv[inv["sku"] == sku].sort_values("day")
        assert rows["day"].tolist() == list(range(1, p.n_days + 1))
        np.testing.assert_array_equal(rows["demand"], p.demand.units[0, k])
        np.testing.assert_array_equal(rows["short"], rows["demand"] - rows["sold"])
        stock = int(p.skus.initial_stock[k])
        mine = orders[orders["sku"] == sku]
        for row in rows.itertuples():
            stock += int(mine.loc[mine["arrival_day"].clip(lower=1) == row.day, "quantity"].sum())
            stock -= row.sold
            assert row.on_hand == stock, (sku, row.day)
            assert 0 <= row.sold <= row.demand


def test_capacity_table(solved: PlanResult) -> None:
    p, cap, prod, orders = solved.problem, solved.capacity, solved.production, solved.orders
    assert list(cap.columns) == CAPACITY
    assert len(cap) == len(p.suppliers) * (p.n_days - p.first_day + 1)
    per_unit = dict(zip(p.skus.ids, p.skus.capacity_per_unit.tolist(), strict=True))
    per_order = dict(zip(p.skus.ids, p.skus.capacity_per_order.tolist(), strict=True))
    for row in cap.itertuples():
        s = p.suppliers.ids.index(row.supplier)
        base = float(p.suppliers.capacity_per_day[s])
        assert row.capacity == base
        expect_limit = math.floor(base * 0.85) if p.suppliers.capacity_guarantee[s] else base
        assert row.limit == expect_limit
        made = prod[(prod["supplier"] == row.supplier) & (prod["day"] == row.day)]
        placed = orders[(orders["supplier"] == row.supplier) & (orders["order_day"] == row.day)]
        used = sum(per_unit[r.sku] * r.units for r in made.itertuples())
        used += sum(per_order[r.sku] for r in placed.itertuples())
        assert row.used == pytest.approx(used)
        assert row.used <= row.limit + 1e-9
        assert row.utilisation == pytest.approx(used / base)


def test_kpis(solved: PlanResult) -> None:
    p, k, inv, orders = solved.problem, solved.kpis(), solved.inventory, solved.orders
    assert k["fill_rate"] == pytest.approx(inv["sold"].sum() / inv["demand"].sum())
    assert k["units_ordered"] == orders["quantity"].sum()
    assert k["orders_placed"] == len(orders)
    assert k["units_sold"] == inv["sold"].sum()
    assert k["units_left_at_end"] == inv.loc[inv["day"] == p.n_days, "on_hand"].sum()
    available = p.skus.initial_stock.sum() + orders["quantity"].sum()
    assert k["sell_through"] == pytest.approx(inv["sold"].sum() / available)
    for sku in p.skus.ids:
        first = orders.loc[(orders["sku"] == sku) & (orders["round"] == 1), "quantity"].sum()
        demand = inv.loc[inv["sku"] == sku, "demand"].sum()
        assert k["lock_ratio_achieved"][sku] == pytest.approx(first / demand, abs=1e-6)
        assert k["lock_ratio_achieved"][sku] >= 0.3 - 1e-9
    assert k["peak_capacity_utilisation"] == pytest.approx(solved.capacity["utilisation"].max())
    assert k["capacity_limit_share"] == pytest.approx(0.85)


def test_summary_is_json(solved: PlanResult) -> None:
    s = solved.summary()
    text = json.dumps(s)  # no default=: every value must be plain JSON
    back = json.loads(text)
    for key in ("status", "objective", "bound", "gap", "solver", "seconds", "costs", "kpis"):
        assert key in back, key
    assert back["status"] == "OPTIMAL"
    assert back["objective"] == pytest.approx(solved.objective)
    assert back["costs"]["total"] == pytest.approx(solved.objective, abs=1e-5)
    parts = ("purchase", "fixed_order", "holding", "shortage", "backlog", "clearance_revenue")
    total = sum(back["costs"][c] for c in parts[:-1]) - back["costs"]["clearance_revenue"]
    assert total == pytest.approx(back["costs"]["total"], abs=1e-5)
    assert back["costs"]["purchase"] == pytest.approx(
        sum(
            solved.problem.skus.unit_cost[solved.problem.skus.ids.index(r.sku)] * r.quantity
            for r in solved.orders.itertuples()
        )
    )


def test_write_creates_files(solved: PlanResult, tmp_path: Path) -> None:
    out = tmp_path / "plan" / "nested"
    paths = solved.write(out)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        ["orders.csv", "inventory.csv", "capacity.csv", "production.csv", "summary.json"]
    )
    for p in paths:
        assert p.is_file() and p.parent == out
    orders = pd.read_csv(out / "orders.csv")
    pd.testing.assert_frame_equal(orders, solved.orders.reset_index(drop=True), check_dtype=False)
    inv = pd.read_csv(out / "inventory.csv")
    assert list(inv.columns) == INVENTORY and len(inv) == len(solved.inventory)
    assert json.loads((out / "summary.json").read_text()) == json.loads(
        json.dumps(solved.summary())
    )


def test_infeasible_result_has_no_tables(tmp_path: Path) -> None:
    problem = make_problem()
    tight = presale_problem(
        demand=problem.demand.units[0] * 10,
        sku_supplier=[0, 1, 1],
        capacity=[40.0, 30.0],
        lead=[0, 2],
    )
    res = run(tight, "cpsat")
    assert res.status is Status.INFEASIBLE
    with pytest.raises(ValueError, match="INFEASIBLE"):
        _ = res.orders
    s = json.loads(json.dumps(res.summary()))
    assert s["status"] == "INFEASIBLE" and s["objective"] is None and s["diagnosis"]
    assert "costs" not in s
    paths = res.write(tmp_path)
    assert [p.name for p in paths] == ["summary.json"]


def test_backlog_inventory_short_is_waiting_units() -> None:
    problem = make_problem(Shortage.BACKLOG)
    res = run(problem, "cpsat", time_limit=30)
    assert res.status is Status.OPTIMAL, res.message
    inv = res.inventory
    assert list(inv.columns) == INVENTORY
    for sku in problem.skus.ids:
        rows = inv[inv["sku"] == sku].sort_values("day")
        owed = (rows["demand"].cumsum() - rows["sold"].cumsum()).to_numpy()
        np.testing.assert_array_equal(rows["short"].to_numpy(), owed)
    json.dumps(res.summary())
