"""``examples/compare_policies.py --small`` runs and prints the policy table."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "compare_policies.py"


def test_compare_policies_example(capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(SCRIPT), run_name="example_compare_policies")["main"]
    assert main(["--small"]) == 0
    out = capsys.readouterr().out
    assert "two-stage plan: OPTIMAL" in out or "two-stage plan: FEASIBLE" in out
    for pol in ("up_front", "fixed_lock", "deterministic_lock", "stochastic_lock", "perfect_"):
        assert out.count(pol) >= 2, pol  # one campaign's line and the table's row
    assert "stochastic lock cheaper than fixed_lock in" in out
