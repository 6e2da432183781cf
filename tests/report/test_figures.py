"""Every figure renders to a valid PNG from plain tables; the collected tables are right."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.report import figures as fg
from presale_supply.report.collect import (
    BAND_LEVELS,
    POLICY_COLUMNS,
    balance_payment_day,
    demand_bands_from_daily_quantiles,
    demand_bands_from_paths,
    demand_bands_from_problem,
    plan_table,
    validate_policy_table,
)

from .conftest import assert_png

STAGES = {"warm-up": 1, "presale": 8, "replenishment": 22, "clearance": 29}


def _png(fig: Any) -> bytes:
    data = fg.figure_to_png(fig)
    assert_png(data)
    return data


def test_demand_fan_chart(small_plan: Any) -> None:
    bands = demand_bands_from_problem(small_plan.problem)
    # widen the (deterministic) bands so the fills are drawn
    for lv in BAND_LEVELS:
        bands[f"q{lv:g}"] = bands["q0.5"] * (0.6 + 0.8 * lv)
    ref = bands[["category", "day"]].assign(units=bands["mean"])
    _png(fg.demand_fan_chart(bands, ref, STAGES))


def test_demand_fan_chart_one_category_median_only() -> None:
    bands = pd.DataFrame({"category": "home", "day": np.arange(1, 11), "q0.5": np.arange(10.0)})
    _png(fg.demand_fan_chart(bands))


def test_order_rounds_chart(small_plan: Any) -> None:
    _png(fg.order_rounds_chart(plan_table(small_plan, "orders")))


def test_order_rounds_chart_without_orders() -> None:
    empty = pd.DataFrame({"supplier": [], "round": [], "quantity": []})
    fg.figure_to_png(fg.order_rounds_chart(empty))  # a message instead of bars; still a PNG


def test_inventory_chart(small_plan: Any) -> None:
    p = small_plan.problem
    cats = dict(zip(p.skus.ids, p.skus.category, strict=True))
    _png(fg.inventory_chart(plan_table(small_plan, "inventory"), STAGES, cats))


def test_inventory_chart_minimal_columns() -> None:
    inv = pd.DataFrame({"day": np.arange(1, 8), "on_hand": [5, 4, 9, 8, 3, 2, 0]})
    _png(fg.inventory_chart(inv))


def test_capacity_heatmap(small_plan: Any) -> None:
    _png(fg.capacity_heatmap(plan_table(small_plan, "capacity"), 0.85))


def test_capacity_heatmap_marks_cells_above_the_limit() -> None:
    cap = pd.DataFrame(
        {
            "supplier": ["A"] * 4 + ["B"] * 4,
            "day": [-1, 0, 1, 2] * 2,
            "utilisation": [0.2, 0.85, 0.9, 0.0, 1.0, 0.5, 0.3, 0.99],
            "capacity": [100.0] * 8,
            "limit": [85.0] * 4 + [100.0] * 4,
        }
    )
    fig = fg.capacity_heatmap(cap)
    ax = fig.axes[0]
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["100%", "90%", "99%"]  # cells above 85% are labelled
    assert len(ax.patches) == 4  # ... and outlined, with the one at 85%
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B *"]
    _png(fig)


def test_sla_hourly_chart(small_sla: Any) -> None:
    assert {"hour", "orders", "rate", "rate_with_stock"} <= set(small_sla.hourly.columns)
    _png(fg.sla_hourly_chart(small_sla.hourly))


def test_policy_comparison_chart(policy_frame: pd.DataFrame) -> None:
    _png(fg.policy_comparison_chart(validate_policy_table(policy_frame)))


def test_figures_name_missing_columns() -> None:
    with pytest.raises(InputError, match="missing"):
        fg.order_rounds_chart(pd.DataFrame({"supplier": ["a"]}))
    with pytest.raises(InputError, match="regret"):
        validate_policy_table(pd.DataFrame({"policy": ["a"]}))
    with pytest.raises(InputError, match="no rows"):
        validate_policy_table(pd.DataFrame(columns=list(POLICY_COLUMNS)))


def test_policy_table_rejects_text_in_numbers(policy_frame: pd.DataFrame) -> None:
    bad = policy_frame.astype(object)
    bad.loc[1, "fill_rate"] = "high"
    with pytest.raises(InputError, match=r"row 2, column 'fill_rate'.*'high'"):
        validate_policy_table(bad)


# ---- collected tables -----------------------------------------------------------------------
def test_bands_from_paths_are_quantiles_of_category_totals() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for s in range(400):
        for sku in ("a1", "a2", "b1"):
            for d in range(3):
                rows.append((s, sku, f"2026-12-0{d + 1}", int(rng.poisson(10 * (d + 1)))))
    paths = pd.DataFrame(rows, columns=["scenario", "unique_id", "ds", "units"])
    cats = {"a1": "A", "a2": "A", "b1": "B"}
    bands = demand_bands_from_paths(paths, cats)
    assert list(bands["category"].unique()) == ["A", "B"]
    assert bands["day"].tolist() == [1, 2, 3, 1, 2, 3]
    tot = paths.loc[paths["unique_id"] != "b1"].groupby(["scenario", "ds"])["units"].sum()
    day3 = tot.xs("2026-12-03", level="ds")
    row = bands.loc[(bands["category"] == "A") & (bands["day"] == 3)].iloc[0]
    assert row["q0.5"] == pytest.approx(day3.quantile(0.5))
    assert row["q0.1"] <= row["q0.25"] <= row["q0.5"] <= row["q0.75"] <= row["q0.9"]
    with pytest.raises(InputError, match="category"):
        demand_bands_from_paths(paths, {"a1": "A"})


def test_bands_from_daily_quantiles_normal_approximation() -> None:
    daily = pd.DataFrame(
        {
            "unique_id": ["a1", "a2"] * 2,
            "ds": ["2026-12-01"] * 2 + ["2026-12-02"] * 2,
            "mean": [100.0, 100.0, 50.0, 0.0],
            "q0.1": [80, 80, 40, 0],
            "q0.5": [100, 100, 50, 0],
            "q0.9": [120, 120, 60, 0],
        }
    )
    bands = demand_bands_from_daily_quantiles(daily, {"a1": "A", "a2": "A"}, None)
    d1 = bands.iloc[0]
    assert d1["mean"] == pytest.approx(200.0)
    # two independent SKUs of sd 20/1.2816 each: the total's 10-90% half-width is 20*sqrt(2)
    assert d1["q0.9"] - d1["mean"] == pytest.approx(20 * np.sqrt(2), rel=1e-6)
    assert bands.iloc[1]["q0.5"] == pytest.approx(50.0)
    with pytest.raises(InputError, match="symmetric pair"):
        demand_bands_from_daily_quantiles(daily[["unique_id", "ds", "mean"]], {"a1": "A"})


def test_bands_from_scenarios_are_weighted(small_example: Any) -> None:
    from presale_supply.data import Demand, Problem

    p = small_example.to_problem()
    u = np.stack([p.demand.units[0], 2 * p.demand.units[0], 3 * p.demand.units[0]])
    prob = Problem(p.campaign, p.skus, p.suppliers, Demand(u, np.array([0.1, 0.8, 0.1])))
    bands = demand_bands_from_problem(prob)
    single = demand_bands_from_problem(p)
    assert np.allclose(bands["q0.5"], 2 * single["q0.5"])
    assert np.allclose(bands["mean"], 2 * single["mean"])
    assert (bands["q0.1"] <= bands["q0.9"]).all()


def test_balance_payment_day(small_example: Any) -> None:
    assert balance_payment_day(small_example.campaign) == 21  # last presale day

    class NoPresale:
        stages = ()

        def stage_starts(self) -> dict[str, int]:
            return {"a": 1}

    assert balance_payment_day(NoPresale(), np.array([1.0, 5.0, 2.0])) == 2
