"""Rolling re-plans on simulated campaigns: the demand model, the policies, the comparison."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from presale_supply.cli import main
from presale_supply.datasets import ExampleParams, example_campaign
from presale_supply.exceptions import InputError
from presale_supply.stochastic import (
    POLICIES,
    CampaignSimulator,
    DemandModel,
    ExampleFactory,
    Truth,
    compare_policies,
    simulate_campaign,
)
from presale_supply.stochastic.simulate import _ci


@pytest.fixture(scope="module")
def small() -> tuple:
    ex = example_campaign(3, ExampleParams(n_skus=8))
    return ex.to_problem(), DemandModel.from_example(ex)


def test_demand_model_draws_and_learns(small: tuple) -> None:
    _, model = small
    rng = np.random.default_rng(0)
    truths = [model.draw(rng) for _ in range(400)]
    theta = np.stack([t.theta for t in truths])
    assert theta.mean() == pytest.approx(1.0, abs=0.03)
    assert theta.std() == pytest.approx(model.level_cv, rel=0.1)
    # the posterior mean of the level moves towards the truth as signals and sales come in
    err0, err_late = [], []
    grid = model.level_grid()[0]
    for t in truths[:100]:
        _, w0 = model.level_posterior(t, 1)
        _, w1 = model.level_posterior(t, 22)
        err0.append(np.abs(w0 @ grid - t.theta).mean())
        err_late.append(np.abs(w1 @ grid - t.theta).mean())
    assert np.mean(err_late) < 0.5 * np.mean(err0)
    # scenarios keep the realised past and differ in the future
    sc = model.scenarios(truths[0], 8, 5, np.random.default_rng(1))
    assert sc.shape == (5, *model.mean.shape)
    assert (sc[:, :, :7] == truths[0].demand[None, :, :7]).all()
    assert len({sc[k, :, 7:].tobytes() for k in range(5)}) == 5


@pytest.mark.parametrize("day", [1, 8, 22])
def test_re_forecast_is_calibrated(small: tuple, day: int) -> None:
    """The 90% posterior interval of the level covers the true level 85-95% of the time, and
    the 80% scenario interval of the remaining demand covers 75-85% (a Gamma-Poisson update
    that ignored the negative-binomial noise covered 41% of levels by day 22)."""
    _, model = small
    rng = np.random.default_rng(11)
    level, rest = [], []
    for k in range(150):
        t = model.draw(rng)
        q = model.level_quantiles(t, day, [0.05, 0.95])
        level.append((t.theta >= q[:, 0]) & (t.theta <= q[:, 1]))
        if k < 60:
            sc = model.scenarios(t, day, 300, rng)[:, :, day - 1 :].sum(axis=2)
            lo, hi = np.quantile(sc, [0.1, 0.9], axis=0)
            real = t.demand[:, day - 1 :].sum(axis=1)
            rest.append((real >= lo) & (real <= hi))
    assert 0.85 <= np.mean(level) <= 0.95
    assert 0.75 <= np.mean(rest) <= 0.85


def test_bad_model_input() -> None:
    with pytest.raises(InputError, match="level_cv"):
        DemandModel(np.ones((2, 3)), np.ones(3), level_cv=0.0)
    with pytest.raises(InputError, match="deposit_weight"):
        DemandModel(np.ones((2, 3)), np.ones(4))


def test_policies_on_one_campaign(small: tuple) -> None:
    problem, model = small
    sim = CampaignSimulator(problem, model, n_scenarios=4, gap=0.0, time_limit=30)
    truth = model.draw(np.random.default_rng(7))
    out = {p: sim.run(p, truth, seed=7) for p in POLICIES}
    lock = sim.lock_units()
    pack = problem.skus.pack_size
    for p, o in out.items():
        # every policy meets the lock and is evaluated on the same realised demand
        need = np.ceil(lock / pack - 1e-9) * pack
        assert (o.order_units[:, 0] >= need).all(), p
        assert 0 < o.kpis["fill_rate"] <= 1 and 0 < o.kpis["sell_through"] <= 1
        assert o.kpis["peak_capacity_use"] <= 1 - problem.policy.capacity_buffer + 1e-9
        assert o.cost == pytest.approx(o.costs["total"])
        tl = o.timeline()
        assert tl["demand"].sum() == truth.demand.sum()
        assert tl["sold"].sum() + tl["short"].sum() == truth.demand.sum()
        assert tl["ordered"].sum() == o.order_units.sum()
    # the fixed rule orders exactly the lock (or the MOQ) in the first round
    moq = np.ceil(problem.skus.moq / pack - 1e-9) * pack
    fixed0 = out["fixed_lock"].order_units[:, 0]
    assert (fixed0 == np.where(need > 0, np.maximum(need, moq), 0)).all()
    # up front: one planning call and the evaluation; re-plans: one per round after the lock
    assert len(out["up_front"].solves) == 2
    assert len(out["fixed_lock"].solves) == len(problem.rounds)
    assert len(out["deterministic_lock"].solves) == len(problem.rounds) + 1
    assert len(out["stochastic_lock"].solves) == len(problem.rounds) + 1
    # up front commits every round at once: its later rounds are those of its only plan, so
    # they do not react to the signals; the re-planning policies' later rounds differ from it
    assert not (
        out["stochastic_lock"].order_units[:, 1:] == out["up_front"].order_units[:, 1:]
    ).all()
    # perfect foresight (solved to optimality) is never above a policy on the same campaign
    pf = out["perfect_foresight"].cost
    assert all(o.cost >= pf - 1e-6 for o in out.values())


def test_simulate_campaign_is_reproducible(small: tuple) -> None:
    problem, model = small
    a = simulate_campaign(problem, model, "fixed_lock", seed=2, n_scenarios=3)
    b = simulate_campaign(problem, model, "fixed_lock", seed=2, n_scenarios=3)
    assert a.cost == b.cost and (a.order_units == b.order_units).all()


def test_compare_policies_table() -> None:
    comp = compare_policies(ExampleFactory(n_skus=6), [0, 1], n_scenarios=3, time_limit=10)
    t = comp.table.set_index("policy")
    assert list(t.index) == list(POLICIES)
    assert (t["campaigns"] == 2).all() and (t["failed_campaigns"] == 0).all()
    runs = comp.runs
    assert set(runs["campaign"]) == {0, 1} and len(runs) == 2 * len(POLICIES)
    for pol, g in runs.groupby("policy"):
        assert t.loc[pol, "expected_cost"] == pytest.approx(g["cost"].mean())
    # perfect foresight is a lower bound on every policy of the same campaign, up to its own
    # recorded gap; its gap and every evaluation's gap are recorded (0 when proven optimal)
    assert runs["pf_gap"].notna().all() and (runs["pf_gap"] >= 0).all()
    assert runs["eval_gap"].notna().all() and (runs["eval_gap"] >= 0).all()
    for campaign, g in runs.groupby("campaign"):
        pf = g[g["policy"] == "perfect_foresight"].iloc[0]
        slack = pf["pf_gap"] * abs(pf["cost"]) + 1e-6 * max(1.0, abs(pf["cost"]))
        assert (g["cost"] >= pf["cost"] - slack).all(), (campaign, g[["policy", "cost"]])
        assert (g["regret"] >= -slack).all(), campaign
    # knowing the demand is worth something: some real policy pays for not knowing it
    assert (t.drop(index="perfect_foresight")["regret"] > 0).any()
    with pytest.raises(InputError, match="unknown policies"):
        compare_policies(ExampleFactory(n_skus=6), [0], ["nope"])


def test_every_policy_sees_the_same_demand_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Common random numbers: within a campaign every policy is run on the same realised
    demand, deposits and levels, is evaluated on that demand, and re-plans on the same
    scenario draws at each order day; different campaigns draw differently."""
    seen: dict[tuple[int, str], tuple[np.ndarray, ...]] = {}
    drawn: dict[tuple[int, str, int], list[np.ndarray]] = {}
    real_run = CampaignSimulator.run
    real_scenarios = DemandModel.scenarios
    current: dict[str, Any] = {}

    def run(self: CampaignSimulator, policy: str, truth: Truth, seed: int, **kw: Any) -> Any:
        current.update(seed=seed, policy=policy)
        out = real_run(self, policy, truth, seed, **kw)
        assert out.problem is not None
        seen[seed, policy] = (
            truth.theta,
            truth.demand,
            truth.deposits,
            out.problem.demand.units[0],
        )
        return out

    def scenarios(self: DemandModel, truth: Truth | None, day: int, n: int, rng: Any) -> Any:
        out = real_scenarios(self, truth, day, n, rng)
        drawn.setdefault((current["seed"], current["policy"], day), []).append(out)
        return out

    monkeypatch.setattr(CampaignSimulator, "run", run)
    monkeypatch.setattr(DemandModel, "scenarios", scenarios)
    compare_policies(ExampleFactory(n_skus=4), [0, 1], n_scenarios=2, time_limit=10)
    for seed in (0, 1):
        ref = seen[seed, "perfect_foresight"]
        assert (ref[3] == ref[1]).all()  # evaluated on the realised demand
        for pol in POLICIES:
            got = seen[seed, pol]
            assert all(np.array_equal(a, b) for a, b in zip(got, ref, strict=True)), pol
        # the same forecast on the same order day, whichever policy asks for it
        by_day: dict[int, np.ndarray] = {}
        for (s, pol, day), outs in drawn.items():
            if s != seed:
                continue
            for o in outs:
                assert np.array_equal(by_day.setdefault(day, o), o), (seed, pol, day)
        assert len(by_day) >= 2
    assert not np.array_equal(seen[0, "up_front"][1], seen[1, "up_front"][1])


