"""Bad input gets a clear error naming file, row, column and value, or a documented repair."""

from __future__ import annotations

import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.forecast import ForecastParams, GapPolicy, forecast
from presale_supply.forecast.data import Freq, validate_history, validate_signals


def _hist() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ["A"] * 5 + ["B"] * 5,
            "ds": list(pd.date_range("2024-01-01", periods=5).astype(str)) * 2,
            "y": [1, 2, 3, 4, 5, 0, 0, 2, 0, 1],
        }
    )


def test_unsorted_rows_are_sorted_and_reported() -> None:
    df = _hist().iloc[::-1].reset_index(drop=True)
    panel = validate_history(df, "h.csv")
    assert panel.ids == ("B", "A")  # order of first appearance
    assert list(panel.values[1]) == [1, 2, 3, 4, 5]
    assert any("sorted" in n for n in panel.notes)


def test_duplicate_row_names_both_rows() -> None:
    df = pd.concat([_hist(), _hist().iloc[[2]]], ignore_index=True)
    with pytest.raises(InputError) as err:
        validate_history(df, "h.csv")
    e = err.value
    assert e.file == "h.csv" and e.row == 11 and e.column == "ds"
    assert "rows 3 and 11" in str(e)


def test_negative_demand_names_row_column_value() -> None:
    df = _hist()
    df.loc[6, "y"] = -3
    with pytest.raises(InputError) as err:
        validate_history(df, "h.csv")
    e = err.value
    assert (e.file, e.row, e.column) == ("h.csv", 7, "y")
    assert "-3" in str(e)


def test_gap_is_an_error_by_default() -> None:
    df = _hist().drop(index=2).reset_index(drop=True)
    with pytest.raises(InputError) as err:
        validate_history(df, "h.csv")
    assert err.value.row == 3 and "skips 1 period" in str(err.value)


def test_gap_fill_zero_is_a_documented_repair() -> None:
    df = _hist().drop(index=2).reset_index(drop=True)
    panel = validate_history(df, "h.csv", gap_policy=GapPolicy.FILL_ZERO)
    assert list(panel.values[0]) == [1, 2, 0, 4, 5]
    assert any("filled 1 missing" in n for n in panel.notes)


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("y", "lots", "not a finite number"),
        ("y", None, "empty cell"),
        ("ds", "2024-13-45", "not a date"),
        ("unique_id", None, "required"),
    ],
)
def test_bad_cells(column: str, value: object, match: str) -> None:
    df = _hist().astype({"y": object})
    df.loc[3, column] = value
    with pytest.raises(InputError, match=match) as err:
        validate_history(df, "h.csv")
    assert err.value.row == 4 and err.value.column == column


def test_unknown_and_missing_columns() -> None:
    with pytest.raises(InputError, match="unknown column"):
        validate_history(_hist().assign(qty=1), "h.csv")
    with pytest.raises(InputError, match="missing required"):
        validate_history(_hist().drop(columns="y"), "h.csv")


def test_sales_on_closed_day_rejected() -> None:
    df = _hist().assign(store_open=1)
    df.loc[1, "store_open"] = 0
    with pytest.raises(InputError, match="store_open") as err:
        validate_history(df, "h.csv")
    assert err.value.row == 2


def test_monthly_frequency_inferred() -> None:
    df = pd.DataFrame(
        {"unique_id": "P", "ds": pd.date_range("2020-01-01", periods=6, freq="MS"), "y": 1}
    )
    assert validate_history(df).freq is Freq.MONTH


def test_signals_validation() -> None:
    panel = validate_history(_hist(), "h.csv")
    good = pd.DataFrame(
        {"unique_id": ["A", "A"], "ds": ["2024-01-06", "2024-01-07"], "deposits": [3, 4]}
    )
    sp = validate_signals(good, panel, "s.csv")
    assert list(sp.current_deposits["A"]) == [3, 4] and not sp.has_carts
    with pytest.raises(InputError, match="day 1 of the horizon is missing") as err:
        validate_signals(good.iloc[[1]], panel, "s.csv")
    assert err.value.file == "s.csv"
    with pytest.raises(InputError, match="not in the history"):
        validate_signals(good.assign(unique_id="Z"), panel, "s.csv")
    with pytest.raises(InputError, match="whole number"):
        validate_signals(good.assign(deposits=[1.5, 2]), panel, "s.csv")
    with pytest.raises(InputError, match=">= 0"):
        validate_signals(good.assign(deposits=[-1, 2]), panel, "s.csv")


def test_current_signals_without_rho_is_a_clear_error() -> None:
    sig = pd.DataFrame({"unique_id": ["A"], "ds": ["2024-01-06"], "deposits": [3]})
    with pytest.raises(InputError, match="rho"):
        forecast(_hist(), sig, 3, params=ForecastParams(calibration_windows=0))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_horizon(bad: object) -> None:
    with pytest.raises(InputError, match="horizon"):
        forecast(_hist(), None, bad, params=ForecastParams(calibration_windows=0))  # type: ignore[arg-type]


@pytest.mark.parametrize("qs", [(0.0, 0.5), (0.5, 1.2), (), (0.5, 0.5)])
def test_bad_quantiles(qs: tuple[float, ...]) -> None:
    with pytest.raises(InputError, match="quantile"):
        forecast(_hist(), None, 3, qs, params=ForecastParams(calibration_windows=0))


def test_bad_params() -> None:
    with pytest.raises(InputError, match="unknown model"):
        ForecastParams(smooth_model="Prophet")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="season_length"):
        ForecastParams(season_length=0)


def test_unknown_level_recalibration_is_named() -> None:
    with pytest.raises(InputError) as err:
        ForecastParams(recalibrate_levels="lower")
    assert "recalibrate_levels" in str(err.value) and "'upper'" in str(err.value)
