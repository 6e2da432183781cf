"""End-to-end report runs: plan, forecast, SLA check, HTML (what ``presale-supply report`` does).

:func:`problem_report` plans a problem and builds its report; :func:`example_report` does the
same for the embedded example campaign and, next to the solve, forecasts it in a child process
with a time budget: a forecast that does not finish within ``forecast_timeout`` seconds is
stopped and the fan chart falls back to the plan's demand, which the report says.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from presale_supply.report.collect import plan_table, sla_by_hour
from presale_supply.report.html import build_report

__all__ = ["ReportRun", "example_report", "forecast_example_bands", "problem_report"]

Log = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class ReportRun:
    """Outcome of a report run.

    Attributes
    ----------
    html : str
        The report page.
    plan : PlanResult
        The planner's result (its status decides the exit code).
    notes : tuple of str
        What the run did, e.g. whether the forecast was used and how long it took.
    seconds : dict
        Wall time per step (``solve``, ``forecast``, ``sla``, ``render``).
    """

    html: str
    plan: Any
    notes: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)


def _quiet(_: str) -> None:
    return None


def forecast_example_bands(
    seed: int = 0, n_skus: int | None = None, n_paths: int = 200
) -> tuple[pd.DataFrame, str]:
    """Forecast the example campaign and return its category demand bands and a note.

    The bands are those of :func:`~presale_supply.report.collect.demand_bands_from_paths` on
    ``n_paths`` sample paths of :func:`presale_supply.forecast.demo.forecast_example_campaign`.
    """
    from presale_supply.datasets import ExampleParams, example_campaign
    from presale_supply.forecast.demo import forecast_example_campaign
    from presale_supply.report.collect import demand_bands_from_paths

    params = None if n_skus is None else ExampleParams(n_skus=n_skus)
    ex = example_campaign(seed, params)
    t0 = time.perf_counter()
    res = forecast_example_campaign(seed, progress=False, example_params=params)
    seconds = time.perf_counter() - t0
    cats = dict(zip(ex.skus["sku"].astype(str), ex.skus["category"].astype(str), strict=True))
    bands = demand_bands_from_paths(res.sample_paths(n_paths), cats, ex.campaign.start_date)
    note = (
        f"demand forecast of the example campaign ({seconds:.1f} s; one year of history and "
        f"the first presale signal days), {n_paths} sample paths summed per category; bands "
        "are the 10-90% (80%) and 25-75% (50%) quantiles of the daily category total"
    )
    return bands, note


def _exit_on_term(signum: int, _frame: Any) -> None:
    """SIGTERM handler of the child: unwind normally so multiprocessing releases what the
    forecaster's libraries created (e.g. tqdm's lock), instead of dying with them leaked."""
    raise SystemExit(128 + signum)


def _forecast_child(conn: Any, seed: int, n_skus: int | None, n_paths: int) -> None:
    """Child process body: send ``("ok", bands, note)`` or ``("error", message)``."""
    signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        bands, note = forecast_example_bands(seed, n_skus, n_paths)
        conn.send(("ok", bands, note))
    except Exception as exc:  # reported to the parent, which falls back to the plan's demand
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class _BackgroundForecast:
    """The example forecast in a spawned child process, stopped after a time budget."""

    def __init__(self, seed: int, n_skus: int | None, n_paths: int) -> None:
        ctx = mp.get_context("spawn")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=_forecast_child, args=(send, seed, n_skus, n_paths), daemon=True
        )
        self.started = time.perf_counter()
        self._proc.start()
        send.close()

    def result(self, timeout: float) -> tuple[pd.DataFrame | None, str, float]:
        """``(bands or None, note, seconds)``; waits at most until ``timeout`` s after start."""
        remaining = max(0.0, timeout - (time.perf_counter() - self.started))
        try:
            if self._recv.poll(remaining):
                msg = self._recv.recv()
                seconds = time.perf_counter() - self.started
                self._proc.join(10)  # let the child exit cleanly (it releases its resources)
                if msg[0] == "ok":
                    return msg[1], msg[2], seconds
                return None, f"the forecast failed ({msg[1]})", seconds
            seconds = time.perf_counter() - self.started
            return None, f"the forecast did not finish within {timeout:g} s", seconds
        except EOFError:
            seconds = time.perf_counter() - self.started
            return None, "the forecast process ended without a result", seconds
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the child process if it still runs."""
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(5)
        if self._proc.is_alive():  # stuck in native code: no clean exit possible
            self._proc.kill()
            self._proc.join(5)
        self._recv.close()


