"""Registry of benchmark instances: Trigeiro lot-sizing files, MPS files, generated campaigns.

An instance name is one of
- ``trigeiro:G53`` (or ``trigeiro:G30-unit`` for G30 with unit times forced to 1),
- ``campaign:200`` (a generated presale campaign of that many SKUs, seed fixed by ``--seed``),
- ``mps:PATH`` (any MPS file, read by PuLP's MPS reader and converted to the solver-neutral MILP).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from presale_supply.data import Problem
from presale_supply.datasets import example_campaign
from presale_supply.datasets.example import ExampleParams
from presale_supply.lotsizing import LotSizingInstance, lot_sizing_problem, read_trigeiro
from presale_supply.milp import MILP, MILPBuilder

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
TRIGEIRO = DATA / "lotsizing" / "trigeiro"

#: Reference optima from shared/data/lotsizing/README (published or proven).
REFERENCE: dict[str, float] = {
    "trigeiro:G30-unit": 37721,
    "trigeiro:G53": 74634,
    "trigeiro:G57": 136509,
    "trigeiro:G30": 37809,
    "trigeiro:G1": 38791,
    "trigeiro:G2": 37685,
    "trigeiro:G21": 40638.6993,
    "trigeiro:G31": 31095,
    "trigeiro:G51": 61932,
    "trigeiro:G56": 157235,
    "trigeiro:F1": 40854,
    "trigeiro:F2": 39734,
    "trigeiro:F3": 37739,
    "trigeiro:X11117A": 8375.8,
    "trigeiro:X11117B": 8169.4,
    "trigeiro:X11117C": 9664.6,
}

CAMPAIGN_SIZES = (200, 1000, 5000)


@dataclass(frozen=True, eq=False)
class Instance:
    """A benchmark instance: a planner problem (most) or a bare MILP (MPS files)."""

    name: str
    problem: Problem | None = None
    milp: MILP | None = None
    lot_sizing: LotSizingInstance | None = None
    unit_times: bool = False

    @property
    def reference(self) -> float | None:
        """Known optimal value, if any (a ``-cont`` variant has its file's reference)."""
        return REFERENCE.get(self.name.removesuffix("-cont"))


def trigeiro_names() -> list[str]:
    """Every Trigeiro file in shared/data, plus the G30 unit-time variant."""
    if not TRIGEIRO.is_dir():
        return []
    names = [f"trigeiro:{p.stem}" for p in sorted(TRIGEIRO.glob("*.DAT"))]
    if "trigeiro:G30" in names:
        names.insert(names.index("trigeiro:G30"), "trigeiro:G30-unit")
    return names


def all_names() -> list[str]:
    """Every registered instance name."""
    return trigeiro_names() + [f"campaign:{n}" for n in CAMPAIGN_SIZES]


def milp_from_mps(path: str | Path) -> MILP:
    """Read an MPS file with PuLP's reader into the solver-neutral MILP (minimisation)."""
    import pulp

    _vars, prob = pulp.LpProblem.fromMPS(str(path))
    names = list(_vars)
    index = {n: k for k, n in enumerate(names)}
    sign = -1.0 if prob.sense == pulp.LpMaximize else 1.0
    c = np.zeros(len(names))
    for v, coef in prob.objective.items():
        c[index[v.name]] = sign * coef
    b = MILPBuilder(Path(path).stem)
    for k, n in enumerate(names):
        v = _vars[n]
        b.add_vars(
            1,
            lb=-np.inf if v.lowBound is None else v.lowBound,
            ub=np.inf if v.upBound is None else v.upBound,
            integer=v.cat == pulp.LpInteger,
            cost=c[k],
        )
    b.c0 = sign * float(prob.objective.constant or 0.0)
    for con in prob.constraints():  # a list in PuLP 3.3 and 4
        cname = con.name
        cols = [index[v.name] for v in con]
        vals = [float(a) for a in con.values()]
        rhs = -float(con.constant)
        if con.sense == pulp.LpConstraintEQ:
            b.add_row(cols, vals, lo=rhs, hi=rhs, name=cname)
        elif con.sense == pulp.LpConstraintLE:
            b.add_row(cols, vals, hi=rhs, name=cname)
        else:
            b.add_row(cols, vals, lo=rhs, name=cname)
    return b.build()


def load(name: str, seed: int = 0) -> Instance:
    """Build the instance called ``name``."""
    kind, _, arg = name.partition(":")
    if kind == "trigeiro":
        # suffixes: -cont (continuous quantities, as in the literature), -unit (unit times)
        cont = arg.endswith("-cont")
        arg = arg[:-5] if cont else arg
        stem, unit = (arg[:-5], True) if arg.endswith("-unit") else (arg, False)
        inst = read_trigeiro(TRIGEIRO / f"{stem}.DAT")
        problem = lot_sizing_problem(inst, unit_times=unit, continuous=cont)
        return Instance(name, problem, lot_sizing=inst, unit_times=unit)
    if kind == "campaign":
        ex = example_campaign(seed, ExampleParams(n_skus=int(arg)))
        return Instance(name, ex.to_problem())
    if kind == "mps":
        return Instance(name, milp=milp_from_mps(arg))
    raise ValueError(
        f"unknown instance kind {kind!r} in {name!r}; use trigeiro:, campaign: or mps:"
    )


def select(pattern: str) -> Iterator[str]:
    """Names matching a comma-separated list of names or prefixes (``all`` for every
    instance). An exact name, ``campaign:N`` for any N, or ``mps:PATH`` selects just that."""
    names = all_names()
    for part in pattern.split(","):
        part = part.strip()
        if part == "all":
            yield from names
        elif part.startswith("mps:") or part in names:
            yield part
        elif part.startswith("campaign:") and part[len("campaign:") :].isdigit():
            yield part  # any generated size, not only the registered ones
        elif part.endswith("-cont") and part.removesuffix("-cont") in names:
            yield part  # a Trigeiro file with continuous quantities, as in the literature
        else:
            matched = [n for n in names if n.startswith(part)]
            if not matched:
                raise SystemExit(
                    f"no instance matches {part!r}; known: {', '.join(names)} "
                    "(add -cont to a trigeiro: name for continuous quantities)"
                )
            yield from matched
