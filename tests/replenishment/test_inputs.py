"""Bad input is an InputError whose message says where (source, row, column) and what (value).

Rows are 1-based data rows (row 1 is the first line under a CSV header).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from presale_supply.campaign import DEFAULT_STAGES, Campaign, Stage
from presale_supply.data import Demand, Policy, Problem, Skus, Suppliers
from presale_supply.exceptions import InputError

SKU_SRC = "my_skus.csv"
SUP_SRC = "my_suppliers.csv"
DEM_SRC = "my_demand.csv"


def skus_frame(**overrides: list[Any]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {
        "sku": ["A", "B", "C"],
        "category": ["x", "x", "y"],
        "supplier": ["S1", "S1", "S2"],
        "unit_cost": [5.0, 3.0, 4.0],
        "holding_cost": [0.1, 0.2, 0.3],
        "pack_size": [1, 2, 5],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def suppliers_frame(**overrides: list[Any]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {
        "supplier": ["S1", "S2"],
        "capacity_per_day": [100.0, 50.0],
        "lead_time_days": [1, 2],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def demand_frame(**overrides: list[Any]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {"sku": ["A", "B", "C"], "day": [1, 2, 8], "units": [3, 4, 5]}
    data.update(overrides)
    return pd.DataFrame(data)


def input_error(fn: Callable[[], object], *fragments: str, **attrs: Any) -> InputError:
    """Call ``fn``; it must raise InputError whose message contains every fragment and whose
    attributes (file, row, column) equal ``attrs``."""
    with pytest.raises(InputError) as info:
        fn()
    exc = info.value
    msg = str(exc)
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"
    for name, value in attrs.items():
        assert getattr(exc, name) == value, (name, getattr(exc, name), msg)
    return exc


def test_valid_tables_load() -> None:
    skus = Skus.from_frame(skus_frame(), source=SKU_SRC)
    sups = Suppliers.from_frame(suppliers_frame(), source=SUP_SRC)
    dem = Demand.from_frame(demand_frame(), skus.ids, 8, source=DEM_SRC)
    assert skus.ids == ("A", "B", "C") and len(sups) == 2
    assert dem.units.shape == (1, 3, 8)
    assert dem.units[0, 2, 7] == 5 and dem.units.sum() == 12
    # defaults documented in SKU_COLUMNS: price = unit cost, shortage penalty = price
    np.testing.assert_array_equal(skus.price, skus.unit_cost)
    np.testing.assert_array_equal(skus.shortage_penalty, skus.price)
    assert skus.moq.tolist() == [0, 0, 0]
    assert sups.capacity_guarantee.tolist() == [True, True]


# ---- SKU table ----------------------------------------------------------------------------------
def test_sku_missing_column() -> None:
    df = skus_frame().drop(columns=["unit_cost"])
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC),
        SKU_SRC,
        "unit_cost",
        file=SKU_SRC,
        column="unit_cost",
    )


def test_sku_negative_cost() -> None:
    df = skus_frame(unit_cost=[5.0, -3.0, 4.0])
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC),
        SKU_SRC,
        "row 2",
        "'unit_cost'",
        "-3",
        file=SKU_SRC,
        row=2,
        column="unit_cost",
    )


def test_sku_nan_cell() -> None:
    df = skus_frame(holding_cost=[0.1, 0.2, math.nan])
    exc = input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC),
        SKU_SRC,
        "row 3",
        "'holding_cost'",
        file=SKU_SRC,
        row=3,
        column="holding_cost",
    )
    assert "empty" in str(exc)  # the value of a NaN cell is "empty"


def test_sku_text_in_numeric_column() -> None:
    df = skus_frame(pack_size=[1, "two", 5])
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC),
        SKU_SRC,
        "row 2",
        "'pack_size'",
        "'two'",
        file=SKU_SRC,
        row=2,
        column="pack_size",
    )


def test_sku_fractional_pack() -> None:
    df = skus_frame(pack_size=[1, 2, 2.5])
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC),
        SKU_SRC,
        "row 3",
        "'pack_size'",
        "2.5",
        "whole",
        file=SKU_SRC,
        row=3,
        column="pack_size",
    )


def test_sku_duplicate() -> None:
    df = skus_frame(sku=["A", "B", "A"])
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC),
        SKU_SRC,
        "'A'",
        "rows 1 and 3",
        "'sku'",
        file=SKU_SRC,
        row=3,
        column="sku",
    )


def test_sku_empty_id() -> None:
    df = skus_frame(sku=["A", None, "C"])
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC), SKU_SRC, "row 2", "'sku'", row=2, column="sku"
    )


def test_sku_unknown_column_is_not_ignored() -> None:
    df = skus_frame(unit_costs=[1.0, 2.0, 3.0])  # a typo of unit_cost
    input_error(
        lambda: Skus.from_frame(df, source=SKU_SRC), SKU_SRC, "unit_costs", column="unit_costs"
    )


def test_rows_are_positions_not_index_labels() -> None:
    df = skus_frame(unit_cost=[5.0, -3.0, 4.0])
    df.index = [10, 20, 30]
    input_error(lambda: Skus.from_frame(df, source=SKU_SRC), "row 2", row=2)


def test_empty_sku_table() -> None:
    df = skus_frame().iloc[0:0]
    input_error(lambda: Skus.from_frame(df, source=SKU_SRC), SKU_SRC, file=SKU_SRC)


# ---- supplier table -----------------------------------------------------------------------------
def test_supplier_errors() -> None:
    def load(df: pd.DataFrame) -> Callable[[], object]:
        return lambda: Suppliers.from_frame(df, source=SUP_SRC)

    input_error(
        load(suppliers_frame().drop(columns=["lead_time_days"])),
        SUP_SRC,
        "lead_time_days",
        column="lead_time_days",
    )
    input_error(
        load(suppliers_frame(capacity_per_day=[100.0, -1.0])),
        SUP_SRC,
        "row 2",
        "'capacity_per_day'",
        "-1",
        row=2,
    )
    input_error(
        load(suppliers_frame(lead_time_days=[1, 1.5])),
        SUP_SRC,
        "row 2",
        "'lead_time_days'",
        "1.5",
        row=2,
    )
    input_error(
        load(suppliers_frame(capacity_per_day=[math.nan, 5.0])),
        SUP_SRC,
        "row 1",
        "'capacity_per_day'",
        row=1,
    )
    input_error(
        load(suppliers_frame(capacity_per_day=["lots", 5.0])), SUP_SRC, "row 1", "'lots'", row=1
    )
    input_error(
        load(suppliers_frame(supplier=["S1", "S1"])),
        SUP_SRC,
        "'S1'",
        "rows 1 and 2",
        row=2,
        column="supplier",
    )
    input_error(
        load(suppliers_frame(capacity_guarantee=["yes", "maybe"])),
        SUP_SRC,
        "row 2",
        "'maybe'",
        row=2,
        column="capacity_guarantee",
    )


def test_supplier_guarantee_words() -> None:
    sups = Suppliers.from_frame(suppliers_frame(capacity_guarantee=["No", "TRUE"]))
    assert sups.capacity_guarantee.tolist() == [False, True]


# ---- demand table -------------------------------------------------------------------------------
def test_demand_errors() -> None:
    ids = ("A", "B", "C")

    def load(df: pd.DataFrame) -> Callable[[], object]:
        return lambda: Demand.from_frame(df, ids, 8, source=DEM_SRC)

    input_error(
        load(demand_frame(sku=["A", "Z", "C"])),
        DEM_SRC,
        "row 2",
        "'sku'",
        "'Z'",
        file=DEM_SRC,
        row=2,
        column="sku",
    )
    input_error(
        load(demand_frame(day=[1, 9, 8])), DEM_SRC, "row 2", "'day'", "9", row=2, column="day"
    )
    input_error(
        load(demand_frame(day=[0, 2, 8])), DEM_SRC, "row 1", "'day'", "0", row=1, column="day"
    )
    input_error(
        load(demand_frame(units=[3, -4, 5])),
        DEM_SRC,
        "row 2",
        "'units'",
        "-4",
        row=2,
        column="units",
    )
    input_error(
        load(demand_frame(units=[3, 4, 2.5])),
        DEM_SRC,
        "row 3",
        "'units'",
        "2.5",
        row=3,
        column="units",
    )
    input_error(
        load(demand_frame(units=[3, "many", 5])), DEM_SRC, "row 2", "'many'", row=2, column="units"
    )
    input_error(
        load(demand_frame(units=[3, math.nan, 5])),
        DEM_SRC,
        "row 2",
        "'units'",
        row=2,
        column="units",
    )
    input_error(
        load(demand_frame(sku=["A", "B", "A"], day=[1, 2, 1])),
        DEM_SRC,
        "rows 1 and 3",
        "'A'",
        row=3,
    )
    input_error(load(demand_frame().drop(columns=["units"])), DEM_SRC, "units", column="units")


def test_demand_scenarios_and_weights() -> None:
    df = pd.DataFrame(
        {
            "sku": ["A", "A"],
            "day": [1, 1],
            "units": [2, 6],
            "scenario": ["lo", "hi"],
            "weight": [0.25, 0.75],
        }
    )
    dem = Demand.from_frame(df, ("A",), 2)
    assert dem.n_scenarios == 2
    assert dem.expected()[0, 0] == pytest.approx(0.25 * 2 + 0.75 * 6)  # weights follow labels
    bad = df.assign(weight=[0.5, 0.75])
    input_error(lambda: Demand.from_frame(bad, ("A",), 2, source=DEM_SRC), DEM_SRC, "weight")


def test_demand_weights_not_summing_to_one_list_the_weights_rounded() -> None:
    df = pd.DataFrame(
        {
            "sku": ["A", "A", "A"],
            "day": [1, 1, 1],
            "units": [2, 4, 6],
            "scenario": ["lo", "mid", "hi"],
            "weight": [0.3, 0.3, 0.3],  # sums to 0.8999999999999999 in floating point
        }
    )
    with pytest.raises(InputError) as info:
        Demand.from_frame(df, ("A",), 2, source=DEM_SRC)
    msg = str(info.value)
    assert info.value.file == DEM_SRC and info.value.column == "weight"
    assert "sum to 0.9 (" in msg and "99999" not in msg
    assert "hi: 0.3, lo: 0.3, mid: 0.3" in msg
    assert "leave out the weight column for equal weights" in msg.lower()
    assert "more digits" in msg
    thirds = df.assign(weight=[0.333, 0.333, 0.333])
    input_error(lambda: Demand.from_frame(thirds, ("A",), 2), "0.999", "0.333")


def test_demand_duplicate_row_names_the_scenario() -> None:
    df = pd.DataFrame(
        {
            "sku": ["A", "A", "A", "A"],
            "day": [1, 1, 2, 1],
            "units": [2, 6, 1, 3],
            "scenario": ["lo", "hi", "hi", "hi"],
        }
    )
    input_error(
        lambda: Demand.from_frame(df, ("A",), 2, source=DEM_SRC),
        DEM_SRC,
        "scenario 'hi'",
        "rows 2 and 4",
        row=4,
        column="day",
    )


# ---- problem ------------------------------------------------------------------------------------
def _problem(skus_df: pd.DataFrame, **kw: Any) -> Problem:
    skus = Skus.from_frame(skus_df, source=SKU_SRC)
    sups = Suppliers.from_frame(suppliers_frame(), source=SUP_SRC)
    camp = Campaign(
        (Stage("warm-up", 2), Stage("presale", 3), Stage("replenishment", 2), Stage("clearance", 1))
    )
    dem = kw.pop("demand", Demand(np.ones((1, len(skus), 8), dtype=int), np.ones(1)))
    return Problem(camp, skus, sups, dem, **kw)


def test_problem_unknown_supplier_names_row_column_value() -> None:
    df = skus_frame(supplier=["S1", "S9", "S2"])
    input_error(
        lambda: _problem(df),
        "row 2",
        "'supplier'",
        "'S9'",
        "'B'",
        "S1",
        "S2",
        row=2,
        column="supplier",
    )


def test_problem_unknown_supplier_names_the_source() -> None:
    df = skus_frame(supplier=["S1", "S9", "S2"])
    input_error(lambda: _problem(df), SKU_SRC, file=SKU_SRC)


def test_problem_shape_and_round_errors() -> None:
    wrong = Demand(np.ones((1, 3, 7), dtype=int), np.ones(1))
    input_error(lambda: _problem(skus_frame(), demand=wrong), "3 SKUs x 8 days")
    input_error(
        lambda: _problem(skus_frame(), policy=Policy(rounds=(1, 9))), "rounds", "8", column="rounds"
    )
    input_error(
        lambda: _problem(skus_frame(), capacity=np.ones((2, 3))), "capacity", column="capacity"
    )
    neg = np.full((2, 8), -1.0)
    input_error(lambda: _problem(skus_frame(), capacity=neg), "capacity", column="capacity")


def test_policy_errors() -> None:
    input_error(lambda: Policy(lock_ratio=1.5), "lock_ratio", column="lock_ratio")
    input_error(lambda: Policy(capacity_buffer=math.nan), "capacity_buffer")
    input_error(lambda: Policy(shortage="sometimes"), "shortage", "'sometimes'")  # type: ignore[arg-type]
    input_error(lambda: Policy(rounds=(3, 1)), "increasing", column="rounds")
    input_error(lambda: Policy(rounds=()), "rounds")
    input_error(lambda: Policy(storage_capacity=-1.0), "storage_capacity")


def test_demand_direct_errors() -> None:
    input_error(lambda: Demand(-np.ones((1, 1, 2), dtype=int), np.ones(1)), ">= 0")
    input_error(lambda: Demand(np.ones((1, 1, 2), dtype=int), np.array([0.5])), "weights")
    input_error(lambda: Demand(np.ones((1, 2), dtype=int), np.ones(1)), "shape")


# ---- campaign -----------------------------------------------------------------------------------
def test_campaign_total_days_disagreeing_with_stages() -> None:
    assert sum(s.days for s in DEFAULT_STAGES) == 31
    exc = input_error(
        lambda: Campaign.from_mapping({"total_days": 33}, source="campaign.toml"),
        "campaign.toml",
        "33",
        "31",
        column="total_days",
    )
    # every stage length is shown so the planner can see which one is off
    for s in DEFAULT_STAGES:
        assert f"{s.name} {s.days}" in str(exc)


def test_campaign_total_days_with_explicit_stages() -> None:
    stages = [{"name": "warm-up", "days": 2}, {"name": "presale", "days": 3}]
    input_error(lambda: Campaign.from_mapping({"stages": stages, "total_days": 6}), "6", "5")
    camp = Campaign.from_mapping({"stages": stages, "total_days": 5, "start_date": "2026-12-01"})
    assert camp.n_days == 5
    assert camp.stage_start("presale") == 3
    assert camp.date_of(5) == dt.date(2026, 12, 5)


def test_campaign_other_errors() -> None:
    input_error(lambda: Campaign.from_mapping({"total_dayz": 31}), "total_dayz")
    input_error(
        lambda: Campaign.from_mapping({"stages": [{"name": "a", "days": 0}]}),
        "stage 1",
        column="stages",
    )
    input_error(lambda: Campaign.from_mapping({"stages": [{"name": "a"}]}), "'days'")
    input_error(
        lambda: Campaign.from_mapping({"start_date": "12/01/2026"}), "start_date", "12/01/2026"
    )
    input_error(lambda: Campaign((Stage("a", 1), Stage("a", 2))), "unique")
    input_error(lambda: Stage("x", 1.5), "whole")  # type: ignore[arg-type]
    input_error(lambda: Campaign().stage_of(32), "31")