def problem_report(
    problem: Any,
    *,
    solver: str = "auto",
    time_limit: float = 20.0,
    threads: int = 2,
    seed: int = 0,
    forecast: Any = None,
    demand_bands: pd.DataFrame | None = None,
    demand_source: str | None = None,
    policies: pd.DataFrame | None = None,
    sla: bool = True,
    title: str | None = None,
    notes: Sequence[str] = (),
    log: Log | None = None,
    _background: _BackgroundForecast | None = None,
    _forecast_timeout: float = 30.0,
) -> ReportRun:
    """Plan ``problem`` and build its report.

    Parameters
    ----------
    problem : Problem
    solver, time_limit, threads, seed
        Passed to :func:`presale_supply.solve`.
    forecast, demand_bands, demand_source, policies, title, notes
        See :func:`~presale_supply.report.html.collect_report_data`.
    sla : bool
        Run the SLA example spike on the campaign's balance-payment evening, with the plan's
        stock (:func:`~presale_supply.report.collect.sla_by_hour`).
    log : callable, optional
        Receives one line per step (e.g. ``print`` to stderr).

    Returns
    -------
    ReportRun
    """
    from presale_supply.replenishment.solve import solve

    say = log or _quiet
    secs: dict[str, float] = {}
    run_notes = list(notes)
    from presale_supply.replenishment.solve import resolve_auto

    how = solver
    if resolve_auto(problem, solver).strip().lower() == "auto" and threads < 2:
        how = "auto (CP-SAT alone: one thread" + (
            ", the other forecasts)" if _background is not None else ")"
        )
    say(
        f"planning {len(problem.skus)} SKUs x {len(problem.suppliers)} suppliers x "
        f"{problem.n_days} days with {how} (limit {time_limit:g} s)"
    )
    t0 = time.perf_counter()
    plan = solve(problem, solver, time_limit=time_limit, threads=threads, seed=seed)
    secs["solve"] = time.perf_counter() - t0
    say(f"plan: {plan.status.value} in {secs['solve']:.1f} s")
    if _background is not None:
        say("waiting for the forecast")
        bands, note, fsec = _background.result(_forecast_timeout)
        secs["forecast"] = fsec
        if bands is not None:
            demand_bands, demand_source = bands, note
            say(f"forecast done in {fsec:.1f} s")
        else:
            fallback = (
                f"No forecast in the fan chart: {note} (after {fsec:.1f} s), so it shows the "
                "plan's demand instead."
            )
            run_notes.append(fallback)
            demand_source = f"{note}; the plan's own demand instead (one scenario, so no band)"
            say(fallback)
    sla_result = None
    if sla:
        t0 = time.perf_counter()
        if plan.arrays is not None:
            sla_result = sla_by_hour(
                problem.campaign,
                plan_orders=plan_table(plan, "orders"),
                inventory=plan_table(plan, "inventory"),
                initial_stock=pd.Series(problem.skus.initial_stock, index=list(problem.skus.ids)),
                seed=seed,
            )
        else:
            sla_result = sla_by_hour(problem.campaign, seed=seed)
        secs["sla"] = time.perf_counter() - t0
        say(f"SLA check done in {secs['sla']:.1f} s")
    t0 = time.perf_counter()
    html = build_report(
        plan,
        forecast=forecast,
        demand_bands=demand_bands,
        demand_source=demand_source,
        sla=sla_result,
        policies=policies,
        title=title,
        notes=run_notes,
    )
    secs["render"] = time.perf_counter() - t0
    return ReportRun(html, plan, tuple(run_notes), secs)


def example_report(
    seed: int = 0,
    *,
    n_skus: int | None = None,
    solver: str = "auto",
    time_limit: float = 20.0,
    forecast: bool = True,
    forecast_timeout: float = 30.0,
    n_paths: int = 200,
    policies: pd.DataFrame | None = None,
    sla: bool = True,
    title: str | None = None,
    log: Log | None = None,
) -> ReportRun:
    """Plan, forecast and check the embedded example campaign and build its report.

    The plan is solved on the example's own (simulated) demand. With ``forecast`` the
    forecaster runs at the same time in a child process; if it takes longer than
    ``forecast_timeout`` seconds (about 20 s for the 200-SKU example on two cores) it is
    stopped and the fan chart shows the plan's demand, with a note in the report.

    Parameters
    ----------
    seed : int
        Example generator seed (also the solver's and the SLA spike's seed).
    n_skus : int, optional
        Number of SKUs of the example (default 200), e.g. 20 for a quick look.
    """
    from presale_supply.datasets import ExampleParams, example_campaign

    say = log or _quiet
    params = None if n_skus is None else ExampleParams(n_skus=n_skus)
    ex = example_campaign(seed, params)
    problem = ex.to_problem()
    background = None
    if forecast:
        say(f"forecasting the example in the background (budget {forecast_timeout:g} s)")
        background = _BackgroundForecast(seed, n_skus, n_paths)
    try:
        return problem_report(
            problem,
            solver=solver,
            time_limit=time_limit,
            threads=1 if forecast else 2,
            seed=seed,
            policies=policies,
            sla=sla,
            title=title or f"{ex.campaign.name} (seed {seed})",
            notes=(
                "The example campaign is fully synthetic (presale_supply.datasets); the plan "
                "is solved on its simulated demand.",
            ),
            log=say,
            _background=background,
            _forecast_timeout=forecast_timeout,
        )
    finally:
        if background is not None:
            background.stop()
