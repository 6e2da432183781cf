"""The logistics network: warehouses, carriers, lanes and their transit-time distributions.

A network is data, loaded from TOML (or JSON, same structure) by :func:`load_network`::

    timezone = "Asia/Shanghai"          # local days, cut-offs, pick-ups and opening hours

    [[warehouse]]
    name = "WH-East"                    # matches the orders' warehouse column (or origin)
    capacity_per_hour = 2000            # orders picked and packed per open hour
    cutoff = "20:00"                    # paid (ready) at or before -> may leave that day
    open_from = "08:00"                 # optional, default "00:00"
    open_until = "24:00"                # optional, default "24:00"

    [[carrier]]
    name = "SF"
    pickups = ["12:00", "21:00"]        # daily pick-up times at every warehouse

    [[lane]]
    origin = "WH-East"                  # the orders' origin
    destination = "Shanghai"
    carrier = "*"                       # optional: one carrier, or "*" (default) for any
    median_hours = 20                   # lognormal transit: median and log-sd
    sigma = 0.3
    # or: quantiles_hours = [10, 14, 18, 30]   (evenly spaced probabilities 0..1)
    # or: fixed_hours = 24
    # served = false                    # an unserved lane: orders on it are not eligible

An order's lane is (origin, destination, carrier); a carrier-specific lane wins over ``"*"``.
"""

from __future__ import annotations

import json
import statistics
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from presale_supply.exceptions import InputError
from presale_supply.sla._time import HOUR_NS, NAT, _check_zone, parse_clock
from presale_supply.sla.orders import OrderTable

__all__ = [
    "Carrier",
    "Lane",
    "Network",
    "TransitDistribution",
    "Warehouse",
    "fit_transit",
    "load_network",
]

_QUANTILES = 41


@dataclass(frozen=True, eq=False)
class TransitDistribution:
    """Transit time (hand-over to delivery) as hours at evenly spaced probabilities 0..1.

    ``quantiles_hours[k]`` is the transit time not exceeded with probability
    ``k / (len - 1)``; the CDF interpolates linearly between them.

    Raises
    ------
    InputError
        Fewer than two values, a negative or non-finite value, or values not ascending.
    """

    quantiles_hours: np.ndarray

    def __post_init__(self) -> None:
        q = np.asarray(self.quantiles_hours, dtype=float)
        if q.ndim != 1 or q.size < 2 or not np.all(np.isfinite(q)) or (q < 0).any():
            raise InputError(
                "transit quantiles must be at least two finite hours >= 0.", value=list(q)
            )
        if np.any(np.diff(q) < 0):
            raise InputError("transit quantiles must be ascending.", value=list(q))
        object.__setattr__(self, "quantiles_hours", q)

    @classmethod
    def fixed(cls, hours: float) -> TransitDistribution:
        """Always exactly ``hours``."""
        return cls(np.array([hours, hours], dtype=float))

    @classmethod
    def lognormal(cls, median_hours: float, sigma: float) -> TransitDistribution:
        """Lognormal with the given median (hours) and standard deviation of log-hours.

        Tails are cut at probabilities 0.1% and 99.9%.
        """
        if not median_hours > 0 or sigma < 0:
            raise InputError(
                "lognormal transit needs median_hours > 0 and sigma >= 0.",
                value=(median_hours, sigma),
            )
        probs = np.linspace(0.001, 0.999, _QUANTILES)
        z = np.array([statistics.NormalDist().inv_cdf(float(p)) for p in probs])
        return cls(median_hours * np.exp(sigma * z))

    @classmethod
    def from_samples(cls, hours: np.ndarray, points: int = _QUANTILES) -> TransitDistribution:
        """Empirical distribution of observed transit hours (negative values are an error)."""
        h = np.asarray(hours, dtype=float)
        h = h[np.isfinite(h)]
        if h.size == 0:
            raise InputError("no transit observations to fit.")
        return cls(np.quantile(h, np.linspace(0.0, 1.0, points)))

    def median(self) -> float:
        """Median transit in hours."""
        q = self.quantiles_hours
        return float(np.interp(0.5, np.linspace(0, 1, q.size), q))

    def quantile(self, p: float) -> float:
        """Transit hours not exceeded with probability ``p``."""
        q = self.quantiles_hours
        return float(np.interp(p, np.linspace(0, 1, q.size), q))

    def cdf(self, hours: np.ndarray) -> np.ndarray:
        """P(transit <= hours): the piecewise-linear CDF through ``(quantiles_hours[k],
        k / (len - 1))`` (ties: the highest probability at the tied value)."""
        q = self.quantiles_hours
        x0 = np.asarray(hours, dtype=float)
        x = x0.reshape(-1)
        if q[0] == q[-1]:
            return (x0 >= q[0]).astype(float)
        m = q.size
        # Last quantile index at or below x: with tied quantiles the CDF jumps to the highest
        # probability of the tie *at* the tied value, and interpolates from there to the
        # *lowest* probability of the next (larger) value.
        k = np.searchsorted(q, x, side="right") - 1
        out = np.where(k >= m - 1, 1.0, 0.0)
        mid = (k >= 0) & (k < m - 1)
        km = k[mid]
        q0, q1 = q[km], q[km + 1]
        out[mid] = (km + (x[mid] - q0) / (q1 - q0)) / (m - 1)
        return out.reshape(x0.shape)


