"""Campaign folder I/O and the planner CLI: errors name file, row, column and value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from presale_supply.campaign import Campaign, Stage
from presale_supply.cli import main
from presale_supply.data import Policy
from presale_supply.exceptions import InputError
from presale_supply.io import read_problem_dir, write_problem_dir

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _folder(tmp_path: Path, **overrides: pd.DataFrame) -> Path:
    campaign = Campaign((Stage("warm-up", 2), Stage("presale", 3), Stage("clearance", 1)))
    skus = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "category": ["apparel", "beauty"],
            "supplier": ["S1", "S1"],
            "unit_cost": [10.0, 4.0],
            "holding_cost": [0.1, 0.1],
            "clearance_price": [2.0, 1.0],
        }
    )
    suppliers = pd.DataFrame(
        {"supplier": ["S1"], "capacity_per_day": [100.0], "lead_time_days": [1]}
    )
    demand = pd.DataFrame({"sku": ["A", "A", "B"], "day": [3, 4, 4], "units": [10, 20, 5]})
    frames = {"skus": skus, "suppliers": suppliers, "demand": demand, **overrides}
    write_problem_dir(
        tmp_path, campaign, frames["skus"], frames["suppliers"], frames["demand"], Policy()
    )
    return tmp_path


def test_round_trip(tmp_path: Path) -> None:
    p = read_problem_dir(_folder(tmp_path))
    assert p.n_days == 6
    assert p.skus.ids == ("A", "B")
    assert p.demand.units[0, 0, 2] == 10
    # default rounds: lock = presale start (3) - max lead (1) = 2, then the presale start 3
    # (no round at the start of the last stage)
    assert p.rounds == (2, 3)


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "expect"),
    [
        ("skus", 2, "unit_cost", "-4", "must be >= 0"),
        ("skus", 1, "unit_cost", "ten", "not a finite number"),
        ("skus", 2, "sku", "A", "duplicate sku"),
        ("skus", 2, "supplier", "S9", "unknown supplier"),
        ("demand", 3, "sku", "Z", "unknown sku"),
        ("demand", 1, "day", "9", "must be <= 6"),
        ("demand", 2, "units", "2.5", "whole number"),
        ("suppliers", 1, "lead_time_days", "-1", "must be >= 0"),
    ],
)
def test_bad_cell_is_named(
    tmp_path: Path, table: str, row: int, column: str, value: str, expect: str
) -> None:
    d = _folder(tmp_path)
    path = d / f"{table}.csv"
    df = pd.read_csv(path, dtype=str)
    df.loc[row - 1, column] = value
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        read_problem_dir(d)
    msg = str(info.value)
    assert f"{table}.csv" in msg
    assert f"row {row}" in msg
    assert repr(column) in msg
    assert expect in msg


def test_missing_column_and_empty_cell(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    df = pd.read_csv(d / "suppliers.csv").drop(columns=["capacity_per_day"])
    df.to_csv(d / "suppliers.csv", index=False)
    with pytest.raises(InputError, match=r"suppliers\.csv.*capacity_per_day"):
        read_problem_dir(d)
    d2 = _folder(tmp_path / "b")
    df = pd.read_csv(d2 / "skus.csv")
    df.loc[0, "holding_cost"] = None
    df.to_csv(d2 / "skus.csv", index=False)
    with pytest.raises(InputError, match=r"row 1.*holding_cost.*empty"):
        read_problem_dir(d2)


def test_stated_total_disagreeing_with_stages(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    toml = (d / "campaign.toml").read_text().replace("total_days = 6", "total_days = 33")
    (d / "campaign.toml").write_text(toml)
    with pytest.raises(InputError) as info:
        read_problem_dir(d)
    assert "33" in str(info.value) and "6 days" in str(info.value)


def test_cli_plan_writes_outputs_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _folder(tmp_path / "c")
    out = tmp_path / "out"
    code = main(["plan", str(d), "--out", str(out), "--time-limit", "20", "--quiet", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "OPTIMAL"
    for name in ("orders.csv", "inventory.csv", "capacity.csv", "production.csv", "summary.json"):
        assert (out / name).is_file()
    orders = pd.read_csv(out / "orders.csv")
    assert list(orders.columns) == [
        "sku",
        "supplier",
        "round",
        "order_day",
        "arrival_day",
        "quantity",
        "packs",
    ]
    # bad input: exit 2 with a message naming the file, no traceback
    (d / "demand.csv").write_text("sku,day,units\nA,1,-3\n")
    assert main(["plan", str(d), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "demand.csv" in err and "Traceback" not in err


def test_cli_infeasible_lock_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sup = pd.DataFrame({"supplier": ["S1"], "capacity_per_day": [5.0], "lead_time_days": [1]})
    d = _folder(tmp_path, suppliers=sup)
    assert main(["plan", str(d), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "INFEASIBLE" in out and "Supplier S1" in out and "lock" in out


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent (not in a user's clone)")
def test_cli_lotsizing_json_stdout_is_clean() -> None:
    f = DATA / "lotsizing" / "trigeiro" / "G30.DAT"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "presale_supply.cli",
            "lotsizing",
            str(f),
            "--unit-times",
            "--solver",
            "pulp-highs",
            "--json",
            "--time-limit",
            "60",
            "--log",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # the HiGHS banner and log must not reach stdout
    assert out["status"] == "OPTIMAL"
    assert abs(out["objective"] - 37721) < 1e-6
    assert out["solver"] == "pulp-highs" and out["solved_by"].startswith("pulp-highs (")


def test_every_policy_key_round_trips_through_campaign_toml(tmp_path: Path) -> None:
    """Each documented [policy] key is read (none is refused as unknown) and written back."""
    import dataclasses as dc

    from presale_supply.data import Policy, Shortage
    from presale_supply.datasets import ExampleParams, example_campaign
    from presale_supply.io import read_problem_dir, write_problem_dir

    ex = example_campaign(0, ExampleParams(n_skus=5))
    policy = Policy(
        rounds=(1, 8),
        lock_ratio=0.25,
        capacity_buffer=0.1,
        shortage=Shortage.BACKLOG,
        storage_capacity=1000.0,
        budget=5e5,
        lock_net_of_stock=True,
        sell_through_target=0.7,
        integer_quantities=False,
    )
    assert {f.name for f in dc.fields(Policy)} == {
        "rounds", "lock_ratio", "capacity_buffer", "shortage", "storage_capacity", "budget",
        "lock_net_of_stock", "sell_through_target", "integer_quantities",
    }  # fmt: skip
    write_problem_dir(tmp_path / "c", ex.campaign, ex.skus, ex.suppliers, ex.demand, policy)
    assert read_problem_dir(tmp_path / "c").policy == policy
