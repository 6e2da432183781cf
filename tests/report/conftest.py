"""Shared fixtures of the report tests: one small example campaign, planned once."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from presale_supply.datasets import ExampleParams, example_campaign

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(data: bytes, min_bytes: int = 5_000) -> tuple[int, int]:
    """Check PNG magic, a non-trivial size and that Pillow can decode it; return (w, h)."""
    from PIL import Image

    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes
    with Image.open(io.BytesIO(data)) as im:
        im.verify()
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert im.format == "PNG"
        w, h = im.size
    assert w > 300 and h > 150
    return w, h


@pytest.fixture(scope="session")
def small_example() -> Any:
    """The example campaign with 20 SKUs."""
    return example_campaign(0, ExampleParams(n_skus=20))


@pytest.fixture(scope="session")
def small_plan(small_example: Any) -> Any:
    """A plan of the 20-SKU example (a short solve: the report needs any feasible plan)."""
    from presale_supply.replenishment.solve import solve

    result = solve(small_example.to_problem(), time_limit=2.0, threads=1)
    assert result.status.has_solution
    return result


@pytest.fixture(scope="session")
def small_sla(small_plan: Any) -> Any:
    """The SLA spike (4,000 orders) with the small plan's stock."""
    from presale_supply.report.collect import plan_table, sla_by_hour

    p = small_plan.problem
    return sla_by_hour(
        p.campaign,
        plan_orders=plan_table(small_plan, "orders"),
        inventory=plan_table(small_plan, "inventory"),
        initial_stock=pd.Series(p.skus.initial_stock, index=list(p.skus.ids)),
        n_orders=4_000,
    )


@pytest.fixture
def policy_frame() -> pd.DataFrame:
    """A policy comparison table as the stochastic simulation would write it."""
    return pd.DataFrame(
        {
            "policy": ["MILP plan", "newsvendor", "lock only"],
            "expected_cost": [1.20e6, 1.31e6, 1.52e6],
            "cost_ci_low": [1.15e6, 1.22e6, 1.41e6],
            "cost_ci_high": [1.25e6, 1.39e6, 1.60e6],
            "fill_rate": [0.97, 0.95, 0.85],
            "sell_through": [0.81, 0.76, 0.90],
            "cleared_last_3_days": [0.05, 0.08, 0.01],
            "peak_capacity_use": [0.85, 0.92, 0.61],
            "regret": [0.0, 1.1e5, 3.2e5],
        }
    )