@dataclass(frozen=True)
class Warehouse:
    """A pick/pack site: ``capacity_per_hour`` orders per open hour, daily ``cutoff``.

    Raises
    ------
    InputError
        Negative capacity or unreadable times.
    """

    name: str
    capacity_per_hour: float
    cutoff: str = "24:00"
    open_from: str = "00:00"
    open_until: str = "24:00"

    def __post_init__(self) -> None:
        if not np.isfinite(self.capacity_per_hour) or self.capacity_per_hour < 0:
            raise InputError(
                f"warehouse {self.name!r}: capacity_per_hour must be >= 0.",
                value=self.capacity_per_hour,
            )
        parse_clock(self.cutoff, what=f"warehouse {self.name!r} cutoff")
        lo = parse_clock(self.open_from, what=f"warehouse {self.name!r} open_from")
        hi = parse_clock(self.open_until, what=f"warehouse {self.name!r} open_until")
        if hi <= lo:
            raise InputError(
                f"warehouse {self.name!r}: open_until must be after open_from.",
                value=(self.open_from, self.open_until),
            )

    @property
    def cutoff_ns(self) -> int:
        """Cut-off as nanoseconds after local midnight."""
        return parse_clock(self.cutoff, what="cutoff")

    @property
    def open_ns(self) -> tuple[int, int]:
        """Opening window as nanoseconds after local midnight."""
        return parse_clock(self.open_from, what="open_from"), parse_clock(
            self.open_until, what="open_until"
        )


@dataclass(frozen=True)
class Carrier:
    """A carrier with daily pick-up times (local wall clock) at every warehouse.

    Raises
    ------
    InputError
        No pick-up times or an unreadable one.
    """

    name: str
    pickups: tuple[str, ...] = ("18:00",)

    def __post_init__(self) -> None:
        if not self.pickups:
            raise InputError(f"carrier {self.name!r} needs at least one pick-up time.")
        for p in self.pickups:
            parse_clock(p, what=f"carrier {self.name!r} pick-up")

    @property
    def pickups_ns(self) -> np.ndarray:
        """Sorted pick-up times as nanoseconds after local midnight."""
        return np.sort(
            np.array([parse_clock(p, what="pickup") for p in self.pickups], dtype=np.int64)
        )


@dataclass(frozen=True)
class Lane:
    """Transit from ``origin`` to ``destination`` by ``carrier`` (``"*"`` = any carrier)."""

    origin: str
    destination: str
    transit: TransitDistribution | None
    carrier: str = "*"

    @property
    def served(self) -> bool:
        """False for a lane declared unserved."""
        return self.transit is not None


