"""Trigeiro-Thomas-McClain (1989) lot-sizing benchmark: the reader, and published optima.

Published optimal values (Belvaux & Wolsey 2000): G30 with every unit time set to 1 ("tr6-15")
= 37721, G53 ("tr12-15") = 74634. The files live in ../shared/data/lotsizing/trigeiro.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from presale_supply.backends.base import Status, relative_gap
from presale_supply.exceptions import InputError
from presale_supply.lotsizing import lot_sizing_problem, read_trigeiro
from presale_supply.replenishment.checker import check_plan

from .helpers import TRIGEIRO, run

pytestmark = pytest.mark.shared_data


def trigeiro_file(name: str) -> Path:
    path = TRIGEIRO / f"{name}.DAT"
    if not path.is_file():
        pytest.skip(
            f"shared Trigeiro data not found: {path} (expected ../shared/data next to "
            "the repository)"
        )
    return path


# ---- published optima ---------------------------------------------------------------------------
def _solve_published(name: str, unit_times: bool, backend: str, expected: float) -> None:
    problem = lot_sizing_problem(read_trigeiro(trigeiro_file(name)), unit_times=unit_times)
    res = run(problem, backend, threads=2, time_limit=300)
    assert res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(expected, rel=1e-6)
    assert res.bound is not None and res.bound <= res.objective + 1e-6 * expected
    assert res.gap == relative_gap(res.objective, res.bound)
    assert res.arrays is not None and check_plan(problem, res.arrays).ok


@pytest.mark.parametrize("backend", ["cpsat", "cbc"])
def test_g30_unit_times_published_optimum(backend: str) -> None:
    _solve_published("G30", True, backend, 37721.0)


def test_g53_published_optimum_cpsat() -> None:
    _solve_published("G53", False, "cpsat", 74634.0)


@pytest.mark.slow
def test_g53_published_optimum_cbc() -> None:
    _solve_published("G53", False, "cbc", 74634.0)


# ---- reader -------------------------------------------------------------------------------------
def test_read_g30_header_items_and_demand() -> None:
    inst = read_trigeiro(trigeiro_file("G30"))
    assert inst.shape == (6, 15)
    assert inst.name == "G30"
    np.testing.assert_array_equal(inst.capacity, np.full(15, 728.0))
    # line "0.50 5.00  40. 800." is item 1; "1.50 1.00  50. 800." item 6
    assert (inst.unit_time[0], inst.holding_cost[0], inst.setup_time[0], inst.setup_cost[0]) == (
        0.5,
        5.0,
        40.0,
        800.0,
    )
    assert (inst.unit_time[5], inst.setup_time[5]) == (1.5, 50.0)
    # demand: first period line "119 85 0 102 84 89", last "125 97 109 80 103 95"
    np.testing.assert_array_equal(inst.demand[:, 0], [119, 85, 0, 102, 84, 89])
    np.testing.assert_array_equal(inst.demand[:, 14], [125, 97, 109, 80, 103, 95])
    assert inst.demand.dtype.kind == "i"
    np.testing.assert_array_equal(inst.unit_cost, np.zeros(6))


@pytest.mark.parametrize("name", ["G56", "G57"])
def test_read_24_items_in_column_blocks(name: str) -> None:
    inst = read_trigeiro(trigeiro_file(name))
    assert inst.shape == (24, 15)
    for a in (inst.unit_time, inst.holding_cost, inst.setup_time, inst.setup_cost):
        assert a.shape == (24,)
    assert (inst.demand >= 0).all()


def test_read_g57_hand_checked_values() -> None:
    """Checked by reading G57.DAT: item 24 is "1.00 1.00 40. 200."; the first demand block (items
    1-15) starts "120 119 0 0 95 123 80 0 0 87 88 91 103 104 91" and ends with period 15
    "79 90 81 123 109 100 118 108 89 113 124 76 92 114 107"; the second block (items 16-24)
    starts "112 0 79 118 0 106 80 0 0" and ends "117 92 100 116 99 103 75 121 100"."""
    inst = read_trigeiro(trigeiro_file("G57"))
    assert inst.capacity[0] == 2912.0
    assert (inst.unit_time[23], inst.holding_cost[23], inst.setup_time[23]) == (1.0, 1.0, 40.0)
    assert inst.setup_cost[23] == 200.0
    assert inst.demand[0, 0] == 120
    assert inst.demand[14, 0] == 91
    assert inst.demand[15, 0] == 112  # item 16, period 1: first number of the second block
    assert inst.demand[18, 0] == 118  # item 19, period 1
    assert inst.demand[14, 14] == 107
    assert inst.demand[23, 14] == 100  # item 24, period 15: last number of the file's matrix
    assert inst.demand[16, 14] == 92  # item 17, period 15


def test_read_x11117a_crlf_and_trailer() -> None:
    path = trigeiro_file("X11117A")
    assert b"\r\n" in path.read_bytes()  # the test is about CRLF files
    inst = read_trigeiro(path)
    assert inst.shape == (10, 20)
    assert inst.capacity[0] == 1332.0
    assert inst.holding_cost[0] == pytest.approx(0.8)  # fractional holding cost
    assert inst.holding_cost[2] == pytest.approx(1.2)
    np.testing.assert_array_equal(inst.demand[:, 0], [0, 115, 116, 0, 0, 92, 89, 0, 92, 0])
    np.testing.assert_array_equal(
        inst.demand[:, 19], [124, 78, 96, 113, 103, 89, 124, 116, 106, 87]
    )


def _write_synthetic(path: Path, n: int, t: int, newline: str = "\n") -> np.ndarray:
    """A Trigeiro-format file with demand d[i, p] = 10 * (i + 1) + p, in 15-item column blocks,
    followed by a legend and a trailer as in the real files."""
    demand = np.array([[10 * (i + 1) + p for p in range(t)] for i in range(n)])
    lines = [f"{n} {t}", "1", "500"]
    lines += [f"1.00 {0.5 + i:.2f} 10. {100 + i}." for i in range(n)]
    for b0 in range(0, n, 15):
        for p in range(t):
            lines.append(" ".join(str(int(x)) for x in demand[b0 : b0 + 15, p]))
    lines += ["  Bi   hi   su   su", "           time cost", " PSIZE,CV = 1 2"]
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return demand


@pytest.mark.parametrize(("n", "newline"), [(17, "\n"), (31, "\r\n"), (15, "\r\n")])
def test_read_synthetic_blocks(tmp_path: Path, n: int, newline: str) -> None:
    path = tmp_path / "SYN.DAT"
    demand = _write_synthetic(path, n, 4, newline)
    inst = read_trigeiro(path)
    assert inst.shape == (n, 4)
    np.testing.assert_array_equal(inst.demand, demand)
    np.testing.assert_allclose(inst.holding_cost, 0.5 + np.arange(n))
    np.testing.assert_allclose(inst.setup_cost, 100 + np.arange(n))


def test_read_rejects_truncated_and_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such"):
        read_trigeiro(tmp_path / "missing.DAT")
    path = tmp_path / "CUT.DAT"
    _write_synthetic(path, 3, 4)
    text = path.read_text().splitlines()
    path.write_text("\n".join(text[:8]) + "\n")  # header + items + one demand line
    with pytest.raises(InputError, match="demand matrix"):
        read_trigeiro(path)
