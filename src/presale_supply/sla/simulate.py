"""Predict ship and delivery times through FIFO pick/pack queues, cut-offs and pick-ups.

For each warehouse the orders join one first-in-first-out queue in the order they become
*ready* (``ready = max(paid_at, stock available)``). Capacity is a rate ``c(t)`` (orders per
hour; zero while the warehouse is closed). With the cumulative capacity
``W(t) = integral of c`` the finish of the k-th order (0-based, sorted by ready time) is the
Lindley recursion ``F_k = max(W(r_k), F_{k-1}) + 1``, which unrolls to

    F_k = k + 1 + max_{j <= k} (W(r_j) - j)            (1)

-- a running maximum, so the whole queue is one vectorised pass (run in blocks of
:data:`CHUNK` orders with the maximum carried over, to bound temporaries); ``pack_done =
W^{-1}(F_k)``.
An order leaves on the first carrier pick-up at or after ``pack_done`` that falls on or after its
*release day*: the local day of ``ready`` if ready at or before the warehouse cut-off, the next
day otherwise. Delivery adds the lane's transit time; ``P(on time) = F_lane(deadline - ship)``
and the predicted delivery is ``ship + median transit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.parallel import Partition, run_partitions
from presale_supply.sla._time import (
    DAY_NS,
    HOUR_NS,
    NAT,
    LocalDays,
    parse_instants,
    to_datetime_index,
)
from presale_supply.sla.audit import OrderStatus, combine_groups, group_codes
from presale_supply.sla.network import Network, TransitDistribution, Warehouse
from presale_supply.sla.orders import OrderTable, read_csv_frame, with_file_line
from presale_supply.sla.promise import PromiseAnchor, PromiseRule, compute_promises
from presale_supply.validation import reject_first

__all__ = [
    "Prediction",
    "StockTimeline",
    "cdf_by_lane",
    "fifo_finish",
    "predict",
    "read_stock",
]


@dataclass(frozen=True)
class StockTimeline:
    """Stock arrivals per SKU: ``quantity`` units of ``sku`` become available at ``available_at``.

    Orders take units first-come-first-served in payment order. SKUs absent from the timeline
    are not stock-constrained. Stock already on hand is an arrival at or before the first
    payment.
    """

    sku: np.ndarray
    available_at: np.ndarray
    quantity: np.ndarray

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, *, tz: str = "UTC", source: str = "<stock>"
    ) -> StockTimeline:
        """Validate a ``sku, available_at, quantity`` table.

        Raises
        ------
        InputError
            Missing columns, an empty cell, an unreadable time or a negative quantity.
        """
        from presale_supply.validation import numeric_column, require_columns, string_column

        require_columns(df, ("sku", "available_at", "quantity"), (), source)
        df = df.reset_index(drop=True)
        sku = string_column(df, "sku", source)
        at = parse_instants(df["available_at"], tz=tz, source=source, column="available_at")
        missing = at == NAT
        reject_first(
            missing,
            "a stock arrival needs a time.",
            file=source,
            column="available_at",
        )
        qty = numeric_column(df, "quantity", source, minimum=0, integer=True)
        return cls(sku=sku, available_at=at, quantity=np.asarray(qty, dtype=np.int64))

    def ready_times(self, orders: OrderTable) -> np.ndarray:
        """Instant each order's units are all available (``NAT`` if never; paid time if the
        SKU is not in the timeline or the order has no SKU or no payment time)."""
        n = len(orders)
        ready = orders.paid_at.copy()
        labels = orders.sku.labels
        lut = {str(s): k for k, s in enumerate(labels)}
        arr_code = np.array([lut.get(str(s), -1) for s in self.sku], dtype=np.int64)
        keep = arr_code >= 0
        if not keep.any() or n == 0:
            return ready
        a_code, a_time, a_qty = arr_code[keep], self.available_at[keep], self.quantity[keep]
        tracked = np.zeros(len(labels), dtype=bool)
        tracked[a_code] = True
        codes = orders.sku.codes
        need = (codes >= 0) & (orders.paid_at != NAT)
        need &= tracked[np.where(codes >= 0, codes, 0)]
        idx = np.flatnonzero(need)
        if idx.size == 0:
            return ready
        o_code = codes[idx].astype(np.int64)
        order = np.lexsort((orders.paid_at[idx], o_code))
        idx, o_code = idx[order], o_code[order]
        o_cum = _cum_within(o_code, orders.quantity[idx])
        a_order = np.lexsort((a_time, a_code))
        a_code, a_time, a_qty = a_code[a_order], a_time[a_order], a_qty[a_order]
        a_cum = _cum_within(a_code, a_qty)
        big = int(max(o_cum.max(initial=0), a_cum.max(initial=0))) + 1
        a_key = a_code * big + a_cum
        o_key = o_code * big + o_cum
        pos = np.searchsorted(a_key, o_key, side="left")
        inside = pos < a_key.size
        inside[inside] &= a_code[pos[inside]] == o_code[inside]
        avail = np.full(idx.size, NAT, dtype=np.int64)
        avail[inside] = a_time[pos[inside]]
        got = np.where(inside, np.maximum(orders.paid_at[idx], avail), NAT)
        ready[idx] = got
        return ready


def _cum_within(codes: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``qty`` restarting at each new value of the sorted ``codes``."""
    cum = np.cumsum(qty)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    base = np.r_[0, cum[starts[1:] - 1]] if starts.size else np.zeros(0, dtype=np.int64)
    run = np.repeat(base, np.diff(np.r_[starts, codes.size]))
    return cum - run


