"""Predict, warn and size: hand-computed FIFO queues, cut-offs, pick-ups, stock, lanes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from presale_supply.exceptions import InputError
from presale_supply.sla import OrderStatus, PromiseRule, audit
from presale_supply.sla.network import Network, TransitDistribution, fit_transit, load_network
from presale_supply.sla.simulate import StockTimeline, predict
from presale_supply.sla.size import Binding, size_capacity
from presale_supply.sla.warn import WarningPolicy, WarnReason, backtest, warn

from .conftest import make_orders, one_warehouse_network


def _ts(ns: int) -> str:
    return str(pd.Timestamp(int(ns), tz="UTC").tz_localize(None))


def _order(oid: str, paid: str, dest: str = "X", **kw: object) -> dict:
    return {"order_id": oid, "paid_at": paid, "origin": "A", "destination": dest, **kw}


def test_fifo_queue_by_hand() -> None:
    # 2 orders/hour: three orders paid at 10:00 finish at 10:30, 11:00, 11:30.
    net = one_warehouse_network(capacity=2, cutoff="24:00", pickups=("12:00", "18:00"))
    t = make_orders(
        [_order(str(k), "2024-12-12 10:00:00") for k in range(3)]
        + [_order("late", "2024-12-12 11:45:00")]
    )
    p = predict(t, net, PromiseRule.hours(48))
    assert [_ts(x) for x in p.pack_done] == [
        "2024-12-12 10:30:00",
        "2024-12-12 11:00:00",
        "2024-12-12 11:30:00",
        "2024-12-12 12:15:00",
    ]
    assert [_ts(x) for x in p.ship_at] == ["2024-12-12 12:00:00"] * 3 + ["2024-12-12 18:00:00"]
    assert _ts(p.delivery_at[3]) == "2024-12-13 04:00:00"  # + fixed 10 h transit
    assert np.all(p.p_on_time == 1.0)


def test_closed_warehouse_starts_at_opening() -> None:
    net = one_warehouse_network(capacity=1, cutoff="24:00", open_from="08:00")
    t = make_orders([_order("a", "2024-12-12 06:00:00")])
    assert _ts(predict(t, net).pack_done[0]) == "2024-12-12 09:00:00"


def test_cutoff_exactly_on_the_boundary_and_one_second_either_side() -> None:
    net = one_warehouse_network(capacity=1e9, cutoff="16:00", pickups=("18:00",))
    t = make_orders(
        [
            _order("before", "2024-12-12 15:59:59"),
            _order("on", "2024-12-12 16:00:00"),
            _order("after", "2024-12-12 16:00:01"),
        ]
    )
    p = predict(t, net)
    assert [_ts(x) for x in p.ship_at] == [
        "2024-12-12 18:00:00",
        "2024-12-12 18:00:00",
        "2024-12-13 18:00:00",
    ]


def test_on_time_probability_from_transit_distribution() -> None:
    net = one_warehouse_network(capacity=1e9, cutoff="24:00", pickups=("00:00",))
    lanes = (net.lanes[0].__class__("A", "X", TransitDistribution(np.array([0.0, 100.0]))),)
    net = net.with_lanes(lanes)
    # paid 23:00, ships at midnight; 48 h deadline leaves 47 h: P = 0.47 under U(0, 100).
    t = make_orders([_order("a", "2024-12-12 23:00:00")])
    p = predict(t, net, PromiseRule.hours(48), risk_threshold=0.5)
    assert p.p_on_time[0] == pytest.approx(0.47)
    assert p.status[0] == OrderStatus.LATE
    assert len(p.breaches()) == 1


def test_unserved_lane_is_not_eligible() -> None:
    net = one_warehouse_network(unserved=("Tibet",))
    t = make_orders(
        [
            _order("a", "2024-12-12 10:00:00", "Tibet"),
            _order("b", "2024-12-12 10:00:00", "Mars"),
            _order("c", "2024-12-12 10:00:00", "X"),
        ]
    )
    p = predict(t, net)
    assert p.status.tolist() == [
        OrderStatus.NOT_ELIGIBLE,
        OrderStatus.NOT_ELIGIBLE,
        OrderStatus.ON_TIME,
    ]
    assert np.isnan(p.p_on_time[:2]).all()
    assert p.overall()["not_eligible"] == 2


def test_stock_waits_count_against_the_promise() -> None:
    net = one_warehouse_network(
        capacity=1e9, cutoff="24:00", pickups=("00:00", "12:00"), transit_hours=10
    )
    t = make_orders(
        [
            _order("a", "2024-12-12 01:00:00", sku="S", quantity=2),
            _order("b", "2024-12-12 02:00:00", sku="S", quantity=1),
            _order("c", "2024-12-12 03:00:00", sku="S", quantity=5),
            _order("d", "2024-12-12 03:00:00", sku="T", quantity=1),
        ]
    )
    stock = StockTimeline.from_frame(
        pd.DataFrame(
            {
                "sku": ["S", "S"],
                "available_at": ["2024-12-12 00:00:00", "2024-12-13 20:00:00"],
                "quantity": [2, 1],
            }
        )
    )
    p = predict(t, net, PromiseRule.hours(48), stock=stock)
    # a takes the 2 units on hand; b waits for the arrival at 20:00 next day; c never gets 5.
    assert _ts(p.ready_at[0]) == "2024-12-12 01:00:00"
    assert _ts(p.ready_at[1]) == "2024-12-13 20:00:00"
    assert p.ship_at[2] == np.iinfo(np.int64).min and p.p_on_time[2] == 0.0
    assert _ts(p.ship_at[1]) == "2024-12-14 00:00:00"  # + 10 h = 10:00 > deadline 02:00
    assert p.p_on_time.tolist()[:2] == [1.0, 0.0] and p.p_on_time[3] == 1.0


def test_warnings_are_timely_and_backtested() -> None:
    net = one_warehouse_network(capacity=1e9, cutoff="24:00", pickups=("12:00",), transit_hours=30)
    t = make_orders(
        [
            # paid 11:00, ships 12:00, arrives 18:00 next day: on time (deadline 11:00 + 2 d)
            _order(
                "ok",
                "2024-12-12 11:00:00",
                shipped_at="2024-12-12 12:00:00",
                delivered_at="2024-12-13 18:00:00",
            ),
            # paid 13:00, next pick-up 12:00 next day + 30 h = 18:00 d+2 > deadline 13:00 d+2
            _order(
                "risky",
                "2024-12-12 13:00:00",
                shipped_at="2024-12-13 12:00:00",
                delivered_at="2024-12-14 18:00:00",
            ),
            # predicted fine but actually handed over late -> rule 2 warns at s* = dl - 30 h
            _order(
                "slow",
                "2024-12-12 11:00:00",
                shipped_at="2024-12-13 09:00:00",
                delivered_at="2024-12-14 15:00:00",
            ),
        ]
    )
    rule = PromiseRule.hours(48)
    w = warn(predict(t, net, rule), WarningPolicy(lead_hours=3))
    assert w.reason.tolist() == [
        WarnReason.NONE,
        WarnReason.PREDICTED,
        WarnReason.MISSED_SAFE_HANDOVER,
    ]
    assert _ts(w.warn_at[1]) == "2024-12-12 13:00:00"
    assert _ts(w.warn_at[2]) == "2024-12-13 05:00:00"
    assert w.timely.tolist() == [False, True, True]
    bt = backtest(w, audit(t, rule))
    assert (bt["late"], bt["true_positives"], bt["false_positives"], bt["missed"]) == (2, 2, 0, 0)
    assert bt["recall"] == 1.0 and bt["precision"] == 1.0
    assert bt["lead_hours_min"] == pytest.approx(30.0)


def test_size_capacity_by_hand() -> None:
    # 10 orders at 00:00, hourly pick-ups, 1 h transit, 4 h promise: all must be packed by
    # 03:00. 4/h packs the 10th at 02:30; 3/h leaves the 10th at 03:20 (ships 04:00, late).
    pick = tuple(f"{h:02d}:00" for h in range(24))
    net = one_warehouse_network(capacity=1, cutoff="24:00", pickups=pick, transit_hours=1)
    t = make_orders([_order(str(k), "2024-12-12 00:00:00") for k in range(10)])
    rule = PromiseRule.hours(4)
    (need,) = size_capacity(t, net, rule, target=1.0)
    assert need.needed_capacity == 4 and need.binding is Binding.CAPACITY
    (need,) = size_capacity(t, net, rule, target=0.9)
    assert need.needed_capacity == 3 and need.rate_at_needed == pytest.approx(0.9)
    (need,) = size_capacity(t, net, PromiseRule.hours(0.5), target=0.9)
    assert need.needed_capacity is None and need.binding is Binding.TRANSIT
    few = one_warehouse_network(capacity=1, cutoff="24:00", pickups=("23:00",), transit_hours=1)
    (need,) = size_capacity(t, few, rule, target=0.9)
    assert need.binding is Binding.CUTOFF_PICKUP


def test_network_file_round_trip_and_errors(tmp_path: object) -> None:
    from pathlib import Path

    d = Path(str(tmp_path))
    (d / "net.toml").write_text(
        'timezone = "Asia/Shanghai"\n[[warehouse]]\nname = "A"\ncapacity_per_hour = 10\n'
        'cutoff = "16:00"\n[[carrier]]\nname = "SF"\npickups = ["18:00"]\n'
        '[[lane]]\norigin = "A"\ndestination = "X"\nmedian_hours = 20\nsigma = 0.3\n'
        '[[lane]]\norigin = "A"\ndestination = "Tibet"\nserved = false\n'
    )
    net = load_network(d / "net.toml")
    assert net.tz == "Asia/Shanghai" and net.lane("A", "X", "SF") is not None
    assert net.lane("A", "X", "SF").transit.median() == pytest.approx(20.0)  # type: ignore[union-attr]
    assert Network.from_dict(net.to_dict()).lane("A", "Tibet", "SF").served is False  # type: ignore[union-attr]
    (d / "bad.toml").write_text('[[warehouse]]\nname = "A"\ncapacity_per_hour = 10\ncutof = 1\n')
    with pytest.raises(InputError, match="unknown key"):
        load_network(d / "bad.toml")


def test_fit_transit_from_history() -> None:
    rows = [
        _order(
            str(k),
            "2024-12-12 00:00:00",
            shipped_at="2024-12-12 10:00:00",
            delivered_at=f"2024-12-13 {k % 10:02d}:00:00",
        )
        for k in range(40)
    ]
    (lane,) = fit_transit(make_orders(rows), min_observations=20)
    assert (lane.origin, lane.destination) == ("A", "X")
    assert lane.transit is not None
    assert lane.transit.quantiles_hours[0] == 14.0 and lane.transit.quantiles_hours[-1] == 23.0


def test_unknown_warehouse_names_the_row() -> None:
    net = one_warehouse_network()
    t = make_orders(
        [_order("a", "2024-12-12 10:00:00"), {**_order("b", "2024-12-12 10:00:00"), "origin": "Z"}]
    )
    net = net.with_lanes(
        (*net.lanes, net.lanes[0].__class__("Z", "X", TransitDistribution.fixed(1)))
    )
    with pytest.raises(InputError) as err:
        predict(t, net)
    assert err.value.row == 2 and err.value.column == "warehouse"
