"""Block-wise evaluation of predict: the same results whatever the block size."""

from __future__ import annotations

import numpy as np
import pytest

from presale_supply.sla import PromiseRule, simulate
from presale_supply.sla.network import Carrier, Lane, Network, TransitDistribution, Warehouse
from presale_supply.sla.orders import Category, OrderTable
from presale_supply.sla.promise import PromiseAnchor

HOUR = 3_600_000_000_000
T0 = 1_734_004_800 * 1_000_000_000  # 2024-12-12 12:00 UTC
FIELDS = ("deadline", "ready_at", "pack_done", "ship_at", "delivery_at", "p_on_time", "status")


def _orders(n: int, *, shuffled: bool, seed: int = 3) -> OrderTable:
    rng = np.random.default_rng(seed)
    paid = T0 + np.sort(rng.exponential(1.5 * HOUR, n).astype(np.int64))
    if shuffled:
        paid = rng.permutation(paid)
    paid[rng.random(n) < 0.02] = np.iinfo(np.int64).min  # some orders without a payment time
    wh = Category(
        codes=(rng.random(n) < 0.4).astype(np.int32), labels=np.array(["E", "N"], dtype=object)
    )
    dest = Category(
        codes=rng.integers(-1, 30, n, dtype=np.int32),
        labels=np.array([f"P{k:02d}" for k in range(30)], dtype=object),
    )
    car = Category(
        codes=rng.integers(0, 2, n, dtype=np.int32), labels=np.array(["SF", "JD"], dtype=object)
    )
    return OrderTable.from_arrays(
        order_id=np.arange(n), paid_at=paid, origin=wh, destination=dest, carrier=car,
        tz="Asia/Shanghai",
    )  # fmt: skip


def _network(n: int) -> Network:
    # 2 x 29 lanes with their own transit (P29 is not listed: unknown lane), so lane ids go
    # past what int8 * 41 quantiles can hold without widening.
    lanes = tuple(
        Lane(w, f"P{k:02d}", TransitDistribution.lognormal(10 + k, 0.3))
        for w in ("E", "N")
        for k in range(29)
    )
    return Network(
        warehouses=(
            Warehouse("E", n / 10, cutoff="20:00", open_from="08:00", open_until="22:00"),
            Warehouse("N", n / 15, cutoff="18:30"),
        ),
        carriers=(Carrier("SF", ("10:00", "16:00", "23:00")), Carrier("JD", ("12:00", "23:30"))),
        lanes=lanes,
        tz="Asia/Shanghai",
    )


def _predict(orders: OrderTable, net: Network, **kw: object) -> dict[str, np.ndarray]:
    p = simulate.predict(orders, net, **kw)  # type: ignore[arg-type]
    out = {f: getattr(p, f) for f in FIELDS}
    out["lane_id"] = p.lane_id.astype(np.int64)
    return out


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize(
    "kw",
    [
        {"rule": PromiseRule.hours(40)},
        {"rule": PromiseRule.hours(20, anchor=PromiseAnchor.SHIP_BY), "risk_threshold": 0.7},
        {"rule": PromiseRule.hours(48), "ship_at_pack": True},
    ],
)
def test_small_blocks_give_the_same_prediction(
    monkeypatch: pytest.MonkeyPatch, shuffled: bool, kw: dict[str, object]
) -> None:
    n = 5000
    orders, net = _orders(n, shuffled=shuffled), _network(n)
    whole = _predict(orders, net, **kw)
    monkeypatch.setattr(simulate, "CHUNK", 97)
    blocks = _predict(orders, net, **kw)
    for f, a in whole.items():
        assert np.array_equal(a, blocks[f], equal_nan=True), f
    assert np.isfinite(whole["p_on_time"]).sum() > n // 2
    assert (whole["lane_id"] == simulate.UNKNOWN_LANE).any()


def test_lane_ids_are_narrow_and_index_transits() -> None:
    orders, net = _orders(2000, shuffled=False), _network(2000)
    lane, transits = simulate._lane_ids(orders, net)
    assert lane.dtype == np.int8 and len(transits) == 58
    p = simulate.predict(orders, net, PromiseRule.hours(40))
    ok = lane >= 0
    hours = np.full(int(ok.sum()), 30.0)
    wide = simulate.cdf_by_lane(hours, lane[ok].astype(np.int64), transits)
    assert np.array_equal(simulate.cdf_by_lane(hours, lane[ok], transits), wide)
    assert p.lane_id.dtype == np.int8


def test_fifo_finish_in_blocks_matches_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    ready = T0 + np.sort(rng.exponential(2 * HOUR, 3000).astype(np.int64))
    wh = Warehouse("W", 300.0, cutoff="17:00", open_from="09:00", open_until="18:00")
    one = simulate.fifo_finish(ready, wh, "Europe/Berlin")
    monkeypatch.setattr(simulate, "CHUNK", 64)
    assert np.array_equal(simulate.fifo_finish(ready, wh, "Europe/Berlin"), one)
    assert np.all(np.diff(one) > 0)
