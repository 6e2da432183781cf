"""Shared helpers of the SLA tests: tiny hand-made networks and order frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from presale_supply.sla.network import Carrier, Lane, Network, TransitDistribution, Warehouse
from presale_supply.sla.orders import OrderTable

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def make_orders(rows: list[dict[str, object]], tz: str = "UTC") -> OrderTable:
    """Order table from a list of dicts (canonical column names)."""
    return OrderTable.from_frame(pd.DataFrame(rows), tz=tz, source="test.csv")


def one_warehouse_network(
    *,
    capacity: float = 3600.0,
    cutoff: str = "16:00",
    pickups: tuple[str, ...] = ("18:00",),
    transit_hours: float = 10.0,
    open_from: str = "00:00",
    unserved: tuple[str, ...] = (),
) -> Network:
    """WH at origin 'A' serving destinations 'X' and 'Y' with a fixed transit time."""
    lanes = [Lane("A", d, TransitDistribution.fixed(transit_hours)) for d in ("X", "Y")]
    lanes += [Lane("A", d, None) for d in unserved]
    return Network(
        warehouses=(Warehouse("A", capacity, cutoff=cutoff, open_from=open_from),),
        carriers=(Carrier("C", pickups),),
        lanes=tuple(lanes),
        tz="UTC",
    )


@pytest.fixture
def olist_dir() -> Path:
    """The shared Olist folder; skips when it is absent."""
    d = SHARED_DATA / "olist"
    if not (d / "orders.csv").exists():
        pytest.skip(f"shared Olist data not found at {d.resolve()} (../shared/data/olist)")
    return d