@dataclass(frozen=True)
class Network:
    """Warehouses, carriers and lanes, in the time zone ``tz``.

    Raises
    ------
    InputError
        Duplicate names or no carrier.
    """

    warehouses: tuple[Warehouse, ...]
    carriers: tuple[Carrier, ...]
    lanes: tuple[Lane, ...]
    tz: str = "UTC"
    source: str = "<network>"
    _lane_index: dict[tuple[str, str, str], int] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        for kind, names in (
            ("warehouse", [w.name for w in self.warehouses]),
            ("carrier", [c.name for c in self.carriers]),
        ):
            dup = {x for x in names if names.count(x) > 1}
            if dup:
                raise InputError(f"duplicate {kind} name.", file=self.source, value=sorted(dup)[0])
        if not self.carriers:
            raise InputError("the network needs at least one [[carrier]].", file=self.source)
        index: dict[tuple[str, str, str], int] = {}
        for k, lane in enumerate(self.lanes):
            key = (lane.origin, lane.destination, lane.carrier)
            if key in index:
                raise InputError("lane listed twice.", file=self.source, value=key)
            index[key] = k
        self._lane_index.update(index)

    def warehouse(self, name: str) -> Warehouse | None:
        """The warehouse called ``name`` (None if absent)."""
        return next((w for w in self.warehouses if w.name == name), None)

    def carrier(self, name: str | None) -> Carrier:
        """The carrier called ``name``; the first carrier when ``name`` is None."""
        if name is None:
            return self.carriers[0]
        found = next((c for c in self.carriers if c.name == name), None)
        if found is None:
            raise InputError(
                f"carrier not in the network; known: {[c.name for c in self.carriers]}.",
                file=self.source,
                value=name,
            )
        return found

    def lane(self, origin: str, destination: str, carrier: str) -> Lane | None:
        """The lane for an order: carrier-specific first, then ``"*"``; None if none."""
        k = self._lane_index.get((origin, destination, carrier))
        if k is None:
            k = self._lane_index.get((origin, destination, "*"))
        return None if k is None else self.lanes[k]

    def with_capacity(self, capacity: Mapping[str, float]) -> Network:
        """A copy with some warehouses' hourly capacity replaced."""
        whs = tuple(
            replace(w, capacity_per_hour=float(capacity[w.name])) if w.name in capacity else w
            for w in self.warehouses
        )
        return Network(whs, self.carriers, self.lanes, self.tz, self.source)

    def with_lanes(self, lanes: Sequence[Lane]) -> Network:
        """A copy with the lanes replaced (e.g. by :func:`fit_transit`)."""
        return Network(self.warehouses, self.carriers, tuple(lanes), self.tz, self.source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<network>") -> Network:
        """Build from the TOML/JSON structure in the module docstring.

        Raises
        ------
        InputError
            Unknown keys, missing fields or invalid values, naming the entry.
        """

        def entries(key: str) -> list[Mapping[str, Any]]:
            val = data.get(key, [])
            if not isinstance(val, list):
                raise InputError(f"{key} must be a list of tables ([[{key}]]).", file=source)
            return val

        unknown = set(data) - {"timezone", "warehouse", "carrier", "lane"}
        if unknown:
            raise InputError(
                "unknown top-level key; valid: timezone, warehouse, carrier, lane.",
                file=source,
                value=sorted(unknown)[0],
            )
        whs = []
        for k, w in enumerate(entries("warehouse")):
            _check_keys(
                w,
                {"name", "capacity_per_hour", "cutoff", "open_from", "open_until"},
                f"warehouse #{k + 1}",
                source,
            )
            try:
                whs.append(
                    Warehouse(
                        name=str(w["name"]),
                        capacity_per_hour=float(w["capacity_per_hour"]),
                        cutoff=str(w.get("cutoff", "24:00")),
                        open_from=str(w.get("open_from", "00:00")),
                        open_until=str(w.get("open_until", "24:00")),
                    )
                )
            except KeyError as exc:
                raise InputError(f"warehouse #{k + 1} needs {exc.args[0]!r}.", file=source) from exc
            except (TypeError, ValueError) as exc:
                if isinstance(exc, InputError):
                    raise InputError(exc.reason, file=source, value=exc.value) from exc
                raise InputError(f"warehouse #{k + 1}: {exc}", file=source) from exc
        carriers = []
        for k, c in enumerate(entries("carrier")):
            _check_keys(c, {"name", "pickups"}, f"carrier #{k + 1}", source)
            if "name" not in c:
                raise InputError(f"carrier #{k + 1} needs 'name'.", file=source)
            pickups = c.get("pickups", ["18:00"])
            if not isinstance(pickups, list):
                raise InputError(
                    f"carrier #{k + 1}: pickups must be a list of times such as ['12:00'].",
                    file=source,
                    value=pickups,
                )
            try:
                carriers.append(
                    Carrier(name=str(c["name"]), pickups=tuple(str(p) for p in pickups))
                )
            except InputError as exc:
                raise InputError(
                    f"carrier #{k + 1}: {exc.reason}", file=source, value=exc.value
                ) from exc
        lanes = []
        for k, ln in enumerate(entries("lane")):
            _check_keys(
                ln,
                {
                    "origin",
                    "destination",
                    "carrier",
                    "median_hours",
                    "sigma",
                    "quantiles_hours",
                    "fixed_hours",
                    "served",
                },
                f"lane #{k + 1}",
                source,
            )
            for req in ("origin", "destination"):
                if req not in ln:
                    raise InputError(f"lane #{k + 1} needs {req!r}.", file=source)
            served = ln.get("served", True)
            if not isinstance(served, bool):
                raise InputError(
                    f"lane #{k + 1}: served must be the boolean true or false (unquoted).",
                    file=source,
                    value=served,
                )
            transit: TransitDistribution | None
            try:
                if not served:
                    transit = None
                elif "quantiles_hours" in ln:
                    qs = ln["quantiles_hours"]
                    if not isinstance(qs, list) or not all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) for v in qs
                    ):
                        raise InputError(
                            "quantiles_hours must be a list of numbers of hours.", value=qs
                        )
                    transit = TransitDistribution(np.asarray(qs, dtype=float))
                elif "fixed_hours" in ln:
                    transit = TransitDistribution.fixed(_number(ln["fixed_hours"], "fixed_hours"))
                elif "median_hours" in ln:
                    transit = TransitDistribution.lognormal(
                        _number(ln["median_hours"], "median_hours"),
                        _number(ln.get("sigma", 0.0), "sigma"),
                    )
                else:
                    raise InputError(
                        "needs median_hours (+ sigma), quantiles_hours, fixed_hours or "
                        "served = false."
                    )
            except InputError as exc:
                raise InputError(
                    f"lane #{k + 1}: {exc.reason}", file=source, value=exc.value
                ) from exc
            lanes.append(
                Lane(
                    str(ln["origin"]), str(ln["destination"]), transit, str(ln.get("carrier", "*"))
                )
            )
        tz = data.get("timezone", "UTC")
        try:
            if not isinstance(tz, str):
                raise InputError("timezone must be a string.")
            _check_zone(tz)
        except InputError as exc:
            raise InputError(
                "timezone: unknown time zone; use an IANA name such as 'Asia/Shanghai' or 'UTC'.",
                file=source,
                value=tz,
            ) from exc
        return cls(tuple(whs), tuple(carriers), tuple(lanes), tz, source)

    def to_dict(self) -> dict[str, Any]:
        """The TOML/JSON structure (transit as quantiles)."""
        return {
            "timezone": self.tz,
            "warehouse": [
                {
                    "name": w.name,
                    "capacity_per_hour": w.capacity_per_hour,
                    "cutoff": w.cutoff,
                    "open_from": w.open_from,
                    "open_until": w.open_until,
                }
                for w in self.warehouses
            ],
            "carrier": [{"name": c.name, "pickups": list(c.pickups)} for c in self.carriers],
            "lane": [
                {"origin": ln.origin, "destination": ln.destination, "carrier": ln.carrier}
                | (
                    {"served": False}
                    if ln.transit is None
                    else {
                        "quantiles_hours": [round(float(x), 4) for x in ln.transit.quantiles_hours]
                    }
                )
                for ln in self.lanes
            ],
        }


