"""Real data (Olist) reproduces the README figures; the CLI emits clean JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from presale_supply.cli import main
from presale_supply.sla.example import example_network_and_orders, example_summary

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "olist_audit.py"


def _example_module() -> object:
    spec = importlib.util.spec_from_file_location("olist_audit", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.shared_data
def test_olist_figures_and_quality(olist_dir: Path) -> None:
    report = _example_module().run(olist_dir)  # type: ignore[attr-defined]
    stamp = report["audits"]["promised_timestamp"]
    day = report["audits"]["promised_date"]
    assert (stamp["overall"]["late"], stamp["overall"]["decided"]) == (663, 9648)
    assert (day["overall"]["late"], day["overall"]["decided"]) == (574, 9648)
    assert stamp["overall"]["total"] == 10_000
    q = stamp["quality"]
    assert q["missing_origin"] == 111  # orders without items
    assert q["status_delivered_without_delivered_at"] == 1
    assert q["shipped_before_paid"] == 16
    assert q["delivered_before_shipped"] == 5
    assert sum(g["total"] for g in stamp["groups"]) == 10_000


def _write_example(tmp: Path) -> tuple[Path, Path]:
    net, frame = example_network_and_orders(3, 400)
    frame.to_csv(tmp / "orders.csv", index=False)
    (tmp / "net.json").write_text(json.dumps(net.to_dict()))
    return tmp / "orders.csv", tmp / "net.json"


def test_cli_audit_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.DataFrame(
        {
            "order_id": ["a", "b", "b", "c"],
            "paid_at": ["2024-12-12 20:00:00"] * 4,
            "origin": ["A", "A", "A", "B"],
            "destination": ["X", "X", "X", "Y"],
            "delivered_at": ["2024-12-13 20:00:00", "2024-12-15 20:00:00", "", "2024-12-13"],
            "promised_by": ["2024-12-13", "2024-12-14", "2024-12-14", "2024-12-12"],
        }
    )
    frame.to_csv(tmp_path / "o.csv", index=False)
    code = main(
        [
            "sla",
            "audit",
            str(tmp_path / "o.csv"),
            "--promise-hours",
            "48",
            "--group-by",
            "origin,destination",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (out["overall"]["on_time"], out["overall"]["late"], out["overall"]["total"]) == (2, 1, 4)
    assert {
        (g["origin"], g["destination"]): (g["on_time"], g["late"], g["total"])
        for g in out["groups"]
    } == {("A", "X"): (1, 1, 3), ("B", "Y"): (1, 0, 1)}
    assert out["quality"]["duplicate_order_id"] == 2
    code = main(
        [
            "sla",
            "audit",
            str(tmp_path / "o.csv"),
            "--promise-column",
            "promised_by",
            "--promise-granularity",
            "day",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    # a on its date; b a day late; c delivered the day after its promised date
    assert (out["overall"]["on_time"], out["overall"]["late"]) == (1, 2)


def test_cli_bad_input_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "o.csv").write_text("order_id,paid_at,origin,destination\na,soon,A,X\n")
    assert main(["sla", "audit", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "row 1" in err and "'paid_at'" in err and "soon" in err


def test_cli_predict_and_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orders, net = _write_example(tmp_path)
    assert main(["sla", "predict", str(orders), "--network", str(net), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["overall"]["total"] == 400 and 0 <= out["overall"]["rate"] <= 1
    assert (
        main(["sla", "size", str(orders), "--network", str(net), "--target", "0.9", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert {w["warehouse"] for w in out["warehouses"]} == {"WH-East", "WH-North"}


def test_example_summary_mentions_rate_and_capacity() -> None:
    text = example_summary(0, n_orders=2000)
    assert "expected on-time rate" in text and "needs" in text
