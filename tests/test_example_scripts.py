"""Every script in ``examples/`` runs quickly with ``--small`` and prints what it promises.

Not run here: ``examples/forecast_*.py`` (tests/forecast/test_examples.py runs them) and
``examples/compare_policies.py`` (its own test comes with it). ``examples/olist_audit.py``
reads real Olist orders from ``../shared/data/olist``; it is run when that folder is present
and skipped, saying so, when it is not.

(Not named ``test_examples.py``: tests/forecast has no ``__init__.py``, so with pytest's default
import mode a second top-level module ``test_examples`` stops the collection of the suite.)
"""

from __future__ import annotations

import ast
import json
import re
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
OLIST = ROOT.parent / "shared" / "data" / "olist"  # where olist_audit.py looks by default
OWNED_ELSEWHERE = {"compare_policies.py"}  # tested by its author's test
NEEDS_DATA = {"olist_audit.py"}  # tested below, only with the shared data


def _scripts() -> list[Path]:
    """The examples this file runs with ``--small``."""
    return sorted(
        p
        for p in EXAMPLES.glob("*.py")
        if not p.name.startswith("forecast_") and p.name not in OWNED_ELSEWHERE | NEEDS_DATA
    )


SCRIPTS = _scripts()


def _main(path: Path) -> Callable[[list[str] | None], int]:
    """The script's ``main`` (the file is executed, not as ``__main__``)."""
    namespace = runpy.run_path(str(path), run_name=f"example_{path.stem}")
    return namespace["main"]


# ---- what each script must show -----------------------------------------------------------------
def _plan_args(tmp: Path) -> list[str]:
    return [str(tmp / "plan")]


def _check_plan(out: str, tmp: Path) -> None:
    plan = tmp / "plan"
    names = {"orders.csv", "inventory.csv", "capacity.csv", "production.csv", "summary.json"}
    assert names <= {p.name for p in plan.iterdir()}
    summary = json.loads((plan / "summary.json").read_text())
    # the printed status and cost are those of the plan written to disk
    assert re.search(rf"^status\s+{summary['status']}$", out, re.M)
    assert summary["status"] in ("OPTIMAL", "FEASIBLE")
    assert f"total cost  {summary['objective']:,.2f}" in out
    assert re.search(r"^gap\s+\d+\.\d{4}%$", out, re.M)
    assert f"fill rate         {summary['kpis']['fill_rate']:.2%}" in out
    # orders per round: one table row per round that has orders, with its order count
    orders = pd.read_csv(plan / "orders.csv")
    assert len(orders) == summary["kpis"]["orders_placed"] > 0
    section = out.split("== 4. orders per round ==")[1].split("== 5.")[0]
    for rnd, n in orders.groupby("round").size().items():
        assert re.search(rf"^{rnd}\s+\d+\s+\S+\s+{n}\s", section, re.M), (rnd, n, section)
    assert f"plan files in {plan}" in out
    # the two-backend comparison: a row for each backend
    compare = out.split("== 6.")[1]
    for backend in ("cpsat", "highs"):
        assert re.search(rf"^\s*{backend}\s+(OPTIMAL|FEASIBLE)\s", compare, re.M), compare


def _check_audit(out: str, tmp: Path) -> None:
    for section in ("== 1.", "== 2.", "== 3.", "== 4."):
        assert section in out
    rate = re.search(r"expected on-time rate (\d+\.\d+)% over ([\d,]+) promised orders", out)
    assert rate and 0 <= float(rate.group(1)) <= 100
    # a lane x day table with the served lanes and the unserved one marked not eligible
    assert re.search(r"^WH-East->Shanghai\s+\d+\.\d%", out, re.M)
    assert re.search(r"^WH-North->Xinjiang\s+not eligible", out, re.M)
    assert re.search(r"95% needs \d+/h", out)
    audited = re.search(r"on time ([\d,]+) of ([\d,]+) decided .*; late ([\d,]+);", out)
    assert audited
    on_time, decided, late = (int(g.replace(",", "")) for g in audited.groups())
    assert on_time + late == decided
    assert re.search(rf"^{late:,} breaches; by warning reason:", out, re.M)
    assert "rules 1-2" in out and "rules 1-3" in out and "recall" in out