def read_stock(path: str | Path, *, tz: str = "UTC") -> StockTimeline:
    """Read a ``sku, available_at, quantity`` CSV.

    Raises
    ------
    InputError
        If the file is missing or invalid.
    """
    path = Path(path)
    df = read_csv_frame(path)
    try:
        return StockTimeline.from_frame(df, tz=tz, source=str(path))
    except InputError as exc:
        new = with_file_line(exc, path)
        if new is exc:
            raise
        raise new from exc


def _capacity_segments(
    wh: Warehouse, first_day: int, last_day: int, tz: str
) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-constant capacity over local days ``first_day .. last_day``.

    Returns ``edges`` (UTC ns, ascending: open, close, open, close, ...) and the rate of each
    segment ``[edges[i], edges[i + 1])`` in orders per hour (``capacity`` while open, 0 while
    closed). Opening and closing instants are exact local wall-clock times (any minute, any
    UTC offset, DST included), so no capacity is snapped to whole hours.
    """
    days = LocalDays.covering(tz, first_day, last_day + 1)
    all_days = np.arange(first_day, last_day + 1, dtype=np.int64)
    lo, hi = wh.open_ns
    opens = days.wall(all_days, lo)
    closes = days.wall(all_days, hi)
    edges = np.empty(2 * all_days.size, dtype=np.int64)
    edges[0::2] = opens
    edges[1::2] = closes
    rate = np.zeros(edges.size, dtype=float)
    rate[0::2] = wh.capacity_per_hour
    return edges, rate


CHUNK = 1 << 18
"""Rows per block of the vectorised passes: temporaries stay a few MB whatever the table size."""


class _Queue:
    """Cumulative capacity ``W`` of one warehouse over a horizon long enough for its queue.

    Evaluates equation (1) block by block: the running maximum of ``W(r_j) - j`` is carried
    from one block to the next, so the result is the same as one pass over the whole queue.
    """

    def __init__(self, wh: Warehouse, tz: str, first_ready: int, last_ready: int, n: int):
        lo, hi = wh.open_ns
        daily = wh.capacity_per_hour * (hi - lo) / HOUR_NS
        if daily <= 0:
            raise InputError(
                f"warehouse {wh.name!r} has no capacity, so its orders never ship.",
                value=wh.capacity_per_hour,
            )
        first_day = first_ready // DAY_NS - 2
        last_day = last_ready // DAY_NS + int(np.ceil(n / daily)) + 3
        self.edges, self.rate = _capacity_segments(wh, first_day, last_day, tz)
        seg_h = np.diff(np.r_[self.edges, self.edges[-1]]) / HOUR_NS
        self.cum = np.concatenate(([0.0], np.cumsum(self.rate * seg_h)))
        self.carry = -np.inf
        self.k0 = 0

    def finish(self, ready: np.ndarray) -> np.ndarray:
        """Pack-completion instants of the next block of the queue (ready times ascending)."""
        edges, rate, cum = self.edges, self.rate, self.cum
        m = ready.size
        i = np.searchsorted(edges, ready, side="right") - 1
        w = (ready - edges[i]) / HOUR_NS
        w *= rate[i]
        w += cum[i]
        del i
        ks = np.arange(self.k0, self.k0 + m, dtype=float)
        w -= ks
        np.maximum.accumulate(w, out=w)
        np.maximum(w, self.carry, out=w)
        if m:
            self.carry = float(w[-1])
        ks += 1.0
        w += ks
        del ks
        self.k0 += m
        if m and w[-1] > cum[-1]:  # pragma: no cover - the horizon covers n / daily days
            raise InputError("internal horizon too short for the pick/pack queue.")
        k = np.searchsorted(cum, w, side="left") - 1
        np.clip(k, 0, rate.size - 1, out=k)
        step = rate[k]
        step[step <= 0] = 1.0
        w -= cum[k]
        w /= step
        del step
        w *= HOUR_NS
        np.round(w, out=w)
        out = w.astype(np.int64)
        out += edges[k]
        return out


def fifo_finish(ready: np.ndarray, wh: Warehouse, tz: str) -> np.ndarray:
    """Pack-completion instants of orders sorted by ready time, by equation (1).

    Capacity is piecewise constant between the exact local opening and closing instants
    (:func:`_capacity_segments`); ``W`` is linear inside each segment, so ``W(r)`` and
    ``W^{-1}`` are exact up to float rounding. The queue is evaluated in blocks of
    :data:`CHUNK` orders with the running maximum carried over.

    Parameters
    ----------
    ready : ndarray of int64
        Ready instants (UTC ns), ascending, no ``NAT``.
    wh : Warehouse
    tz : str

    Returns
    -------
    ndarray of int64
        ``pack_done`` per order (same order as ``ready``).

    Raises
    ------
    InputError
        If the warehouse never has capacity.
    """
    n = ready.size
    if n == 0:
        return ready.copy()
    q = _Queue(wh, tz, int(ready[0]), int(ready[-1]), n)
    out = np.empty(n, dtype=np.int64)
    for s in range(0, n, CHUNK):
        out[s : s + CHUNK] = q.finish(ready[s : s + CHUNK])
    return out


def cdf_by_lane(
    hours: np.ndarray, lane: np.ndarray, transits: Sequence[TransitDistribution]
) -> np.ndarray:
    """``P(transit <= hours)`` with each row's own lane distribution, in one vectorised pass.

    The per-lane quantile tables are shifted into disjoint bands ``lane * S + (q - q_0)`` so a
    single ``searchsorted`` finds every row's interval.
    """
    out = np.zeros(hours.size, dtype=float)
    if hours.size == 0:
        return out
    lane = np.asarray(lane, dtype=np.intp)
    q = np.stack([_resample(t.quantiles_hours) for t in transits])
    m = q.shape[1]
    q0, q1 = q[:, 0], q[:, -1]
    x = hours
    lo, hi = q0[lane], q1[lane]
    out[x >= hi] = 1.0
    mid = (x >= lo) & (x < hi)
    if mid.any():
        z = q - q0[:, None]
        band = float(z.max()) + 2.0
        flat = (np.arange(len(transits))[:, None] * band + z).ravel()
        lm = lane[mid]
        u = x[mid] - lo[mid]
        j = np.searchsorted(flat, lm * band + u, side="right") - 1
        kk = j - lm * m
        kk = np.clip(kk, 0, m - 2)
        z0 = z[lm, kk]
        z1 = z[lm, kk + 1]
        step = np.where(z1 > z0, z1 - z0, 1.0)
        out[mid] = (kk + np.clip((u - z0) / step, 0.0, 1.0)) / (m - 1)
    return out


def _resample(q: np.ndarray, points: int = 41) -> np.ndarray:
    if q.size == points:
        return q
    return np.interp(np.linspace(0, 1, points), np.linspace(0, 1, q.size), q)


@dataclass(frozen=True)
class Prediction:
    """Predicted outcome per order (arrays aligned with the input rows).

    Attributes
    ----------
    deadline, ready_at, pack_done, ship_at, delivery_at : ndarray of int64
        UTC ns; ``NAT`` where not applicable (no payment time, no stock; ``deadline``,
        ``ship_at`` and ``delivery_at`` also for orders not eligible). ``pack_done`` is set for
        every queued order, eligible or not: every order takes pick/pack capacity.
    p_on_time : ndarray of float
        Probability of meeting the promise (NaN where not eligible or undetermined; 0 for an
        order whose stock never arrives).
    status : ndarray of int8
        :class:`~presale_supply.sla.audit.OrderStatus` predicted with ``risk_threshold``: late
        when ``p_on_time < risk_threshold``. An order on a lane the network does not list is
        ``NOT_ELIGIBLE`` too, but is reported apart (:attr:`unknown_lane`, ``unknown_lane`` in
        :meth:`overall`, ``unknown_lanes`` in :meth:`to_dict`, ``unknown_lane`` in
        :meth:`to_frame`), never silently.
    lane_id : ndarray of int8 (int16/int32 for more lanes)
        Index of the order's lane into the transit distributions of :func:`_lane_ids`; -1
        for no served lane, :data:`UNKNOWN_LANE` for a lane the network does not list.
    """

    orders: OrderTable
    network: Network
    rule: PromiseRule
    deadline: np.ndarray
    ready_at: np.ndarray
    pack_done: np.ndarray
    ship_at: np.ndarray
    delivery_at: np.ndarray
    p_on_time: np.ndarray
    status: np.ndarray
    lane_id: np.ndarray
    risk_threshold: float

    @property
    def unknown_lane(self) -> np.ndarray:
        """Mask of orders whose lane (origin, destination, carrier) the network does not list."""
        return self.lane_id == UNKNOWN_LANE

    def unknown_lanes(self) -> list[dict[str, Any]]:
        """Each unlisted lane with its number of orders and first row (1-based)."""
        idx = np.flatnonzero(self.unknown_lane)
        if idx.size == 0:
            return []
        o = self.orders
        default = self.network.carriers[0].name
        org, dst, car = o.origin.values()[idx], o.destination.values()[idx], o.carrier.values()[idx]
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for k, a, b, c in zip(idx.tolist(), org, dst, car, strict=True):
            key = (str(a), str(b), str(c) if c is not None else default)
            if key not in out:
                out[key] = {
                    "origin": key[0],
                    "destination": key[1],
                    "carrier": key[2],
                    "orders": 0,
                    "first_row": k + 1,
                }
            out[key]["orders"] += 1
        return list(out.values())

    def expected_rate(self) -> float | None:
        """Expected on-time rate: mean ``p_on_time`` over orders with a prediction."""
        p = self.p_on_time[np.isfinite(self.p_on_time)]
        return float(p.mean()) if p.size else None

    def overall(self) -> dict[str, Any]:
        """Counts by predicted status and the expected on-time rate."""
        counts = np.bincount(self.status.astype(np.int64), minlength=4)
        out: dict[str, Any] = {s.label: int(counts[s.value]) for s in OrderStatus}
        out["unknown_lane"] = int(np.count_nonzero(self.unknown_lane))
        out["total"] = int(counts.sum())
        out["predicted"] = int(counts[0] + counts[1])
        out["expected_on_time"] = float(np.nansum(self.p_on_time))
        out["rate"] = self.expected_rate()
        return out

    def rates(self, by: Sequence[str]) -> pd.DataFrame:
        """Per group: orders, expected on-time (sum of p) and rate, predicted breaches.

        ``by`` takes the audit grouping keys (``lane``, ``paid_hour``, ``warehouse``, ...).
        """
        parts = [group_codes(self.orders, k, deadline=self.deadline) for k in by]
        inv, keys = combine_groups(parts) if parts else (np.zeros(len(self.orders), np.int64), [()])
        g = len(keys)
        ok = np.isfinite(self.p_on_time)
        n_pred = np.bincount(inv[ok], minlength=g)
        exp = np.bincount(inv[ok], weights=self.p_on_time[ok], minlength=g)
        brk = np.bincount(inv, weights=(self.status == OrderStatus.LATE), minlength=g)
        ne = np.bincount(inv, weights=(self.status == OrderStatus.NOT_ELIGIBLE), minlength=g)
        tot = np.bincount(inv, minlength=g)
        rows = []
        for i, key in enumerate(keys):
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "total": int(tot[i]),
                    "predicted": int(n_pred[i]),
                    "expected_on_time": float(exp[i]),
                    "rate": float(exp[i] / n_pred[i]) if n_pred[i] else None,
                    "predicted_breaches": int(brk[i]),
                    "not_eligible": int(ne[i]),
                }
            )
        return pd.DataFrame(rows)

    def breaches(self) -> pd.DataFrame:
        """Orders predicted to breach (``p_on_time < risk_threshold``), latest deadline last."""
        idx = np.flatnonzero(self.status == OrderStatus.LATE)
        return self._frame(idx).sort_values("deadline", kind="stable")

    def to_frame(self) -> pd.DataFrame:
        """One row per input row with every predicted time and ``p_on_time``."""
        return self._frame(np.arange(len(self.orders)))

    def _frame(self, idx: np.ndarray) -> pd.DataFrame:
        tz = self.orders.tz
        names = np.array([s.label for s in OrderStatus], dtype=object)
        label = names[self.status[idx]]
        label[self.unknown_lane[idx]] = "unknown_lane"
        return pd.DataFrame(
            {
                "order_id": self.orders.order_id[idx],
                "row": idx + 1,
                "deadline": to_datetime_index(self.deadline[idx], tz),
                "ready_at": to_datetime_index(self.ready_at[idx], tz),
                "pack_done": to_datetime_index(self.pack_done[idx], tz),
                "ship_at": to_datetime_index(self.ship_at[idx], tz),
                "delivery_at": to_datetime_index(self.delivery_at[idx], tz),
                "p_on_time": self.p_on_time[idx],
                "predicted": label,
            }
        )

    def to_dict(self, by: Sequence[str] = ("lane",), max_breaches: int = 50) -> dict[str, Any]:
        """JSON-ready summary: overall, groups, the first breaches."""
        br = self.breaches().head(max_breaches)
        return {
            "rule": self.rule.describe(),
            "risk_threshold": self.risk_threshold,
            "overall": self.overall(),
            "unknown_lanes": self.unknown_lanes(),
            "group_by": list(by),
            "groups": _records(self.rates(by)) if by else [],
            "breaches": _records(
                br.astype(
                    {
                        c: str
                        for c in br.columns
                        if c.endswith("_at") or c in ("deadline", "pack_done")
                    }
                )
            ),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {
                str(k): (
                    None
                    if isinstance(v, float) and np.isnan(v)
                    else v.item()
                    if isinstance(v, np.generic)
                    else v
                )
                for k, v in rec.items()
            }
        )
    return out


UNKNOWN_LANE = -2
"""Lane id of an order whose (origin, destination, carrier) the network does not list."""


def _lane_dtype(count: int) -> type[np.signedinteger[Any]]:
    """Narrowest signed integer type holding lane ids ``-2 .. count - 1``."""
    for t in (np.int8, np.int16, np.int32):
        if count - 1 <= np.iinfo(t).max:
            return t
    return np.int64  # pragma: no cover


def _lane_ids(orders: OrderTable, network: Network) -> tuple[np.ndarray, list[TransitDistribution]]:
    """Lane index per order into the returned transit list (the narrowest integer type).

    ``-1``: no served lane (a lane declared ``served = false``, or origin/destination missing);
    :data:`UNKNOWN_LANE` (``-2``): the network does not list the lane at all. Evaluated in
    blocks of :data:`CHUNK` rows so that no order-sized int64 temporary is made.
    """
    n = len(orders)
    o, d, c = orders.origin, orders.destination, orders.carrier
    default = network.carriers[0].name
    nd, nc = len(d.labels) + 1, len(c.labels) + 1
    space = (len(o.labels) + 1) * nd * nc
    blocks = [slice(s, s + CHUNK) for s in range(0, n, CHUNK)]

    def combo(sl: slice) -> np.ndarray:
        out = o.codes[sl].astype(np.int64)
        out += 1
        out *= nd
        out += d.codes[sl]
        out += 1
        out *= nc
        out += c.codes[sl]
        out += 1
        return out

    dense = space <= max(n, 1 << 16)
    if dense:  # a flag per possible (origin, destination, carrier) combination
        seen_combo = np.zeros(space, dtype=bool)
        for sl in blocks:
            seen_combo[combo(sl)] = True
        uniq = np.flatnonzero(seen_combo)
        del seen_combo
    else:
        parts = [np.unique(combo(sl)) for sl in blocks]
        uniq = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    transits: list[TransitDistribution] = []
    seen: dict[int, int] = {}
    lut = np.full(uniq.size, -1, dtype=np.int64)
    for i, u in enumerate(uniq.tolist()):
        ci, rest = u % nc, u // nc
        di, oi = rest % nd, rest // nd
        if oi == 0 or di == 0:
            continue
        carrier = str(c.labels[ci - 1]) if ci else default
        lane = network.lane(str(o.labels[oi - 1]), str(d.labels[di - 1]), carrier)
        if lane is None:
            lut[i] = UNKNOWN_LANE
            continue
        if lane.transit is None:
            continue
        key = id(lane)
        if key not in seen:
            seen[key] = len(transits)
            transits.append(lane.transit)
        lut[i] = seen[key]
    dtype = _lane_dtype(len(transits))
    out = np.empty(n, dtype=dtype)
    if dense:
        table = np.full(space, -1, dtype=dtype)
        table[uniq] = lut
        for sl in blocks:
            out[sl] = table[combo(sl)]
    else:
        small = lut.astype(dtype)
        for sl in blocks:
            out[sl] = small[np.searchsorted(uniq, combo(sl))]
    return out, transits


def predict(
    orders: OrderTable,
    network: Network,
    rule: PromiseRule | None = None,
    *,
    stock: StockTimeline | None = None,
    risk_threshold: float = 0.5,
    ship_at_pack: bool = False,
    ready_at: np.ndarray | None = None,
    executor: Executor | None = None,
) -> Prediction:
    """Predict pack, ship and delivery times and ``P(on time)`` for every order.

    Parameters
    ----------
    orders : OrderTable
        Paid orders (actual ship/delivery columns, if any, are ignored). Its ``tz`` should be
        the network's; the network's zone is used for cut-offs, pick-ups and opening hours.
    network : Network
    rule : PromiseRule, optional
        Default: delivered within 48 hours of payment.
    stock : StockTimeline, optional
        Stock arrivals; an order waits until its units are available.
    risk_threshold : float
        Orders with ``p_on_time`` below it are predicted to breach (default 0.5).
    ship_at_pack : bool
        What-if relaxation used by capacity sizing: ignore cut-offs and pick-up times and ship
        the moment packing is done.
    ready_at : ndarray of int64, optional
        Ready instants per order computed beforehand (overrides ``stock``); used by capacity
        sizing to keep the stock allocation of the whole table when predicting a part of it.
    executor : concurrent.futures.Executor, optional
        Run the warehouses' queues concurrently on it (a process pool such as
        :func:`presale_supply.parallel.default_executor`, or a Dask ``distributed`` client's
        ``get_executor()``). Warehouses share nothing once every order's ready time is known:
        each has its own pick/pack queue and cut-off, carriers have no capacity and their
        pick-up times are the same at every warehouse. The ready times (the stock allocation,
        which *is* shared by warehouses selling the same SKU) and the transit step stay in this
        process, so the prediction is identical to the run without one. Default: this process.

    Every order with a ready time and a warehouse joins its warehouse's queue and takes
    capacity -- also orders without a promise (``ineligible_lanes``), on unserved lanes or on
    lanes the network does not list: they are packed all the same. Only eligible orders on
    served lanes get ship and delivery times and ``p_on_time``.

    Returns
    -------
    Prediction

    Raises
    ------
    InputError
        An order's warehouse or carrier is not in the network (naming the row), or a bad
        threshold.
    """
    if not 0.0 < risk_threshold <= 1.0:
        raise InputError("risk_threshold must be in (0, 1].", value=risk_threshold)
    rule = rule or PromiseRule()
    n = len(orders)
    tz = network.tz
    prom = compute_promises(orders, rule)
    deadline = prom.deadline  # a fresh array: masked in place at the end
    lane_id, transits = _lane_ids(orders, network)
    eligible = prom.eligible  # fresh too
    eligible &= lane_id >= 0
    if ready_at is not None:
        ready = np.asarray(ready_at, dtype=np.int64)
        if ready.shape != (n,):
            raise InputError("ready_at needs one instant per order.", value=ready.shape)
    else:
        ready = stock.ready_times(orders) if stock is not None else orders.paid_at
    wh_cat = orders.warehouse
    wh_codes = wh_cat.codes
    carrier_codes = orders.carrier.codes
    queued = ready != NAT
    active = eligible & queued
    missing_wh = active & (wh_codes < 0)
    reject_first(
        missing_wh,
        "an order needs a warehouse (or an origin) to be predicted.",
        file=orders.source,
        column="warehouse",
    )
    del missing_wh
    if not ship_at_pack:
        _check_carriers(orders, network, active)
    pack = np.full(n, NAT, dtype=np.int64)
    ship = np.full(n, NAT, dtype=np.int64)
    # Every order with a ready time takes capacity, promised or not.
    queued &= wh_codes >= 0
    carrier_labels = orders.carrier.labels
    remote: list[tuple[np.ndarray, Partition]] = []
    for wi, name in enumerate(wh_cat.labels.tolist()):
        in_wh = wh_codes == wi
        in_wh &= queued
        rows = np.flatnonzero(in_wh)
        del in_wh
        if rows.size == 0:
            continue
        wh = network.warehouse(str(name))
        if wh is None:
            need = rows[active[rows]]
            if need.size == 0:
                continue  # only unpromised orders: nothing to predict, no queue to model
            raise InputError(
                f"warehouse not in the network; known: {[w.name for w in network.warehouses]}.",
                file=orders.source,
                row=int(need[0]) + 1,
                column="warehouse",
                value=name,
            )
        rows = _by_ready(rows, ready)
        if executor is not None:
            args = (ready[rows], wh, network, carrier_labels, carrier_codes[rows], tz)
            part = Partition(f"warehouse {name}", (*args, active[rows], ship_at_pack))
            remote.append((rows, part))
            continue
        _queue_warehouse(
            rows,
            ready,
            wh,
            network,
            carrier_labels,
            carrier_codes,
            tz,
            active,
            ship_at_pack,
            pack,
            ship,
        )
        del rows
    if remote:
        done = run_partitions(_warehouse_part, [part for _, part in remote], executor)
        for (rows, _), (pack_w, ship_w) in zip(remote, done, strict=True):
            pack[rows] = pack_w
            ship[rows] = ship_w
        del remote, done
    del queued
    dlv = np.full(n, NAT, dtype=np.int64)
    p = np.full(n, np.nan)
    if transits:
        med_ns = np.round(np.array([t.median() for t in transits]) * HOUR_NS).astype(np.int64)
        deliver_by = rule.anchor is PromiseAnchor.DELIVER_BY
        for s in range(0, n, CHUNK):
            sl = slice(s, s + CHUNK)
            sh, dl, lane = ship[sl], deadline[sl], lane_id[sl]
            has = sh != NAT
            if not has.any():
                continue
            dlv_b, p_b = dlv[sl], p[sl]  # views: written through
            dlv_b[has] = sh[has] + med_ns[lane[has]]
            ok = has & (dl != NAT)
            if deliver_by:
                slack = (dl[ok] - sh[ok]) / HOUR_NS
                p_b[ok] = cdf_by_lane(slack, lane[ok], transits)
            else:
                p_b[ok] = (sh[ok] <= dl[ok]).astype(float)
    no_stock = ready == NAT
    no_stock &= eligible
    no_stock &= orders.paid_at != NAT
    no_stock &= deadline != NAT
    p[no_stock] = 0.0
    del no_stock
    status = np.full(n, OrderStatus.UNDETERMINED, dtype=np.int8)
    fin = np.isfinite(p)
    status[fin & (p >= risk_threshold)] = OrderStatus.ON_TIME
    status[fin & (p < risk_threshold)] = OrderStatus.LATE
    del fin
    not_eligible = ~eligible
    status[not_eligible] = OrderStatus.NOT_ELIGIBLE
    deadline[not_eligible] = NAT
    return Prediction(
        orders=orders,
        network=network,
        rule=rule,
        deadline=deadline,
        ready_at=ready,
        pack_done=pack,
        ship_at=ship,
        delivery_at=dlv,
        p_on_time=p,
        status=status,
        lane_id=lane_id,
        risk_threshold=risk_threshold,
    )


def _by_ready(rows: np.ndarray, ready: np.ndarray) -> np.ndarray:
    """``rows`` reordered by ready time (stable); unchanged if already in that order."""
    ordered = True
    prev = None
    for s in range(0, rows.size, CHUNK):
        r = ready[rows[s : s + CHUNK]]
        if (prev is not None and r[0] < prev) or not np.all(r[1:] >= r[:-1]):
            ordered = False
            break
        prev = r[-1]
    if ordered:
        return rows
    srt = np.argsort(ready[rows], kind="stable")
    return rows[srt]


def _warehouse_part(
    ready: np.ndarray,
    wh: Warehouse,
    network: Network,
    carrier_labels: np.ndarray,
    carrier_codes: np.ndarray,
    tz: str,
    active: np.ndarray,
    ship_at_pack: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """One warehouse's queue on its own rows (sorted by ready time): ``(pack, ship)``.

    The partition that :func:`predict` sends to an executor; it runs the same
    :func:`_queue_warehouse` on local row numbers, so the instants are the same.
    """
    m = ready.size
    pack = np.full(m, NAT, dtype=np.int64)
    ship = np.full(m, NAT, dtype=np.int64)
    rows = np.arange(m, dtype=np.intp)
    _queue_warehouse(
        rows,
        ready,
        wh,
        network,
        carrier_labels,
        carrier_codes,
        tz,
        active,
        ship_at_pack,
        pack,
        ship,
    )
    return pack, ship


def _queue_warehouse(
    rows: np.ndarray,
    ready: np.ndarray,
    wh: Warehouse,
    network: Network,
    carrier_labels: np.ndarray,
    carrier_codes: np.ndarray,
    tz: str,
    active: np.ndarray,
    ship_at_pack: bool,
    pack: np.ndarray,
    ship: np.ndarray,
) -> None:
    """Pack and ship times of one warehouse's queue (``rows`` sorted by ready time), block by
    block, written into ``pack`` (every queued order) and ``ship`` (active orders only)."""
    m = rows.size
    queue = _Queue(wh, tz, int(ready[rows[0]]), int(ready[rows[-1]]), m)
    for s in range(0, m, CHUNK):
        blk = rows[s : s + CHUNK]
        pack[blk] = queue.finish(ready[blk])
    if ship_at_pack:
        for s in range(0, m, CHUNK):
            blk = rows[s : s + CHUNK]
            blk = blk[active[blk]]
            ship[blk] = pack[blk]
        return
    # One calendar for the whole queue: it covers the first ready and the last pack-done
    # instants of every order in it, so each block reads the same cut-offs and pick-ups.
    ends = np.array([ready[rows[0]], ready[rows[-1]], pack[rows[-1]]], dtype=np.int64)
    pickups: _Pickups | None = None
    for s in range(0, m, CHUNK):
        blk = rows[s : s + CHUNK]
        blk = blk[active[blk]]
        if blk.size:
            if pickups is None:
                pickups = _Pickups(ends, wh, network, carrier_labels, tz)
            pickups.ship(ready[blk], pack[blk], blk, carrier_codes, ship)


def _check_carriers(orders: OrderTable, network: Network, rows_mask: np.ndarray) -> None:
    """Raise naming the orders file, row and column for a carrier the network lacks."""
    codes = orders.carrier.codes
    known = {c.name for c in network.carriers}
    for ci, label in enumerate(orders.carrier.labels.tolist()):
        if str(label) in known:
            continue
        hit = np.flatnonzero(rows_mask & (codes == ci))
        if hit.size:
            raise InputError(
                f"carrier not in the network {network.source}; known: {sorted(known)}.",
                file=orders.source,
                row=int(hit[0]) + 1,
                column="carrier",
                value=str(label),
            )


class _Pickups:
    """Cut-off and pick-up instants of one warehouse over the local days of its queue."""

    def __init__(
        self,
        ends: np.ndarray,
        wh: Warehouse,
        network: Network,
        carrier_labels: np.ndarray,
        tz: str,
    ):
        self.days = LocalDays.around(tz, ends, pad_days=3)
        self.lo_day = self.days.first
        all_days = np.arange(self.lo_day, self.days.last + 1)
        self.cutoff_inst = self.days.wall(all_days, wh.cutoff_ns)
        self.network, self.carrier_labels, self.all_days = network, carrier_labels, all_days
        self.grids: dict[int, np.ndarray] = {}

    def grid(self, ci: int) -> np.ndarray:
        """Pick-up instants of carrier code ``ci`` (``-1``: default carrier), (days, m)."""
        if ci not in self.grids:
            name = None if ci < 0 else str(self.carrier_labels[ci])
            pk = self.network.carrier(name).pickups_ns
            self.grids[ci] = np.stack([self.days.wall(self.all_days, int(t)) for t in pk], axis=1)
        return self.grids[ci]

    def ship(
        self,
        ready: np.ndarray,
        done: np.ndarray,
        rows: np.ndarray,
        carrier_codes: np.ndarray,
        out: np.ndarray,
    ) -> None:
        """First pick-up at or after ``done`` on or after the release day, into ``out[rows]``."""
        lo_day = self.lo_day
        rday = self.days.day_of(ready)
        release = rday + (ready > self.cutoff_inst[rday - lo_day])
        ccodes = carrier_codes[rows]
        for ci in np.unique(ccodes).tolist():
            sel = ccodes == ci
            grid = self.grid(int(ci))
            flat = grid.ravel()
            pos = np.searchsorted(flat, done[sel], side="left")
            if (pos >= flat.size).any():
                raise InputError("internal horizon too short for pick-ups.")  # pragma: no cover
            first_of_release = grid[release[sel] - lo_day, 0]
            out[rows[sel]] = np.maximum(flat[pos], first_of_release)


def stock_from_frame(df: pd.DataFrame, tz: str = "UTC") -> StockTimeline:
    """Shorthand for :meth:`StockTimeline.from_frame`."""
    return StockTimeline.from_frame(df, tz=tz)
