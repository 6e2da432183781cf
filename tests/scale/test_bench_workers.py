"""The solver benchmark with ``--workers``: cells run concurrently on a process pool, and the
rows come back complete and in the sequential order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.solvers.run import main


def test_bench_cells_run_on_a_process_pool(tmp_path: Path) -> None:
    out = tmp_path / "res"
    configs = "cpsat/aggregate,cbc/aggregate"
    argv = ["--instances", "campaign:20", "--configs", configs, "--threads", "1"]
    argv += ["--time-limit", "60", "--no-plot", "--workers", "2", "--out", str(out)]
    assert main(argv) == 0
    data = json.loads(out.with_suffix(".json").read_text())
    rows = data["rows"]
    assert [(r["instance"], r["backend"]) for r in rows] == [
        ("campaign:20", "cpsat"),
        ("campaign:20", "cbc"),
    ]
    assert data["args"]["workers"] == 2
    assert all(r["status"] in ("OPTIMAL", "FEASIBLE") for r in rows)
    # both backends reach the same optimum (to the solvers' default gap of 1e-6)
    assert rows[0]["objective"] == pytest.approx(rows[1]["objective"], rel=2e-6)
    md = out.with_suffix(".md").read_text()
    assert "time ratio" in md and "Cells ran 2 at a time" in md


def test_bench_workers_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--instances", "campaign:20", "--workers", "0", "--out", str(tmp_path / "x")])
    assert "--workers must be >= 1" in capsys.readouterr().err
