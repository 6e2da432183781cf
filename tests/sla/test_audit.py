"""Audit: hand-computed edge cases of promises, statuses, grouping and data quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.sla import (
    BusinessCalendar,
    Granularity,
    OrderStatus,
    PromiseAnchor,
    PromiseRule,
    QualityIssue,
    audit,
)
from presale_supply.sla.orders import OrderTable

from .conftest import make_orders

ON, LATE, NE, UND = (
    OrderStatus.ON_TIME,
    OrderStatus.LATE,
    OrderStatus.NOT_ELIGIBLE,
    OrderStatus.UNDETERMINED,
)


def _row(oid: str, paid: str | None, delivered: str | None = None, **kw: object) -> dict:
    return {
        "order_id": oid,
        "paid_at": paid,
        "origin": kw.pop("origin", "A"),
        "destination": kw.pop("destination", "X"),
        "delivered_at": delivered,
        **kw,
    }


def test_48_hours_exactly_on_time_one_second_more_late() -> None:
    t = make_orders(
        [
            _row("a", "2024-12-12 20:00:00", "2024-12-14 20:00:00"),
            _row("b", "2024-12-12 20:00:00", "2024-12-14 20:00:01"),
            _row("c", "2024-12-12 20:00:00", "2024-12-14 19:59:59"),
        ]
    )
    res = audit(t, PromiseRule.hours(48))
    assert res.status.tolist() == [ON, LATE, ON]
    ov = res.overall()
    assert (ov["on_time"], ov["late"], ov["decided"], ov["total"]) == (2, 1, 3, 3)
    assert ov["rate"] == pytest.approx(2 / 3)


def test_time_zone_offsets_and_declared_zone_agree() -> None:
    # The same instants written with +08:00, with Z, and naive in Asia/Shanghai.
    aware = make_orders([_row("a", "2024-12-12T20:00:00+08:00", "2024-12-14T12:00:00Z")])
    naive = make_orders(
        [_row("a", "2024-12-12 20:00:00", "2024-12-14 20:00:00")], tz="Asia/Shanghai"
    )
    assert aware.paid_at[0] == naive.paid_at[0]
    assert aware.delivered_at[0] == naive.delivered_at[0]
    assert audit(aware).status[0] == ON and audit(naive).status[0] == ON


def test_daylight_saving_shift_hours_are_elapsed_time() -> None:
    # New York springs forward on 2024-03-10: 48 elapsed hours after Sat 12:00 EST end at
    # Mon 13:00 EDT local wall time.
    t = make_orders(
        [
            _row("a", "2024-03-09 12:00:00", "2024-03-11 13:00:00"),
            _row("b", "2024-03-09 12:00:00", "2024-03-11 13:00:01"),
        ],
        tz="America/New_York",
    )
    assert audit(t, PromiseRule.hours(48)).status.tolist() == [ON, LATE]


def test_promised_date_day_granularity_uses_the_local_calendar() -> None:
    rows = [
        _row("a", "2024-12-10 10:00:00", "2024-12-12T23:30:00+08:00", promised_by="2024-12-12"),
        _row("b", "2024-12-10 10:00:00", "2024-12-12T16:30:00Z", promised_by="2024-12-12"),
        _row("c", "2024-12-10 10:00:00", "2024-12-12T00:00:00+08:00", promised_by="2024-12-12"),
    ]
    frame = pd.DataFrame(rows)
    frame["paid_at"] = frame["paid_at"] + "+08:00"
    t = OrderTable.from_frame(frame, tz="Asia/Shanghai")
    # b is 00:30 on Dec 13 in Shanghai: late by date; c at 00:00 exactly is on time by both.
    assert audit(t, PromiseRule.from_column(Granularity.DAY)).status.tolist() == [ON, LATE, ON]
    assert audit(t, PromiseRule.from_column(Granularity.EXACT)).status.tolist() == [LATE, LATE, ON]


def test_holiday_and_make_up_working_day() -> None:
    # China 2024: National Day holidays Oct 1-7; Sunday Sep 29 and Saturday Oct 12 are worked.
    cal = BusinessCalendar.build(
        holidays=[f"2024-10-0{d}" for d in range(1, 8)], workdays=["2024-09-29", "2024-10-12"]
    )
    rule = PromiseRule.business_days(1, cal)
    t = make_orders(
        [
            _row("fri", "2024-09-27 10:00:00", "2024-09-29 23:59:59"),  # Sun 29 is a workday
            _row("fri-late", "2024-09-27 10:00:00", "2024-09-30 00:00:00"),
            _row("mon", "2024-09-30 10:00:00", "2024-10-08 23:00:00"),  # next workday: Tue Oct 8
            _row("mon-late", "2024-09-30 10:00:00", "2024-10-09 00:00:01"),
            _row("fri11", "2024-10-11 09:00:00", "2024-10-12 18:00:00"),  # Sat 12 is a workday
        ],
        tz="Asia/Shanghai",
    )
    res = audit(t, rule)
    assert res.status.tolist() == [ON, LATE, ON, LATE, ON]
    deadline = pd.Timestamp(int(res.deadline[2]), tz="UTC").tz_convert("Asia/Shanghai")
    assert str(deadline.floor("s")) == "2024-10-08 23:59:59+08:00"
    # without the make-up day, Friday's order would be owed on Monday
    plain = audit(t, PromiseRule.business_days(1, BusinessCalendar()))
    assert plain.status.tolist()[:2] == [ON, ON]


def test_lane_not_eligible_is_never_late() -> None:
    t = make_orders(
        [
            _row("a", "2024-12-12 20:00:00", "2024-12-20 00:00:00", destination="Tibet"),
            _row("b", "2024-12-12 20:00:00", "2024-12-20 00:00:00", destination="X"),
        ]
    )
    res = audit(t, PromiseRule.hours(48, ineligible_lanes=(("*", "Tibet"),)))
    assert res.status.tolist() == [NE, LATE]
    ov = res.overall()
    assert (ov["late"], ov["not_eligible"], ov["decided"], ov["rate"]) == (1, 1, 1, 0.0)


def test_duplicate_ids_and_missing_times_are_kept_and_counted() -> None:
    t = make_orders(
        [
            _row(
                "a", "2024-12-12 20:00:00", "2024-12-13 10:00:00", shipped_at="2024-12-13 01:00:00"
            ),
            _row(
                "a", "2024-12-12 20:00:00", "2024-12-13 10:00:00", shipped_at="2024-12-13 01:00:00"
            ),
            _row("b", None, "2024-12-13 10:00:00", shipped_at="2024-12-13 01:00:00"),
            _row("c", "2024-12-12 20:00:00", None, shipped_at="2024-12-12 19:00:00"),
            _row(
                "d", "2024-12-12 20:00:00", "2024-12-13 00:00:00", shipped_at="2024-12-13 01:00:00"
            ),
            _row("e", "2024-12-12 20:00:00", "2024-12-13 10:00:00", shipped_at=None),
        ]
    )
    res = audit(t)
    assert res.status.tolist() == [ON, ON, UND, UND, ON, ON]
    q = res.quality()
    assert q[QualityIssue.DUPLICATE_ORDER_ID.label] == 2
    assert q[QualityIssue.MISSING_PAID_AT.label] == 1
    assert q[QualityIssue.SHIPPED_BEFORE_PAID.label] == 1
    assert q[QualityIssue.DELIVERED_BEFORE_SHIPPED.label] == 1
    assert q[QualityIssue.DELIVERED_WITHOUT_SHIPPED_AT.label] == 1
    assert res.quality_rows(QualityIssue.MISSING_PAID_AT).tolist() == [2]
    frame = res.to_frame()
    assert len(frame) == 6 and frame["row"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame.loc[3, "quality"] == "shipped_before_paid"


def test_as_of_turns_overdue_undelivered_orders_late() -> None:
    t = make_orders(
        [_row("a", "2024-12-12 20:00:00", None), _row("b", "2024-12-14 20:00:00", None)]
    )
    assert audit(t).status.tolist() == [UND, UND]
    assert audit(t, as_of="2024-12-15 00:00:00").status.tolist() == [LATE, UND]


def test_ship_by_promise_uses_hand_over() -> None:
    t = make_orders(
        [_row("a", "2024-12-12 20:00:00", "2024-12-20 00:00:00", shipped_at="2024-12-13 20:00:00")]
    )
    rule = PromiseRule.hours(24, anchor=PromiseAnchor.SHIP_BY)
    assert audit(t, rule).status.tolist() == [ON]
    assert audit(t, PromiseRule.hours(24)).status.tolist() == [LATE]


def test_group_rates_show_numerator_and_denominator() -> None:
    t = make_orders(
        [
            _row("a", "2024-12-12 20:00:00", "2024-12-13 20:00:00", destination="X"),
            _row("b", "2024-12-12 21:00:00", "2024-12-16 20:00:00", destination="X"),
            _row("c", "2024-12-13 20:00:00", "2024-12-14 20:00:00", destination="Y"),
            _row("d", "2024-12-13 20:00:00", None, destination="Y"),
        ]
    )
    by_lane = audit(t).rates(["lane"]).set_index("lane")
    assert by_lane.loc["A->X", ["on_time", "decided", "total"]].tolist() == [1, 2, 2]
    assert by_lane.loc["A->Y", ["on_time", "undetermined", "decided", "rate"]].tolist() == [
        1,
        1,
        1,
        1.0,
    ]
    by_day = audit(t).rates(["paid_day", "destination"])
    assert by_day[["paid_day", "destination", "total"]].values.tolist() == [
        ["2024-12-12", "X", 2],
        ["2024-12-13", "Y", 2],
    ]
    with pytest.raises(InputError, match="unknown grouping key"):
        audit(t).rates(["planet"])


def test_bad_input_names_file_row_column_value() -> None:
    frame = pd.DataFrame([_row("a", "2024-12-12 20:00:00"), _row("b", "yesterday-ish")])
    with pytest.raises(InputError) as err:
        OrderTable.from_frame(frame, source="o.csv")
    e = err.value
    assert (e.file, e.row, e.column, e.value) == ("o.csv", 2, "paid_at", "yesterday-ish")
    with pytest.raises(InputError, match="missing required column"):
        OrderTable.from_frame(frame.drop(columns="origin"))
    with pytest.raises(InputError, match="column mapping"):
        OrderTable.from_frame(frame, mapping={"paid": "x"})


def test_column_mapping_renames_user_columns() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a"],
            "pay": ["2024-12-12 20:00:00"],
            "from": ["A"],
            "to": ["X"],
            "got": ["2024-12-13 20:00:00"],
        }
    )
    t = OrderTable.from_frame(
        frame,
        mapping={
            "order_id": "id",
            "paid_at": "pay",
            "origin": "from",
            "destination": "to",
            "delivered_at": "got",
        },
    )
    assert audit(t).status.tolist() == [ON]
    assert np.array_equal(t.origin.values(), np.array(["A"], dtype=object))
