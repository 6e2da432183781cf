"""Tests of the embedded synthetic example campaign."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from presale_supply.backends.base import Status
from presale_supply.campaign import DEFAULT_STAGES
from presale_supply.data import SKU_COLUMNS, Policy
from presale_supply.datasets import ExampleCampaign, ExampleParams, example_campaign
from presale_supply.exceptions import InputError
from presale_supply.replenishment.solve import precheck, solve


@pytest.fixture(scope="module")
def ex0() -> ExampleCampaign:
    """The default example (seed 0), generated once for the module."""
    return example_campaign(0)


def _frames(ex: ExampleCampaign) -> dict[str, pd.DataFrame]:
    return {
        "skus": ex.skus,
        "suppliers": ex.suppliers,
        "demand": ex.demand,
        "sku_attributes": ex.sku_attributes,
        "history": ex.history,
        "signals": ex.signals,
    }


def test_same_seed_gives_identical_frames(ex0: ExampleCampaign) -> None:
    again = example_campaign(0)
    for name, df in _frames(ex0).items():
        pd.testing.assert_frame_equal(df, _frames(again)[name], obj=name)


def test_different_seeds_differ(ex0: ExampleCampaign) -> None:
    other = example_campaign(1)
    assert not ex0.demand["units"].equals(other.demand["units"])


def test_shapes_and_category_shares(ex0: ExampleCampaign) -> None:
    assert ex0.campaign.stages == DEFAULT_STAGES
    assert ex0.campaign.n_days == 31
    assert ex0.campaign.start_date == dt.date(2026, 12, 1)
    assert ex0.campaign.stage_of(12) == "presale"
    assert len(ex0.skus) == 200
    assert ex0.skus["sku"].is_unique
    counts = ex0.skus["category"].value_counts().to_dict()
    assert counts == {"apparel": 70, "beauty": 56, "digital": 40, "home": 34}
    assert len(ex0.suppliers) == 8
    per_cat = ex0.suppliers["supplier"].str.rsplit("-", n=1).str[0].value_counts()
    assert (per_cat == 2).all()
    # every SKU's supplier serves its category
    assert (ex0.skus["supplier"].str.rsplit("-", n=1).str[0] == ex0.skus["category"]).all()
    assert ex0.suppliers["lead_time_days"].between(3, 7).all()
    assert ex0.suppliers["capacity_guarantee"].sum() >= 6
    assert len(ex0.demand) == 200 * 31


def test_pushed_lines_live_outside_the_sku_table(ex0: ExampleCampaign) -> None:
    assert set(ex0.skus.columns) - {"sku", "category", "supplier"} <= set(SKU_COLUMNS)
    assert "line" not in ex0.skus.columns
    attrs = ex0.sku_attributes.set_index("sku")
    assert list(attrs.index) == list(ex0.skus["sku"])
    lines = attrs["line"].value_counts().to_dict()
    assert lines == {"core": 150, "black-tech": 30, "guochao": 20}
    assert (attrs.loc[attrs["line"] == "black-tech", "category"] == "digital").all()
    assert (attrs.loc[attrs["line"] == "guochao", "category"] == "apparel").all()
    assert (attrs["pushed"] == (attrs["line"] != "core")).all()


def test_demand_is_whole_non_negative_units(ex0: ExampleCampaign) -> None:
    units = ex0.demand["units"]
    assert pd.api.types.is_integer_dtype(units)
    assert (units >= 0).all()
    assert ex0.demand["day"].between(1, 31).all()
    assert pd.api.types.is_integer_dtype(ex0.history["y"])
    assert (ex0.history["y"] >= 0).all()


def test_demand_peaks_in_presale_with_bumps(ex0: ExampleCampaign) -> None:
    daily = ex0.demand.groupby("day")["units"].sum()
    peak_day = int(daily.idxmax())
    assert 8 <= peak_day <= 21
    assert peak_day >= 18  # balance payment near the end of presale
    assert daily[22] > daily[23] and daily[22] > daily[28]  # member restock
    assert daily[26] > daily[25] and daily[26] > daily[27]  # trade-in
    assert daily[29:31].max() < daily[22:28].min()  # low clearance days
    assert daily[8:21].sum() > 0.5 * daily.sum()


def test_prices_and_costs(ex0: ExampleCampaign) -> None:
    s = ex0.skus
    assert (s["clearance_price"] < s["unit_cost"]).all()
    assert (s["price"] > s["unit_cost"]).all()
    assert (s["shortage_penalty"] > s["price"] - s["unit_cost"]).all()
    assert (s["holding_cost"] < 0.01 * s["unit_cost"]).all()
    assert set(s["pack_size"]) <= {1, 6, 12}
    assert (s["moq"] % s["pack_size"] == 0).all()
    # every SKU starts with about initial_stock_days days of its base demand (covers warm-up)
    assert (s["initial_stock"] > 0).mean() > 0.95


def test_history_and_signals(ex0: ExampleCampaign) -> None:
    h = ex0.history
    assert set(h.columns) == {"unique_id", "ds", "y"}
    assert h["ds"].max() == pd.Timestamp("2026-11-30")
    assert h["ds"].min() <= pd.Timestamp("2025-11-30")
    assert h.groupby("unique_id").size().nunique() == 1
    # last year's campaign peak is visible in the history
    daily = h.groupby("ds")["y"].sum()
    past = daily[pd.Timestamp("2025-12-01") : pd.Timestamp("2025-12-31")]
    assert past.idxmax() == pd.Timestamp("2025-12-21")
    assert past.max() > 3 * daily[pd.Timestamp("2026-10-01") :].mean()
    assert ex0.past_campaign_start == dt.date(2025, 12, 1)
    sig = ex0.signals
    assert set(sig.columns) == {"unique_id", "ds", "deposits", "add_to_cart"}
    current = sig[sig["ds"] >= pd.Timestamp("2026-12-01")]
    assert current["ds"].nunique() == ex0.params.signal_days
    # deposits are about deposit_share of the realised campaign demand, in proportion
    total = ex0.demand.groupby("sku")["units"].sum()
    level = ex0.params.profile()[:21]
    seen = level[: ex0.params.signal_days].sum() / level.sum()
    dep = current.groupby("unique_id")["deposits"].sum().reindex(total.index)
    ratio = dep.sum() / (ex0.params.deposit_share * seen * total.sum())
    assert 0.9 < ratio < 1.1
    assert np.corrcoef(dep, total)[0, 1] > 0.9
    carts = current["add_to_cart"].sum() / current["deposits"].sum()
    assert 3 < carts < 5


@pytest.mark.parametrize("seed", range(5))
def test_lock_fits_the_buffered_capacity(seed: int) -> None:
    problem = example_campaign(seed).to_problem()
    assert problem.rounds == (1, 8, 22)
    assert precheck(problem) == []


def test_to_problem_takes_a_policy(ex0: ExampleCampaign) -> None:
    problem = ex0.to_problem(Policy(lock_ratio=0.2))
    assert problem.policy.lock_ratio == 0.2
    assert int(problem.demand.units.sum()) == int(ex0.demand["units"].sum())


def test_params_are_validated() -> None:
    with pytest.raises(InputError, match="category_shares"):
        ExampleParams(category_shares=(("apparel", 0.5), ("beauty", 0.6)))
    with pytest.raises(InputError, match="lead_times"):
        ExampleParams(lead_times=(3, 4))
    with pytest.raises(InputError, match="noise"):
        ExampleParams(noise="gaussian")


def test_poisson_noise_and_smaller_assortment() -> None:
    ex = example_campaign(3, ExampleParams(n_skus=40, noise="poisson"))
    assert len(ex.skus) == 40
    assert ex.skus["category"].value_counts().to_dict() == {
        "apparel": 14,
        "beauty": 11,
        "digital": 8,
        "home": 7,
    }
    assert precheck(ex.to_problem()) == []


def test_default_plan_solves_and_the_buffer_binds(ex0: ExampleCampaign) -> None:
    problem = ex0.to_problem()
    result = solve(problem, "cpsat", time_limit=20, threads=2)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.check is not None and result.check.ok
    cap = result.capacity
    guaranteed = set(ex0.suppliers.loc[ex0.suppliers["capacity_guarantee"], "supplier"])
    util = cap.loc[cap["supplier"].isin(guaranteed), "utilisation"]
    assert util.max() <= 0.85 + 1e-9
    # the 85% limit binds on peak production days of several suppliers
    binding = cap[cap["supplier"].isin(guaranteed) & (cap["utilisation"] >= 0.84)]
    assert binding["supplier"].nunique() >= 3
    assert result.kpis()["lock_ratio_min"] >= 0.3 - 1e-9
