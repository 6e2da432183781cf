"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from presale_supply.exceptions import InputError
from presale_supply.forecast import metrics


def test_wape_by_hand() -> None:
    assert metrics.wape(np.array([10, 0, 5]), np.array([8, 1, 5])) == pytest.approx(3 / 15)


def test_wape_of_zero_actuals_is_nan() -> None:
    assert math.isnan(metrics.wape(np.zeros(3), np.ones(3)))


def test_mase_and_rmsse_by_hand() -> None:
    hist = np.array([1.0, 3.0, 2.0, 4.0])  # lag-1 abs diffs 2, 1, 2 -> mean 5/3; squares 4,1,4
    y, f = np.array([4.0, 6.0]), np.array([5.0, 5.0])
    assert metrics.mase(y, f, hist, 1) == pytest.approx(1.0 / (5 / 3))
    assert metrics.rmsse(y, f, hist, 1) == pytest.approx(math.sqrt(1.0 / 3.0))


def test_pinball_by_hand() -> None:
    # y - q = [2, -2]: tau*2 = 0.2 and (tau-1)*(-2) = 1.8 -> mean 1.0
    assert metrics.pinball(np.array([3.0, 1.0]), np.array([1.0, 3.0]), 0.1) == pytest.approx(1.0)


def test_coverage_counts_closed_interval() -> None:
    y = np.array([0, 5, 10, 11])
    assert metrics.coverage(y, np.zeros(4), np.full(4, 10)) == pytest.approx(0.75)


def test_shape_mismatch_is_input_error() -> None:
    with pytest.raises(InputError, match="shape"):
        metrics.wape(np.ones(3), np.ones(2))