def _number(value: Any, what: str) -> float:
    """A TOML/JSON number (not a string, not a boolean) as float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{what} must be a number.", value=value)
    return float(value)


def _check_keys(entry: Mapping[str, Any], valid: set[str], what: str, source: str) -> None:
    if not isinstance(entry, Mapping):
        raise InputError(f"{what} must be a table.", file=source, value=entry)
    unknown = set(entry) - valid
    if unknown:
        raise InputError(
            f"{what}: unknown key; valid: {sorted(valid)}.", file=source, value=sorted(unknown)[0]
        )


def load_network(path: str | Path) -> Network:
    """Read a network from a ``.toml`` or ``.json`` file.

    Raises
    ------
    InputError
        If the file is missing, unreadable or invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read network file: {exc.strerror}.", file=str(path)) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {exc}", file=str(path)
        ) from exc
    return Network.from_dict(data, source=str(path))


def fit_transit(
    orders: OrderTable, *, min_observations: int = 20, by_carrier: bool = False
) -> list[Lane]:
    """Fit empirical transit distributions per lane from audited history.

    Transit is ``delivered_at - shipped_at`` of orders that have both, with the delivery not
    before the hand-over (faulty rows are left out of the fit, and the count is in the audit's
    quality report). Lanes with fewer than ``min_observations`` are not returned.

    Returns
    -------
    list of Lane
    """
    ship, dlv = orders.shipped_at, orders.delivered_at
    ok = (ship != NAT) & (dlv != NAT) & (dlv >= ship)
    ok &= (orders.origin.codes >= 0) & (orders.destination.codes >= 0)
    if by_carrier:
        ok &= orders.carrier.codes >= 0
    hours = (dlv[ok] - ship[ok]) / HOUR_NS
    nd = len(orders.destination.labels)
    nc = len(orders.carrier.labels) if by_carrier else 1
    key = orders.origin.codes[ok].astype(np.int64) * nd + orders.destination.codes[ok]
    if by_carrier:
        key = key * nc + orders.carrier.codes[ok]
    order = np.argsort(key, kind="stable")
    key, hours = key[order], hours[order]
    uniq, start, counts = np.unique(key, return_index=True, return_counts=True)
    lanes = []
    for u, s, c in zip(uniq.tolist(), start.tolist(), counts.tolist(), strict=True):
        if c < min_observations:
            continue
        carrier = orders.carrier.labels[u % nc] if by_carrier else "*"
        od = u // nc
        lanes.append(
            Lane(
                str(orders.origin.labels[od // nd]),
                str(orders.destination.labels[od % nd]),
                TransitDistribution.from_samples(hours[s : s + c]),
                str(carrier),
            )
        )
    return lanes
