"""The ``forecast`` and ``backtest`` subcommands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from presale_supply.cli import main


def test_forecast_cli_writes_quantile_columns(
    tmp_path: Path, synth: Callable[..., pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    hist = synth(days=56)
    hist.to_csv(tmp_path / "h.csv", index=False)
    out = tmp_path / "f.csv"
    paths = tmp_path / "p.csv"
    code = main(
        [
            "forecast",
            str(tmp_path / "h.csv"),
            "--horizon",
            "5",
            "--quantiles",
            "0.1,0.5,0.9",
            "--out",
            str(out),
            "--paths-out",
            str(paths),
            "--n-paths",
            "3",
            "--calibration-windows",
            "1",
        ]
    )
    assert code == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["unique_id", "ds", "mean", "q0.1", "q0.5", "q0.9"]
    assert len(df) == 4 * 5
    assert len(pd.read_csv(paths)) == 3 * 4 * 5
    assert "forecast 4 series" in capsys.readouterr().err


def test_forecast_cli_bad_input_exit_2(
    tmp_path: Path, synth: Callable[..., pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    hist = synth(days=30)
    hist.loc[7, "y"] = -1
    hist.to_csv(tmp_path / "h.csv", index=False)
    code = main(
        ["forecast", str(tmp_path / "h.csv"), "--horizon", "3", "--out", str(tmp_path / "o.csv")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "h.csv" in err and "row 8" in err and "'y'" in err and "Traceback" not in err
    assert main(["forecast", str(tmp_path / "nope.csv"), "--horizon", "3", "--out", "x"]) == 2


def test_backtest_cli_prints_metrics(
    tmp_path: Path, synth: Callable[..., pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    synth(days=70).to_csv(tmp_path / "h.csv", index=False)
    code = main(
        [
            "backtest",
            str(tmp_path / "h.csv"),
            "--horizon",
            "7",
            "--windows",
            "2",
            "--calibration-windows",
            "2",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    for col in ("wape", "mase", "rmsse", "pinball", "coverage"):
        assert col in text