def _bench_args(tmp: Path) -> list[str]:
    return ["--out", str(tmp / "bench")]


def _check_bench(out: str, tmp: Path) -> None:
    bench = tmp / "bench"
    assert "| instance | backend | formulation | status |" in out
    assert f"results written to {bench}/" in out
    rows = pd.read_csv(bench / "solvers.csv")
    assert set(rows["backend"]) == {"cpsat", "highs"}
    assert rows["instance"].nunique() == 2
    assert set(rows["status"]) <= {"OPTIMAL", "FEASIBLE"}
    for _, r in rows.iterrows():  # every run is a row of the printed table
        assert f"| {r['instance']} | {r['backend']} | {r['formulation']} | {r['status']} |" in out
    meta = json.loads((bench / "solvers.json").read_text())
    assert meta["machine"]["packages"]["ortools"] != "not installed"
    assert (bench / "solvers.md").read_text().startswith("# Solver comparison")


EXTRA_ARGS: dict[str, Callable[[Path], list[str]]] = {
    "plan_campaign.py": _plan_args,
    "benchmark_solvers.py": _bench_args,
}
CHECKS: dict[str, Callable[[str, Path], None]] = {
    "plan_campaign.py": _check_plan,
    "audit_deliveries.py": _check_audit,
    "benchmark_solvers.py": _check_bench,
}


# ---- tests --------------------------------------------------------------------------------------
def test_the_examples_are_there() -> None:
    assert set(CHECKS) <= {p.name for p in SCRIPTS}


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs_small(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--small", *EXTRA_ARGS.get(path.name, lambda _tmp: [])(tmp_path)]
    assert _main(path)(argv) == 0
    out = capsys.readouterr().out
    assert out.strip(), f"{path.name} printed nothing"
    check = CHECKS.get(path.name)
    if check is not None:
        check(out, tmp_path)


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_is_documented(path: Path) -> None:
    """A module docstring saying how to run it, ``main(argv)`` and a ``__main__`` guard."""
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree)
    assert doc and f"examples/{path.name}" in doc and "--small" in doc
    mains = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    assert mains and [a.arg for a in mains[0].args.args] == ["argv"]
    assert 'if __name__ == "__main__":' in path.read_text()


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs_as_a_script(path: Path, tmp_path: Path) -> None:
    """``python examples/X.py --help`` from another folder: the imports resolve."""
    proc = subprocess.run(
        [sys.executable, str(path), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--small" in proc.stdout


def test_benchmark_example_never_writes_into_results(capsys: pytest.CaptureFixture[str]) -> None:
    results = ROOT / "benchmarks" / "results"
    target = results / "from-the-example"
    main = _main(EXAMPLES / "benchmark_solvers.py")
    assert main(["--small", "--out", str(target)]) == 2
    assert not target.exists()
    assert "refusing to write" in capsys.readouterr().err


@pytest.mark.shared_data
@pytest.mark.skipif(
    not (OLIST / "orders.csv").exists(),
    reason=f"{OLIST} is absent (the real Olist data is not part of a user's clone)",
)
def test_olist_audit_runs_on_the_shared_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(EXAMPLES / "olist_audit.py")([]) == 0
    out = capsys.readouterr().out
    n = len(pd.read_csv(OLIST / "orders.csv", usecols=["order_id"]))
    assert out.startswith(f"{n} orders read from {OLIST.resolve()}")
    for audit in ("promised_timestamp", "promised_date", "within_48h"):
        assert re.search(rf"{audit}: late\s+\d+ of\s+\d+ decided .*on-time rate \d+\.\d+%", out)
    assert "data quality (rows flagged, all kept):" in out


def test_olist_audit_says_when_the_data_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(EXAMPLES / "olist_audit.py")(["--data-dir", str(tmp_path)]) == 2
    assert f"olist data not found in {tmp_path}" in capsys.readouterr().err
