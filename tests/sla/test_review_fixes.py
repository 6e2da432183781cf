"""Regression tests of the fresh-eyes review findings; every expected figure is computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from presale_supply.cli import main
from presale_supply.exceptions import InputError
from presale_supply.sla import OrderStatus, PromiseAnchor, PromiseRule, audit
from presale_supply.sla.network import (
    Carrier,
    Lane,
    Network,
    TransitDistribution,
    Warehouse,
    load_network,
)
from presale_supply.sla.orders import read_orders
from presale_supply.sla.promise import BusinessCalendar
from presale_supply.sla.simulate import StockTimeline, predict, read_stock
from presale_supply.sla.size import Binding, size_capacity
from presale_supply.sla.warn import WarningPolicy, warn

from .conftest import make_orders, one_warehouse_network

NAT = np.iinfo(np.int64).min


def _local(ns: int, tz: str = "UTC") -> str:
    return str(pd.Timestamp(int(ns), tz="UTC").tz_convert(tz).tz_localize(None))


def _order(oid: str, paid: str, dest: str = "X", **kw: object) -> dict:
    return {"order_id": oid, "paid_at": paid, "origin": "A", "destination": dest, **kw}


def _net(
    tz: str = "UTC",
    *,
    cap: float = 1.0,
    open_from: str = "00:00",
    open_until: str = "24:00",
    pickups: tuple[str, ...] = ("23:00",),
) -> Network:
    return Network(
        (Warehouse("A", cap, open_from=open_from, open_until=open_until),),
        (Carrier("C", pickups),),
        (Lane("A", "X", TransitDistribution.fixed(1.0)),),
        tz=tz,
    )


# --- 1. orders without a promise still take warehouse capacity ------------------------------


@pytest.mark.parametrize(
    ("dest", "rule"),
    [
        ("Tibet", PromiseRule.hours(48)),  # a lane declared served = false
        ("Y", PromiseRule.hours(48, ineligible_lanes=(("*", "Y"),))),  # no promise on the lane
        ("Mars", PromiseRule.hours(48)),  # a lane the network does not list
    ],
)
def test_unpromised_orders_take_capacity(dest: str, rule: PromiseRule) -> None:
    # 1 order/h. Five orders at 10:00 occupy the queue 10:00-15:00 (done 11, 12, 13, 14, 15);
    # X, ready at 10:00:01, starts when the fifth is done and finishes at 16:00:00.
    net = one_warehouse_network(capacity=1, cutoff="24:00", unserved=("Tibet",))
    t = make_orders(
        [_order(f"u{k}", "2024-12-12 10:00:00", dest) for k in range(5)]
        + [_order("x", "2024-12-12 10:00:01", "X")]
    )
    p = predict(t, net, rule)
    assert [_local(v) for v in p.pack_done[:5]] == [f"2024-12-12 {h}:00:00" for h in range(11, 16)]
    assert _local(p.pack_done[5]) == "2024-12-12 16:00:00"
    assert (p.ship_at[:5] == NAT).all() and (p.status[:5] == OrderStatus.NOT_ELIGIBLE).all()
    assert _local(p.ship_at[5]) == "2024-12-12 18:00:00"


# --- 2. sizing keeps the stock allocation of the whole table --------------------------------


def test_size_capacity_shares_stock_between_warehouses() -> None:
    lanes = (
        Lane("A", "X", TransitDistribution.fixed(1.0)),
        Lane("B", "X", TransitDistribution.fixed(1.0)),
    )
    hourly = tuple(f"{h:02d}:00" for h in range(24))
    net = Network((Warehouse("A", 10), Warehouse("B", 10)), (Carrier("C", hourly),), lanes)
    t = make_orders(
        [
            {**_order("a", "2024-12-12 10:00:00", sku="S"), "origin": "A"},
            {**_order("b", "2024-12-12 11:00:00", sku="S"), "origin": "B"},
        ]
    )
    stock = StockTimeline.from_frame(
        pd.DataFrame({"sku": ["S"], "available_at": ["2024-12-12 00:00:00"], "quantity": [1]})
    )
    # The one unit goes to a (paid first): b never gets it.
    assert predict(t, net, stock=stock).p_on_time.tolist() == [1.0, 0.0]
    needs = {n.warehouse: n for n in size_capacity(t, net, stock=stock, target=0.95)}
    assert needs["B"].needed_capacity is None
    assert needs["B"].binding is Binding.STOCK
    assert needs["B"].rate_unlimited == 0.0
    assert needs["A"].needed_capacity == 1.0 and needs["A"].binding is Binding.CAPACITY


# --- 3. ship-by promises: the deadline is the hand-over deadline ----------------------------


def test_ship_by_warning_ignores_transit() -> None:
    # 24 h ship-by; paid 10:00, shipped 12:00 (2 h later), transit 30 h. Rule 2: s* = deadline
    # (Dec 13 10:00), t = min(s*, deadline - 3 h) = Dec 13 07:00; shipped 12:00 < t: no warning.
    net = one_warehouse_network(capacity=1e9, cutoff="24:00", pickups=("12:00",), transit_hours=30)
    t = make_orders(
        [
            _order(
                "a",
                "2024-12-12 10:00:00",
                shipped_at="2024-12-12 12:00:00",
                delivered_at="2024-12-13 18:00:00",
            )
        ]
    )
    rule = PromiseRule.hours(24, anchor=PromiseAnchor.SHIP_BY)
    p = predict(t, net, rule)
    assert p.p_on_time[0] == 1.0
    w = warn(p, WarningPolicy(final_check=True))
    assert not w.warned.any()
    # Not shipped by Dec 13 07:00: warned at 07:00 (deadline - 3 h), not 30 h earlier.
    t2 = make_orders([_order("b", "2024-12-12 10:00:00", shipped_at="2024-12-13 08:00:00")])
    w2 = warn(predict(t2, net, rule), WarningPolicy())
    assert _local(w2.warn_at[0]) == "2024-12-13 07:00:00"


# --- 4. CSV rows with more fields than the header -------------------------------------------


def test_trailing_comma_on_every_line_reads_correctly(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    f.write_text(
        "order_id,paid_at,origin,destination,delivered_at\n"
        "a,2024-12-12 10:00,A,X,2024-12-13 10:00,\n"
        "b,2024-12-12 11:00,A,X,2024-12-15 10:00,\n"
    )
    t = read_orders(f)
    assert t.order_id.tolist() == ["a", "b"]
    assert t.origin.values().tolist() == ["A", "A"]
    assert audit(t).status.tolist() == [OrderStatus.ON_TIME, OrderStatus.LATE]
    g = tmp_path / "excel.csv"  # the header has the trailing comma too
    g.write_text("order_id,paid_at,origin,destination,\na,2024-12-12 10:00,A,X,\n")
    assert read_orders(g).order_id.tolist() == ["a"]


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ("order_id,paid_at,origin,destination\na,2024-12-12 10:00,A,X,extra\n", 1),
        ("id,order_id,paid_at,origin\n7,a,2024-12-12 10:00,A,X\n", 1),
        ("order_id,paid_at,origin,destination\na,2024-12-12 10:00,A,X\nb,2024-12-12,A,X,9\n", 2),
        ("order_id,paid_at,origin,destination\na,2024-12-12,A,X,9\nb,2024-12-12 10:00,A,X\n", 1),
    ],
)
def test_rows_with_extra_fields_are_an_error(tmp_path: Path, text: str, row: int) -> None:
    f = tmp_path / "o.csv"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        read_orders(f)
    assert err.value.file == str(f) and err.value.row == row
    assert err.value.column is None and "fields" in err.value.reason
    assert "header" in err.value.reason


# --- 5. offsets and naive timestamps across columns -----------------------------------------


def test_offset_and_naive_columns_are_rejected() -> None:
    with pytest.raises(InputError, match="paid_at: offset, delivered_at: naive") as err:
        make_orders([_order("a", "2024-12-12T20:00:00+08:00", delivered_at="2024-12-14 19:00:00")])
    assert err.value.column == "paid_at, delivered_at"
    # a bare calendar date has no offset by nature and may go with offsets
    t = make_orders([_order("a", "2024-12-12T20:00:00+08:00", promised_by="2024-12-14")])
    assert t.naive_columns == ()


def test_cli_says_naive_timestamps_are_read_as_utc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "o.csv"
    f.write_text("order_id,paid_at,origin,destination\na,2024-12-12 10:00,A,X\n")
    assert main(["sla", "audit", str(f)]) == 0
    assert "read as UTC" in capsys.readouterr().err
    assert main(["sla", "audit", str(f), "--tz", "Asia/Shanghai"]) == 0
    assert "read as" not in capsys.readouterr().err


# --- 6. opening hours at any minute ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "open_from", "expected_local"),
    [
        ("UTC", "08:30", "2024-12-12 09:30:00"),
        ("Asia/Kolkata", "08:00", "2024-12-12 09:00:00"),  # UTC+05:30
        ("Asia/Kolkata", "08:15", "2024-12-12 09:15:00"),
    ],
)
def test_opening_hours_are_not_snapped_to_utc_hours(
    tz: str, open_from: str, expected_local: str
) -> None:
    t = make_orders([_order("a", "2024-12-12 06:00:00")], tz=tz)
    p = predict(t, _net(tz, cap=1, open_from=open_from))
    assert _local(p.pack_done[0], tz) == expected_local


def test_closing_time_at_half_hour_and_partial_hour_rate() -> None:
    # open until 17:30 at 1/h: three orders at 16:00 finish 17:00, then half an hour today and
    # half an hour from midnight (00:30), then 01:30.
    t = make_orders([_order(str(k), "2024-12-12 16:00:00") for k in range(3)])
    p = predict(t, _net(cap=1, open_until="17:30"))
    assert [_local(v) for v in p.pack_done] == [
        "2024-12-12 17:00:00",
        "2024-12-13 00:30:00",
        "2024-12-13 01:30:00",
    ]
    # 10/h from 08:30: the first order takes 6 minutes after opening, not 10% of the 08:00 hour.
    t = make_orders([_order("a", "2024-12-12 06:00:00")])
    assert _local(predict(t, _net(cap=10, open_from="08:30")).pack_done[0]) == "2024-12-12 08:36:00"


# --- 7. paid_hour on DST days ---------------------------------------------------------------


def test_paid_hour_is_the_local_clock_hour_on_dst_days() -> None:
    tz = "America/New_York"  # 2024-03-10 02:00 -> 03:00; 2024-11-03 02:00 -> 01:00
    spring = make_orders(
        [
            _order("a", "2024-03-10 01:30:00"),
            _order("b", "2024-03-10 03:30:00"),
            _order("c", "2024-03-10 10:00:00"),
        ],
        tz=tz,
    )
    r = audit(spring).rates(["paid_hour"])
    assert r["paid_hour"].tolist() == ["2024-03-10 01:00", "2024-03-10 03:00", "2024-03-10 10:00"]
    autumn = make_orders(
        [
            _order("a", "2024-11-03 01:30:00-04:00"),
            _order("b", "2024-11-03 01:30:00-05:00"),
            _order("c", "2024-11-03 10:00:00-05:00"),
        ],
        tz=tz,
    )
    r = audit(autumn).rates(["paid_hour"])
    assert r["paid_hour"].tolist() == ["2024-11-03 01:00", "2024-11-03 10:00"]
    assert r["total"].tolist() == [2, 1]


# --- 8. bad input is an InputError (CLI exit 2), never a traceback --------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--promise-business-days", "2", "--weekend", "x"],
        ["--promise-business-days", "2", "--weekend", "0,1,2,3,4,5,6"],
        ["--promise-business-days", "2", "--weekend", "0,1,2,3,4,5,6,6"],
        ["--promise-hours", "inf"],
        ["--promise-hours", "1e30"],
    ],
)
def test_cli_bad_rule_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    f = tmp_path / "o.csv"
    f.write_text("order_id,paid_at,origin,destination\na,2024-12-12 10:00,A,X\n")
    assert main(["sla", "audit", str(f), *extra]) == 2
    assert "presale-supply: error:" in capsys.readouterr().err


def test_bad_values_raise_input_error(tmp_path: Path) -> None:
    net = tmp_path / "n.toml"
    net.write_text(
        '[[warehouse]]\nname="A"\ncapacity_per_hour=1\n[[carrier]]\nname="C"\n'
        '[[lane]]\norigin="A"\ndestination="X"\nquantiles_hours=[5, "x"]\n'
    )
    with pytest.raises(InputError, match="lane #1") as err:
        load_network(net)
    assert err.value.file == str(net)
    stock = tmp_path / "stock.csv"
    stock.write_text("")
    with pytest.raises(InputError, match="empty") as err:
        read_stock(stock)
    assert err.value.file == str(stock)
    cal = BusinessCalendar(holidays=frozenset({"2024-12-13"}))  # type: ignore[arg-type]
    assert cal.is_business(np.array([20070, 20069])).tolist() == [False, True]  # Fri 13, Thu
    with pytest.raises(InputError):
        BusinessCalendar(holidays=frozenset({"13/12/2024"}))  # type: ignore[arg-type]
    # a six-day weekend leaves Sundays: 2 business days after Thu 2024-12-12 is Sun Dec 22
    six = BusinessCalendar.build(weekend=(0, 1, 2, 3, 4, 5))
    assert six.add_business_days(np.array([20069]), 2).tolist() == [20079]


# --- 9. error locations ---------------------------------------------------------------------


def test_blank_lines_give_the_file_line(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    f.write_text("order_id,paid_at,origin,destination\na,2024-12-12 10:00,A,X\n\n\nb,bad,A,X\n")
    with pytest.raises(InputError) as err:
        read_orders(f)
    assert err.value.row == 2  # the second data row; blank lines are not rows
    assert "line 5 of the file" in str(err.value)


def test_network_errors_name_the_network_file(tmp_path: Path) -> None:
    base = '[[warehouse]]\nname="A"\ncapacity_per_hour=1\n'
    bad_pickup = tmp_path / "p.toml"
    bad_pickup.write_text(base + '[[carrier]]\nname="C"\npickups=["25:00"]\n')
    bad_zone = tmp_path / "z.toml"
    bad_zone.write_text('timezone="Nowhere"\n' + base + '[[carrier]]\nname="C"\n')
    for f in (bad_pickup, bad_zone):
        with pytest.raises(InputError) as err:
            load_network(f)
        assert err.value.file == str(f)


def test_unknown_carrier_names_the_orders_row() -> None:
    t = make_orders(
        [_order("a", "2024-12-12 10:00:00"), _order("b", "2024-12-12 10:00:00", carrier="ZTO")]
    )
    with pytest.raises(InputError) as err:
        predict(t, _net())
    assert (err.value.file, err.value.row, err.value.column, err.value.value) == (
        "test.csv",
        2,
        "carrier",
        "ZTO",
    )


def test_promise_column_errors_name_the_users_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "o.csv"
    f.write_text("order_id,paid_at,origin,destination,promise\na,2024-12-12 10:00,A,X,bad\n")
    assert main(["sla", "audit", str(f), "--promise-column", "promise"]) == 2
    assert "column 'promise'" in capsys.readouterr().err
    g = tmp_path / "g.csv"
    g.write_text("order_id,paid_at,origin,destination\na,2024-12-12 10:00,A,X\n")
    assert main(["sla", "audit", str(g), "--promise-column", "promise"]) == 2
    assert "column 'promise'" in capsys.readouterr().err


# --- 10. CDF with tied quantiles ------------------------------------------------------------


def test_cdf_with_tied_quantiles() -> None:
    # probabilities 0, .25, .5, .75, 1 at 0, 0, 10, 10, 20 h: P(T <= 0) = .25, P(T <= 10) = .75,
    # and between 0 and 10 the CDF runs from .25 to .5: 9.92 h -> .25 + .992 * .25 = .498.
    t = TransitDistribution(np.array([0.0, 0.0, 10.0, 10.0, 20.0]))
    assert t.cdf(9.92) == pytest.approx(0.498)
    assert t.cdf(np.array([-1.0, 0.0, 10.0, 15.0, 20.0])).tolist() == [0.0, 0.25, 0.75, 0.875, 1.0]
    # predict agrees: shipped at midnight, deadline 9.92 h later
    net = one_warehouse_network(capacity=1e9, cutoff="24:00", pickups=("00:00",))
    net = net.with_lanes((Lane("A", "X", t),))
    o = make_orders([_order("a", "2024-12-12 23:00:00")])
    p = predict(o, net, PromiseRule.hours(1 + 9.92))
    assert p.p_on_time[0] == pytest.approx(0.498)


# --- 11. lanes missing from the network are reported ----------------------------------------


def test_unknown_lane_is_reported_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = one_warehouse_network(unserved=("Tibet",))
    t = make_orders(
        [
            _order("a", "2024-12-12 10:00:00", "Tibet"),
            _order("b", "2024-12-12 10:00:00", "Mars"),
            _order("c", "2024-12-12 10:00:00", "x"),
            _order("d", "2024-12-12 10:00:00", "Mars"),
        ]
    )
    p = predict(t, net)
    o = p.overall()
    assert o["not_eligible"] == 4 and o["unknown_lane"] == 3
    assert [(u["destination"], u["orders"], u["first_row"]) for u in p.unknown_lanes()] == [
        ("Mars", 2, 2),
        ("x", 1, 3),
    ]
    assert p.to_frame()["predicted"].tolist() == ["not_eligible"] + ["unknown_lane"] * 3
    assert p.to_dict()["unknown_lanes"][0]["destination"] == "Mars"
    orders = tmp_path / "o.csv"
    orders.write_text("order_id,paid_at,origin,destination\nb,2024-12-12 10:00,A,Mars\n")
    nf = tmp_path / "n.toml"
    nf.write_text(
        '[[warehouse]]\nname="A"\ncapacity_per_hour=10\n[[carrier]]\nname="C"\n'
        '[[lane]]\norigin="A"\ndestination="X"\nfixed_hours=5\n'
    )
    assert main(["sla", "predict", str(orders), "--network", str(nf)]) == 0
    assert "A->Mars" in capsys.readouterr().err


# --- 12. served must be a boolean -----------------------------------------------------------


def test_served_string_is_an_error() -> None:
    data = {
        "warehouse": [{"name": "A", "capacity_per_hour": 1}],
        "carrier": [{"name": "C"}],
        "lane": [{"origin": "A", "destination": "X", "served": "false", "fixed_hours": 5}],
    }
    with pytest.raises(InputError, match="served must be the boolean"):
        Network.from_dict(data, source="n.toml")
    data["lane"][0]["served"] = False  # type: ignore[index]
    assert Network.from_dict(data).lane("A", "X", "C").served is False  # type: ignore[union-attr]
