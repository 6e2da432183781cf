"""Hypothesis properties: capacity monotonicity, rates in [0, 1], one output row per input row."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from presale_supply.sla import OrderTable, PromiseRule, audit
from presale_supply.sla.simulate import predict

from .conftest import one_warehouse_network

T0 = np.int64(1_734_000_000) * 1_000_000_000  # 2024-12-12 10:40 UTC
MIN = 60_000_000_000


@st.composite
def order_tables(draw: st.DrawFn) -> OrderTable:
    n = draw(st.integers(1, 60))
    paid = np.array(draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n))) * MIN + T0
    gaps = draw(st.lists(st.one_of(st.none(), st.integers(-600, 6000)), min_size=n, max_size=n))
    dlv = np.array(
        [
            T0 * 0 + np.iinfo(np.int64).min if g is None else p + g * MIN
            for p, g in zip(paid, gaps, strict=True)
        ],
        dtype=np.int64,
    )
    ids = draw(st.lists(st.integers(0, 80), min_size=n, max_size=n))
    dest = draw(st.lists(st.sampled_from(["X", "Y", "Tibet"]), min_size=n, max_size=n))
    return OrderTable.from_arrays(
        order_id=np.array(ids),
        paid_at=paid,
        origin=np.array(["A"] * n),
        destination=np.array(dest),
        delivered_at=dlv,
    )


@settings(max_examples=40, deadline=None)
@given(order_tables(), st.sampled_from([1.0, 24.0, 48.0]))
def test_audit_rates_in_unit_interval_and_rows_preserved(t: OrderTable, hours: float) -> None:
    res = audit(t, PromiseRule.hours(hours, ineligible_lanes=(("A", "Tibet"),)))
    ov = res.overall()
    assert ov["total"] == len(t)
    assert ov["on_time"] + ov["late"] + ov["not_eligible"] + ov["undetermined"] == len(t)
    assert ov["rate"] is None or 0.0 <= ov["rate"] <= 1.0
    groups = res.rates(["destination", "paid_hour"])
    assert groups["total"].sum() == len(t)
    rates = groups["rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    frame = res.to_frame()
    assert frame["row"].tolist() == list(range(1, len(t) + 1))
    assert np.array_equal(frame["order_id"].to_numpy(), t.order_id)


@settings(max_examples=30, deadline=None)
@given(
    order_tables(),
    st.floats(0.5, 40.0),
    st.floats(1.0, 5.0),
    st.sampled_from(["12:00", "16:00", "23:59"]),
)
def test_more_capacity_never_lowers_the_on_time_rate(
    t: OrderTable, cap: float, factor: float, cutoff: str
) -> None:
    rule = PromiseRule.hours(24)
    lo = predict(
        t,
        one_warehouse_network(
            capacity=cap,
            cutoff=cutoff,
            pickups=("09:00", "18:00"),
            transit_hours=12,
            unserved=("Tibet",),
        ),
        rule,
    )
    hi = predict(
        t,
        one_warehouse_network(
            capacity=cap * factor,
            cutoff=cutoff,
            pickups=("09:00", "18:00"),
            transit_hours=12,
            unserved=("Tibet",),
        ),
        rule,
    )
    r_lo, r_hi = lo.expected_rate(), hi.expected_rate()
    assert (r_lo is None) == (r_hi is None)
    if r_lo is not None and r_hi is not None:
        assert 0.0 <= r_lo <= r_hi + 1e-12 <= 1.0 + 1e-12
    ok = np.isfinite(lo.p_on_time)
    assert np.all(hi.p_on_time[ok] >= lo.p_on_time[ok] - 1e-12)
    assert np.all(hi.ship_at[ok] <= lo.ship_at[ok])
    frame = hi.to_frame()
    assert len(frame) == len(t) and frame["row"].tolist() == list(range(1, len(t) + 1))
