"""Exact decomposition by supplier: same optimum as the monolithic model, checked merge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presale_supply.backends.base import Status
from presale_supply.data import Policy
from presale_supply.exceptions import InputError
from presale_supply.replenishment.checker import check_plan
from presale_supply.replenishment.decompose import decomposable, split_by_supplier

from .helpers import fractional_two_suppliers, presale_problem, run

T = 8  # the helpers' short campaign: 2 + 3 + 2 + 1 days


def _problem(seed: int, **kw: object) -> object:
    rng = np.random.default_rng(seed)
    n = 4
    args: dict[str, object] = {
        "demand": rng.integers(0, 12, size=(n, T)),
        "sku_supplier": [0, 1, 0, 1],
        "capacity": [80.0, 60.0],
        "lead": [1, 2],
        "unit_cost": [5.0, 4.0, 6.0, 3.0],
        "holding": [0.2] * n,
        "order_cost": [3.0] * n,
        "penalty": [9.0] * n,
        "pack": [1, 2, 1, 3],
    }
    args.update(kw)
    return presale_problem(**args)  # type: ignore[arg-type]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_decomposed_optimum_equals_monolithic(seed: int) -> None:
    p = _problem(seed)
    assert decomposable(p)
    whole = run(p, "cpsat", time_limit=30, decompose=False)
    split = run(p, "cpsat", time_limit=30, decompose=True)
    assert whole.status is Status.OPTIMAL and split.status is Status.OPTIMAL
    assert split.objective == pytest.approx(whole.objective, rel=1e-9, abs=1e-6)
    assert split.arrays is not None
    assert check_plan(p, split.arrays).ok
    assert split.model_size["subproblems"] == 2
    assert "decomposed by supplier" in split.message


def test_subproblems_keep_the_whole_problems_rounds() -> None:
    p = _problem(1, lead=[1, 5])  # supplier 2's long lead moves the lock round for everyone
    parts = split_by_supplier(p)
    assert [s for s, _, _ in parts] == [0, 1]
    for _, idx, sub in parts:
        assert sub.rounds == p.rounds
        assert sub.skus.ids == tuple(p.skus.ids[i] for i in idx)
        np.testing.assert_array_equal(sub.demand.units[0], p.demand.units[0][idx])


def test_linking_limits_turn_decomposition_off() -> None:
    assert not decomposable(_problem(2, policy=Policy(budget=1e6)))
    assert not decomposable(_problem(2, policy=Policy(storage_capacity=1e6)))
    one = _problem(2, sku_supplier=[0, 0, 0, 0])
    assert not decomposable(one)


def test_infeasible_supplier_is_named() -> None:
    p = _problem(3, capacity=[80.0, 1.0])  # supplier S2 cannot make its lock
    res = run(p, "cpsat", time_limit=20)
    assert res.status is Status.INFEASIBLE
    assert any("S2" in d for d in res.diagnosis), res.diagnosis


def test_progress_reports_running_totals() -> None:
    seen: list[tuple[float, float, float | None]] = []
    p = _problem(4)
    res = run(p, "cpsat", time_limit=20, progress=lambda *a: seen.append(a))
    assert res.status is Status.OPTIMAL
    assert len(seen) == 2
    assert seen[-1][1] == pytest.approx(res.objective)


def test_cover_hint_is_within_bounds_and_covers_the_lock() -> None:
    from presale_supply.replenishment.formulation import build_formulation
    from presale_supply.replenishment.solve import cover_hint

    p = _problem(5)
    form = build_formulation(p)
    hint = cover_hint(p, form)
    m = form.model
    assert set(hint) == set(form.order_n.tolist()) | set(form.order_y.tolist())
    for j, v in hint.items():
        assert m.lb[j] - 1e-9 <= v <= m.ub[j] + 1e-9
    lock = p.lock_units()
    for k in range(len(form.order_sku)):
        if form.order_round[k] == 0:
            i = int(form.order_sku[k])
            assert hint[int(form.order_n[k])] * p.skus.pack_size[i] >= lock[i]
    # a hint is only a starting point: the optimum is the same with and without one
    with_hint = run(p, "cpsat", time_limit=30, decompose=False)
    assert with_hint.status is Status.OPTIMAL
    plain = run(p, "scip", time_limit=30, decompose=False)
    assert with_hint.objective == pytest.approx(plain.objective, rel=1e-9, abs=1e-6)


def test_process_pool_gives_the_same_plan_as_one_process() -> None:
    from concurrent.futures import ProcessPoolExecutor

    p = _problem(6)
    local = run(p, "cpsat", time_limit=20)
    with ProcessPoolExecutor(max_workers=2) as pool:
        pooled = run(p, "cpsat", time_limit=20, executor=pool)
    assert local.status is Status.OPTIMAL and pooled.status is Status.OPTIMAL
    assert pooled.objective == pytest.approx(local.objective, rel=1e-9, abs=1e-6)
    assert pooled.arrays is not None and check_plan(p, pooled.arrays).ok


def test_time_limit_is_a_budget_for_the_whole_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subproblems share what is left of the budget when each starts, and a single model's
    solver gets the budget minus the time spent building it."""
    import time

    import presale_supply.replenishment.solve as solve_mod
    from presale_supply.replenishment.decompose import solve_by_supplier

    problem = _problem(
        3, sku_supplier=[0, 1, 2, 3], capacity=[80.0, 60.0, 70.0, 50.0], lead=[1, 2, 1, 1]
    )
    seen: list[float] = []

    def slow_solve(sub: object, *, time_limit: float | None = None, **kw: object) -> object:
        assert time_limit is not None
        seen.append(time_limit)
        time.sleep(1.3)  # a subproblem that uses more than its share
        return solve_mod.solve(sub, time_limit=None, **kw)  # type: ignore[arg-type]

    budget = 4.0
    res = solve_by_supplier(problem, slow_solve, time_limit=budget, solver="cpsat")  # type: ignore[arg-type]
    assert res.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert len(seen) == 4
    assert seen[0] == pytest.approx(budget / 4, rel=0.05)  # one SKU of four, nothing used yet
    # the next one shares what is left (about 4 - 1.3 s over three SKUs), not a fixed share
    assert 0.6 < seen[1] < 0.97
    assert all(t >= 0.5 - 1e-9 for t in seen)  # never below the floor: min(1 s, max(.., 0.5 s))

    captured: list[float | None] = []
    real = solve_mod.run_backend

    def spy(backend: object, model: object, options: object) -> object:
        captured.append(options.time_limit)  # type: ignore[attr-defined]
        return real(backend, model, options)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_mod, "run_backend", spy)
    solve_mod.solve(problem, "cpsat", time_limit=5.0, decompose=False)  # type: ignore[arg-type]
    assert captured and captured[0] is not None and 0.5 <= captured[0] < 5.0

    with pytest.raises(InputError, match="time_limit"):
        solve_mod.solve(problem, "cpsat", time_limit=-1.0)  # type: ignore[arg-type]


def test_continuous_quantities_survive_the_merge() -> None:
    """Two suppliers whose capacity binds, with 0.7 and 0.9 capacity units per unit: the
    subproblems' orders are fractional (51 / 0.7 = 72.86 a round), and the merged plan must
    keep them (it once cut them to whole units, which the checker rejected)."""
    p = fractional_two_suppliers()
    res = run(p, "scip", time_limit=30, decompose=True)
    assert res.message.startswith("decomposed by supplier"), res.message
    assert res.arrays is not None and check_plan(p, res.arrays).ok
    units = res.arrays.order_units
    assert units.dtype.kind == "f"
    assert np.any(np.abs(units - np.rint(units)) > 1e-6), units
