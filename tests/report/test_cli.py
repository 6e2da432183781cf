"""``presale-supply report``: the example end to end, a campaign folder, and clear errors."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from presale_supply.cli import main
from presale_supply.io import write_problem_dir

from .conftest import assert_png

IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _pngs(path: Path) -> list[bytes]:
    return [base64.b64decode(b) for b in IMG.findall(path.read_text(encoding="utf-8"))]


def test_example_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy_frame: pd.DataFrame
) -> None:
    pol = tmp_path / "policies.csv"
    policy_frame.to_csv(pol, index=False)
    out = tmp_path / "out" / "report.html"
    rc = main(
        [
            "report",
            "--example",
            "--example-skus",
            "20",
            "--time-limit",
            "2",
            "--policy-table",
            str(pol),
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.strip() == str(out)
    pngs = _pngs(out)
    assert len(pngs) == 6
    for png in pngs:
        assert_png(png)
    html = out.read_text(encoding="utf-8")
    # the forecast either made it in time or the report says it did not
    assert "demand forecast of the example campaign" in html or "No forecast in the fan" in html
    assert "report: planning 20 SKUs" in captured.err


def _campaign_and_forecast(tmp_path: Path, ex: Any) -> tuple[Path, pd.DataFrame]:
    """The example written as a campaign folder, and a daily quantile forecast of its SKUs."""
    d = tmp_path / "campaign"
    write_problem_dir(d, ex.campaign, ex.skus, ex.suppliers, ex.demand)
    dem = ex.demand
    fc = pd.DataFrame(
        {
            "unique_id": dem["sku"],
            "ds": [str(ex.campaign.date_of(int(t))) for t in dem["day"]],
            "mean": dem["units"] * 1.1,
            "q0.1": (dem["units"] * 0.8).round(),
            "q0.5": (dem["units"] * 1.1).round(),
            "q0.9": (dem["units"] * 1.4).round(),
        }
    )
    return d, fc


def test_folder_report_with_forecast_csv(
    tmp_path: Path, small_example: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    d, fc = _campaign_and_forecast(tmp_path, small_example)
    fc_path = tmp_path / "forecast.csv"
    fc.to_csv(fc_path, index=False)
    out = tmp_path / "r.html"
    args = ["report", str(d), "--out", str(out), "--time-limit", "2", "--quiet", "--no-sla"]
    rc = main([*args, "--forecast", str(fc_path)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.err == ""
    assert captured.out.strip() == str(out)
    assert len(_pngs(out)) == 4
    html = out.read_text(encoding="utf-8")
    assert "normal approximation" in html
    assert "No SLA check run." in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/no-such-folder"], "no-such-folder: not a folder"),
        (["{tmp}/no-such-folder", "--example"], "either a campaign folder DIR or --example"),
        ([], "either a campaign folder DIR or --example"),
        (["--example", "--policy-table", "{tmp}/missing.csv"], "missing.csv: file not found"),
        (["--example", "--time-limit", "0"], "--time-limit must be > 0"),
        (["{tmp}"], "missing file(s) ['campaign.toml'"),
        (["--example", "--forecast", "{tmp}/f.csv"], "--forecast is for a campaign folder"),
        (["--example", "--example-skus", "0"], "--example-skus must be >= 1"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "r.html"
    argv = ["report", *[a.format(tmp=tmp_path) for a in args], "--out", str(out)]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("presale-supply: error: ")
    assert message in err
    assert not out.exists()


def test_out_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["report", "--example", "--out", str(tmp_path)])
    assert rc == 2
    assert "is a folder; --out takes a file name" in capsys.readouterr().err


def test_forecast_of_other_skus_fails_before_solving(
    tmp_path: Path,
    small_example: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forecast with SKUs the campaign does not have is refused up front (no solve), naming
    the file and those SKUs."""
    import presale_supply.report.pipeline as pipeline

    def no_solve(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("solved before checking the forecast")

    monkeypatch.setattr(pipeline, "problem_report", no_solve)
    d, fc = _campaign_and_forecast(tmp_path, small_example)
    other = sorted(set(fc["unique_id"]))[:3]
    fc["unique_id"] = fc["unique_id"].where(
        ~fc["unique_id"].isin(other), "OTHER-" + fc["unique_id"]
    )
    fc_path = tmp_path / "fc" / "my_forecast.csv"
    fc_path.parent.mkdir()
    fc.to_csv(fc_path, index=False)
    out = tmp_path / "r.html"
    rc = main(["report", str(d), "--out", str(out), "--quiet", "--forecast", str(fc_path)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"file {fc_path}" in err and "column 'unique_id'" in err
    assert "3 SKU(s) in the forecast are not in the campaign" in err
    assert all(f"'OTHER-{s}'" in err for s in other)
    assert not out.exists()
    fc.drop(columns=["unique_id"]).to_csv(fc_path, index=False)
    rc = main(["report", str(d), "--out", str(out), "--quiet", "--forecast", str(fc_path)])
    assert rc == 2 and "has no 'unique_id' column" in capsys.readouterr().err
