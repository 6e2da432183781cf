"""Fast tier of the solver comparison suite (the full run is `make bench-solvers`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from benchmarks.solvers.registry import TRIGEIRO, all_names, load, milp_from_mps, select
from benchmarks.solvers.run import main

from presale_supply.backends.base import SolveOptions, get_backend
from presale_supply.lotsizing import LotSizingInstance, lot_sizing_problem
from presale_supply.replenishment.formulation import build_formulation

pytestmark = pytest.mark.skipif(
    not TRIGEIRO.is_dir(), reason=f"{TRIGEIRO} is absent (shared data is not in a user's clone)"
)


def test_registry_lists_every_trigeiro_file_and_campaigns() -> None:
    names = all_names()
    files = sorted(p.stem for p in TRIGEIRO.glob("*.DAT"))
    assert all(f"trigeiro:{f}" in names for f in files)
    assert "trigeiro:G30-unit" in names
    assert {"campaign:200", "campaign:1000", "campaign:5000"} <= set(names)
    assert list(select("trigeiro:G5")) == [
        "trigeiro:G51",
        "trigeiro:G53",
        "trigeiro:G56",
        "trigeiro:G57",
    ]


def test_mps_round_trip_keeps_the_optimum(tmp_path: Path) -> None:
    """Write a lot-sizing model as MPS with PuLP, read it back through PuLP's MPS reader into
    the solver-neutral MILP, and solve both with CP-SAT: same optimum."""
    from presale_supply.backends.pulp import _build

    inst = load("trigeiro:G30-unit")
    assert inst.lot_sizing is not None
    # the first 6 periods of G30 keep the test fast; the optimum is recomputed, not assumed
    small = LotSizingInstance(
        "g30-6",
        inst.lot_sizing.demand[:, :6],
        inst.lot_sizing.capacity[:6],
        inst.lot_sizing.unit_time,
        inst.lot_sizing.holding_cost,
        inst.lot_sizing.setup_time,
        inst.lot_sizing.setup_cost,
        inst.lot_sizing.unit_cost,
    )
    model = build_formulation(lot_sizing_problem(small, unit_times=True)).model
    prob, _ = _build(model)
    path = tmp_path / "g30.mps"
    prob.writeMPS(str(path))
    back = milp_from_mps(path)
    assert back.n_vars == model.n_vars
    opts = SolveOptions(time_limit=60, threads=2)
    a = get_backend("cpsat").solve(model, opts)
    b = get_backend("cpsat").solve(back, opts)
    assert a.status.value == b.status.value == "OPTIMAL"
    # PuLP's MPS writer drops the objective constant (zero for lot sizing)
    assert np.isclose(a.objective, b.objective)


def test_runner_writes_rows_table_and_profile(tmp_path: Path) -> None:
    out = tmp_path / "res"
    code = main(
        [
            "--instances",
            "trigeiro:G30-unit",
            "--backends",
            "cpsat",
            "--formulations",
            "aggregate,aggregate_ls",
            "--time-limit",
            "60",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.with_suffix(".json").read_text())
    rows = data["rows"]
    assert len(rows) == 2
    assert {r["formulation"] for r in rows} == {"aggregate", "aggregate_ls"}
    for r in rows:
        assert r["status"] in ("OPTIMAL", "FEASIBLE")
        assert r["reference"] == 37721
        assert r["variables"] > 0 and r["rows"] > 0
        if r["status"] == "OPTIMAL":
            assert abs(r["objective"] - 37721) <= 1e-6 * 37721
    assert "ortools" in data["machine"]["packages"]
    assert data["baseline"]["trigeiro:G30-unit"]["status"] in ("OPTIMAL", "FEASIBLE")
    md = out.with_suffix(".md").read_text()
    assert "baseline CBC" in md and "time ratio" in md
    assert (tmp_path / "res_profile.png").stat().st_size > 1000


def test_select_exact_names_do_not_pick_longer_ones() -> None:
    from benchmarks.solvers.registry import select

    assert list(select("campaign:20")) == ["campaign:20"]
    assert list(select("campaign:200")) == ["campaign:200"]
    assert list(select("campaign:50,campaign:1000")) == ["campaign:50", "campaign:1000"]
    assert list(select("trigeiro:G21-cont")) == ["trigeiro:G21-cont"]
    assert list(select("trigeiro:G30-unit-cont")) == ["trigeiro:G30-unit-cont"]
    with pytest.raises(SystemExit, match="add -cont"):
        list(select("trigeiro:NOPE-cont"))


def test_summary_counts_each_configuration_against_the_baseline() -> None:
    from benchmarks.solvers.run import summary

    base = {
        "trigeiro:A": {"status": "OPTIMAL", "gap": 0.0, "seconds": 10.0, "gap_to_reference": 0.0},
        "trigeiro:B": {"status": "FEASIBLE", "gap": 0.05, "seconds": 60.0},
        "trigeiro:C": {"status": "FEASIBLE", "gap": 0.02, "seconds": 60.0},
    }
    rows = [
        {"instance": "trigeiro:A", "backend": "x", "formulation": "f", "status": "OPTIMAL",
         "gap": 0.0, "seconds": 2.5, "gap_to_reference": 0.0},
        {"instance": "trigeiro:B", "backend": "x", "formulation": "f", "status": "OPTIMAL",
         "gap": 0.0, "seconds": 15.0, "gap_to_reference": 0.0},
        {"instance": "trigeiro:C", "backend": "x", "formulation": "f", "status": "FEASIBLE",
         "gap": 0.001, "seconds": 60.0},
    ]  # fmt: skip
    lines = summary(rows, base)
    assert "the baseline left 2 open (B, C)" in lines[0]
    row = next(line for line in lines if line.startswith("| `x` / `f`"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # proved 2 of 3; 2 match the reference; geometric mean of 0.25, 0.25, 1 = 0.40;
    # of B and C it closed B and cut C's gap 20-fold; C is left open
    assert cells[1:] == ["2 of 3", "2", "0.40", "1", "2", "C 0.1000%"]
