"""The HTML report: one embedded PNG per figure, tables, no external resources."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.report import FIGURES, build_report, collect_report_data, write_report

from .conftest import assert_png

IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def embedded_pngs(html: str) -> list[bytes]:
    """The decoded PNGs of every ``<img>`` in ``html`` (and check there is no other kind)."""
    assert html.count("<img ") == len(IMG.findall(html))
    return [base64.b64decode(b, validate=True) for b in IMG.findall(html)]


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "@import" not in html and "url(" not in html


def test_full_report_has_every_figure(
    small_plan: Any, small_sla: Any, policy_frame: pd.DataFrame
) -> None:
    html = build_report(small_plan, sla=small_sla, policies=policy_frame, title="Test <campaign>")
    assert_self_contained(html)
    pngs = embedded_pngs(html)
    assert len(pngs) == len(FIGURES) == 6
    for png in pngs:
        assert_png(png)
    for key in FIGURES:
        assert f'<section id="{key}">' in html
    assert "<title>Test &lt;campaign&gt;</title>" in html  # escaped
    assert "Orders per round" in html and "round 1 (lock)" in html
    assert "fill rate" in html and "sell-through" in html
    assert "newsvendor" in html and "regret" in html  # policy table
    assert "No policy comparison run" not in html
    assert "With the plan&#x27;s stock" in html  # the SLA note


def test_report_without_extras_says_so(small_plan: Any) -> None:
    html = build_report(small_plan)
    assert_self_contained(html)
    assert len(embedded_pngs(html)) == 4  # demand, orders, inventory, capacity
    assert "No policy comparison run." in html
    assert "No SLA check run." in html
    assert "no forecast given: the plan&#x27;s own demand" in html


def test_report_with_forecast_table(small_plan: Any) -> None:
    inv = small_plan.inventory if isinstance(small_plan.inventory, pd.DataFrame) else None
    if inv is None:  # a method in a later version of the planner
        inv = small_plan.inventory()
    start = small_plan.problem.campaign.start_date
    daily = pd.DataFrame(
        {
            "unique_id": inv["sku"],
            "ds": [str(start + pd.Timedelta(days=int(d) - 1)) for d in inv["day"]],
            "mean": inv["demand"].astype(float),
            "q0.1": (0.8 * inv["demand"]).round(),
            "q0.9": (1.25 * inv["demand"]).round(),
        }
    )
    data = collect_report_data(small_plan, forecast=daily)
    assert "normal approximation" in data.demand_source
    b = data.demand_bands
    assert (b["q0.1"] < b["q0.5"]).any() and (b["q0.25"] <= b["q0.75"]).all()


def test_report_of_a_failed_solve(small_plan: Any) -> None:
    from dataclasses import replace

    from presale_supply.backends.base import Status

    failed = replace(small_plan, status=Status.INFEASIBLE, objective=None, arrays=None, check=None)
    html = build_report(failed)
    assert len(embedded_pngs(html)) == 1  # only the demand chart
    assert html.count("No plan to show") == 3


def test_write_report(tmp_path: Path, small_plan: Any) -> None:
    out = write_report(small_plan, tmp_path / "sub" / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(InputError, match="is a folder"):
        write_report(small_plan, tmp_path)


def test_bad_policy_table_is_an_input_error(small_plan: Any) -> None:
    with pytest.raises(InputError, match="missing"):
        build_report(small_plan, policies=pd.DataFrame({"policy": ["x"]}))


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_browser() is None, reason="no chromium installed")
def test_report_opens_in_headless_chromium(tmp_path: Path, small_plan: Any) -> None:
    out = write_report(small_plan, tmp_path / "r.html")
    browser = _browser()
    assert browser is not None
    proc = subprocess.run(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("data:image/png;base64,") == 4


def test_forecast_result_paths_are_summed_per_category(small_plan: Any) -> None:
    """A ``ForecastResult``-like object: its sample paths feed the fan chart."""
    p = small_plan.problem
    start = p.campaign.start_date
    rng = np.random.default_rng(1)

    class FakeForecast:
        def sample_paths(self, n_paths: int) -> pd.DataFrame:
            rows = [
                (s, sku, str(start + pd.Timedelta(days=t)), int(rng.poisson(20)))
                for s in range(n_paths)
                for sku in p.skus.ids
                for t in range(p.n_days)
            ]
            return pd.DataFrame(rows, columns=["scenario", "unique_id", "ds", "units"])

    data = collect_report_data(small_plan, forecast=FakeForecast(), n_paths=50)
    assert data.demand_source.startswith("demand forecast: 50 sample paths")
    b = data.demand_bands
    assert sorted(b["category"].unique()) == sorted(set(p.skus.category))
    assert len(b) == len(set(p.skus.category)) * p.n_days
    assert (b["q0.1"] < b["q0.9"]).all()
