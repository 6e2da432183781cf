"""Classic capacitated lot sizing as a special case of the presale planner.

:func:`lot_sizing_problem` turns a lot-sizing instance (items, periods, one resource) into a
:class:`~presale_supply.data.Problem` with one supplier, lead time 0, an order round every day,
no lock, no capacity buffer and no shortage allowed. :func:`read_trigeiro` reads the
Trigeiro-Thomas-McClain (1989) file format of ``shared/data/lotsizing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from presale_supply.campaign import Campaign, Stage
from presale_supply.data import Demand, Policy, Problem, Shortage, Skus, Suppliers
from presale_supply.exceptions import InputError

__all__ = ["LotSizingInstance", "lot_sizing_problem", "read_trigeiro"]


@dataclass(frozen=True, eq=False)
class LotSizingInstance:
    """A multi-item capacitated lot-sizing instance (one resource).

    Attributes
    ----------
    name : str
    demand : ndarray (N, T)
    capacity : ndarray (T,)
        Capacity per period.
    unit_time, holding_cost, setup_time, setup_cost : ndarray (N,)
    unit_cost : ndarray (N,)
        Production cost per unit (zero in the Trigeiro set).
    """

    name: str
    demand: np.ndarray
    capacity: np.ndarray
    unit_time: np.ndarray
    holding_cost: np.ndarray
    setup_time: np.ndarray
    setup_cost: np.ndarray
    unit_cost: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(items, periods)."""
        return (int(self.demand.shape[0]), int(self.demand.shape[1]))


def lot_sizing_problem(
    inst: LotSizingInstance, *, unit_times: bool = False, continuous: bool = False
) -> Problem:
    """The planner problem equal to ``inst``.

    Parameters
    ----------
    inst : LotSizingInstance
    unit_times : bool
        Set every unit production time to 1 (the "tr6-15" variant of G30 in the literature).
    continuous : bool
        Continuous production quantities, as in the literature's CLSP (its reference optima
        assume them; G21's is 40,638.70 continuous against 40,648 in whole units). Needs an
        LP-based backend.
    """
    N, T = inst.shape
    ids = [f"item{k + 1}" for k in range(N)]
    skus = Skus.from_frame(
        pd.DataFrame(
            {
                "sku": ids,
                "category": "item",
                "supplier": "plant",
                "unit_cost": inst.unit_cost,
                "holding_cost": inst.holding_cost,
                "capacity_per_unit": np.ones(N) if unit_times else inst.unit_time,
                "capacity_per_order": inst.setup_time,
                "order_cost": inst.setup_cost,
                "shortage_penalty": 0.0,
            }
        ),
        source=inst.name,
    )
    cap = np.asarray(inst.capacity, dtype=float)
    suppliers = Suppliers.from_frame(
        pd.DataFrame(
            {
                "supplier": ["plant"],
                "capacity_per_day": [float(cap.max())],
                "lead_time_days": [0],
                "capacity_guarantee": [False],
            }
        ),
        source=inst.name,
    )
    return Problem(
        campaign=Campaign((Stage("horizon", T),), name=inst.name),
        skus=skus,
        suppliers=suppliers,
        demand=Demand(np.asarray(inst.demand, dtype=np.int64)[None], np.ones(1)),
        policy=Policy(
            rounds=tuple(range(1, T + 1)),
            lock_ratio=0.0,
            capacity_buffer=0.0,
            shortage=Shortage.NONE,
            integer_quantities=not continuous,
        ),
        capacity=cap[None, :],
    )


def read_trigeiro(path: str | Path) -> LotSizingInstance:
    """Read a Trigeiro-format lot-sizing file (G, F and X files; CRLF tolerated).

    Format: ``N T``; ``R`` (resources, must be 1); ``C`` (capacity per period); ``N`` lines
    ``b h st sc`` (unit time, holding cost, setup time, setup cost); then demand, one line per
    period with at most 15 items per line: with ``N > 15`` the matrix comes in column blocks
    (``T`` lines for items 1-15, then ``T`` lines for items 16..). Numeric tokens are read up to
    the first non-numeric one; the rest (a legend or trailer) is ignored.

    Raises
    ------
    InputError
        Missing file, too few numbers, more than one resource, negative or non-whole demand.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such lot-sizing file.", file=str(p))
    lines = p.read_text(errors="replace").replace("\r", "").split("\n")
    rows: list[list[float]] = []
    for line in lines:
        toks = line.split()
        nums = []
        stop = False
        for tok in toks:
            try:
                nums.append(float(tok))
            except ValueError:
                stop = True
                break
        if nums:
            rows.append(nums)
        if stop:
            break
    flat = [x for r in rows for x in r]

    def need(k: int, what: str) -> None:
        if len(flat) < k:
            raise InputError(
                f"the file ends before {what} ({len(flat)} numbers read).", file=str(p)
            )

    need(4, "the header")
    n, t, res, cap = int(flat[0]), int(flat[1]), int(flat[2]), flat[3]
    if res != 1:
        raise InputError("only one resource is supported.", file=str(p), column="R", value=res)
    pos = 4
    need(pos + 4 * n, "the item lines")
    items = np.array(flat[pos : pos + 4 * n]).reshape(n, 4)
    pos += 4 * n
    need(pos + n * t, "the demand matrix")
    demand = np.zeros((n, t))
    block = 15
    for b0 in range(0, n, block):
        w = min(block, n - b0)
        chunk = np.array(flat[pos : pos + w * t]).reshape(t, w)
        demand[b0 : b0 + w, :] = chunk.T
        pos += w * t
    if (demand < 0).any() or (np.abs(demand - np.round(demand)) > 1e-9).any():
        raise InputError("demand must be whole numbers >= 0.", file=str(p))
    return LotSizingInstance(
        name=p.stem,
        demand=np.round(demand).astype(np.int64),
        capacity=np.full(t, float(cap)),
        unit_time=items[:, 0].copy(),
        holding_cost=items[:, 1].copy(),
        setup_time=items[:, 2].copy(),
        setup_cost=items[:, 3].copy(),
        unit_cost=np.zeros(n),
    )
