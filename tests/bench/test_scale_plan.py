"""Fast tier of the scale benchmark (the full run is `make bench-scale`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from benchmarks import scale_plan
from benchmarks.scale_plan import exponents, scale_campaign


def test_scale_campaign_is_seeded_blockwise_and_sized() -> None:
    p = scale_campaign(600, block=300)
    assert len(p.skus) == 600 and p.n_days == 31
    assert len(p.suppliers) == 24  # 300 SKUs / 25 per supplier = 12 per block
    assert len(set(p.skus.ids)) == 600
    # every SKU's supplier is in its own block
    pairs = zip(p.skus.ids, p.skus.supplier, strict=True)
    assert all(s.split("-")[0] == k.split("-")[0] for k, s in pairs)
    counts = np.bincount(p.sku_supplier, minlength=len(p.suppliers))
    assert counts.min() > 0 and counts.mean() == pytest.approx(25.0)
    again = scale_campaign(600, block=300)
    np.testing.assert_array_equal(p.demand.units, again.demand.units)
    other = scale_campaign(600, block=300, seed=1)
    assert not np.array_equal(p.demand.units, other.demand.units)


def test_growth_exponent_is_the_log_log_slope() -> None:
    runs = [
        {"kind": "solve", "mode": "single", "skus": n, "solve_s": 0.02 * n} for n in (10, 100)
    ] + [{"kind": "solve", "mode": "pool", "skus": n, "solve_s": 1e-4 * n**2} for n in (10, 100)]
    b = exponents(runs)
    assert b["single"] == pytest.approx(1.0)
    assert b["pool"] == pytest.approx(2.0)


def test_end_to_end_tiny_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scale_plan, "RESULTS", tmp_path)
    args = ["--sizes", "100", "--modes", "single", "--time-limit", "30", "--gap", "0.01"]
    assert scale_plan.main(args) == 0
    doc = json.loads((tmp_path / "scale_plan.json").read_text())
    (run,) = doc["runs"]
    assert run["status"] in ("OPTIMAL", "FEASIBLE"), run
    assert run["suppliers"] == 4 and run["subproblems"] == 4
    assert run["gap"] <= 0.01 + 1e-9
    assert run["peak_rss_main_mb"] > 0
    assert "| 100 | 4 | single |" in (tmp_path / "scale_plan.md").read_text()


def test_out_folder_keeps_the_published_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--out DIR`` writes there and leaves ``benchmarks/results`` alone; ``--append`` adds to
    the results in that folder."""
    published = tmp_path / "published"
    published.mkdir()
    (published / "scale_plan.json").write_text('{"runs": ["published"]}')
    monkeypatch.setattr(scale_plan, "RESULTS", published)
    out = tmp_path / "out"
    args = ["--sizes", "", "--build-only", "100", "--out", str(out)]
    assert scale_plan.main(args) == 0
    assert scale_plan.main([*args, "--append"]) == 0
    doc = json.loads((out / "scale_plan.json").read_text())
    assert [r["kind"] for r in doc["runs"]] == ["build", "build"]
    assert all("error" not in r for r in doc["runs"]), doc["runs"]
    assert (out / "scale_plan.md").exists()
    assert (published / "scale_plan.json").read_text() == '{"runs": ["published"]}'
    assert not (published / "scale_plan.md").exists()
