"""Fixtures of the forecaster tests: small synthetic panels and the shared real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def make_history(
    n_smooth: int = 2,
    n_intermittent: int = 2,
    days: int = 84,
    seed: int = 0,
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """Daily ``unique_id, ds, y``: smooth Poisson series with a weekly pattern, and sparse ones."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=days, freq="D")
    week = 1.0 + 0.4 * np.sin(2 * np.pi * np.arange(days) / 7)
    frames = []
    for i in range(n_smooth):
        y = rng.poisson(20 * (i + 1) * week)
        frames.append(pd.DataFrame({"unique_id": f"S{i}", "ds": ds, "y": y}))
    for i in range(n_intermittent):
        y = rng.poisson(3.0, days) * (rng.random(days) < 0.25)
        frames.append(pd.DataFrame({"unique_id": f"I{i}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def synth() -> Callable[..., pd.DataFrame]:
    """The synthetic history generator :func:`make_history`."""
    return make_history


@pytest.fixture
def history() -> pd.DataFrame:
    """Four daily series, 84 days."""
    return make_history()


@pytest.fixture
def retail() -> Callable[[int], pd.DataFrame]:
    """Loader of the first ``n`` Online Retail SKUs, or skip when ../shared/data is absent."""
    d = SHARED / "retail"
    if not (d / "online_retail_daily_top100.csv").is_file():
        pytest.skip(f"shared retail data not found at {d} (needs ../shared/data)")
    return lambda n: load_retail(d, n)


@pytest.fixture
def carparts_file() -> Path:
    """The shared carparts file, or skip."""
    f = SHARED / "retail" / "carparts.csv"
    if not f.is_file():
        pytest.skip(f"shared carparts data not found at {f} (needs ../shared/data)")
    return f


def load_retail(d: Path, n_skus: int) -> pd.DataFrame:
    """The first ``n_skus`` Online Retail SKUs as ``unique_id, ds, y``."""
    df = pd.read_csv(d / "online_retail_daily_top100.csv", dtype={"sku": str})
    df = df.rename(columns={"sku": "unique_id", "units": "y"})
    keep = df["unique_id"].drop_duplicates().iloc[:n_skus]
    df = df[df["unique_id"].isin(keep)]
    df["ds"] = pd.to_datetime(df["ds"])
    return df[["unique_id", "ds", "y"]].reset_index(drop=True)