def test_ci_uses_the_student_t_quantile() -> None:
    # t_{0.975, 1} = 12.7062047..., t_{0.975, 3} = 3.1824463... (standard tables)
    m, lo, hi = _ci(np.array([0.0, 2.0]))  # mean 1, s = sqrt(2), n = 2: half-width = t
    assert m == 1.0
    assert hi - m == pytest.approx(12.7062047, rel=1e-7)
    assert m - lo == pytest.approx(12.7062047, rel=1e-7)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    m, lo, hi = _ci(x)
    assert hi - m == pytest.approx(3.1824463 * np.std(x, ddof=1) / 2.0, rel=1e-7)
    assert _ci(np.array([5.0])) == (5.0, 5.0, 5.0)


def test_lock_too_large_for_capacity_is_counted_not_crashed() -> None:
    comp = compare_policies(
        ExampleFactory(n_skus=6), [0], ("fixed_lock",), lock_ratio=0.95, n_scenarios=2
    )
    row = comp.table.iloc[0]
    assert row["infeasible_campaigns"] == 1 and row["campaigns"] == 0


def test_policies_cli(tmp_path, capsys) -> None:
    code = main(
        ["policies", "--campaigns", "1", "--n-skus", "6", "--scenarios", "2", "--quiet",
         "--out", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "stochastic_lock" in out and "perfect_foresight" in out
    assert (tmp_path / "policies.json").exists() and (tmp_path / "policies_runs.csv").exists()
    assert main(["policies", "--campaigns", "0", "--quiet"]) == 2


def test_simulator_rejects_mismatched_model(small: tuple) -> None:
    problem, model = small
    bad = dataclasses.replace(model, mean=model.mean[:, :5], deposit_weight=np.ones(5))
    with pytest.raises(InputError, match="mean"):
        CampaignSimulator(problem, bad)
