"""Shared helpers of the forecast benchmarks (data location, loaders, statsforecast baselines)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "retail"
RESULTS = ROOT / "benchmarks" / "results"


def require_data() -> Path:
    """Return the retail data folder or exit with a clear message."""
    if not DATA.is_dir():
        raise SystemExit(f"shared data not found at {DATA}; the benchmark needs ../shared/data")
    return DATA


def load_retail() -> pd.DataFrame:
    """Online Retail top-100 SKUs as ``unique_id, ds, y, store_open``."""
    d = pd.read_csv(require_data() / "online_retail_daily_top100.csv", dtype={"sku": str})
    d = d.rename(columns={"sku": "unique_id", "units": "y"})
    d["ds"] = pd.to_datetime(d["ds"])
    return d[["unique_id", "ds", "y", "store_open"]]


def load_carparts() -> pd.DataFrame:
    """carparts as long ``unique_id, ds, y`` (month starts).

    Trailing empty cells (series that end early) are not observations and are not turned into
    rows; an empty cell inside a series would be an error (there are none).
    """
    wide = pd.read_csv(require_data() / "carparts.csv", dtype={"Part": str})
    months = pd.to_datetime(wide.columns[1:], format="%b-%y")
    rows = []
    for _, r in wide.iterrows():
        vals = r.iloc[1:].to_numpy(dtype=float)
        ok = np.flatnonzero(~np.isnan(vals))
        if ok.size == 0:
            continue
        last = ok[-1]
        if np.isnan(vals[: last + 1]).any():
            raise SystemExit(f"carparts series {r['Part']} has an inner gap")
        rows.append(
            pd.DataFrame({"unique_id": r["Part"], "ds": months[: last + 1], "y": vals[: last + 1]})
        )
    return pd.concat(rows, ignore_index=True)


def statsforecast_run(
    train: pd.DataFrame, h: int, models: list[Any], freq: str, level: list[int] | None = None
) -> tuple[pd.DataFrame, float]:
    """Forecast with statsforecast's StatsForecast (same process); returns (frame, seconds).

    statsforecast's own ``fallback_model`` (Naive) covers series a model cannot fit (AutoETS
    raises on very short series).
    """
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    t0 = time.perf_counter()
    sf = StatsForecast(models=models, freq=freq, n_jobs=1, fallback_model=Naive())
    kwargs: dict[str, Any] = {"df": train[["unique_id", "ds", "y"]], "h": h}
    if level:
        kwargs["level"] = level
    out = sf.forecast(**kwargs)
    return out.reset_index(drop="unique_id" not in out.index.names), time.perf_counter() - t0


def write_results(name: str, payload: dict[str, Any], markdown: str) -> None:
    """Write ``benchmarks/results/forecast_<name>.json`` and ``.md``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"forecast_{name}.json").write_text(json.dumps(payload, indent=2, default=float))
    (RESULTS / f"forecast_{name}.md").write_text(markdown)


def md_table(df: pd.DataFrame) -> str:
    """A GitHub markdown table with 3 significant decimals."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.to_numpy()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
