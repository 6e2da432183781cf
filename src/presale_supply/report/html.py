"""The self-contained HTML campaign report.

:func:`build_report` collects a plan result (and optionally a forecast, an SLA check and a policy
comparison) into a :class:`ReportData` of plain tables, draws the figures of
:mod:`presale_supply.report.figures` and returns one HTML page. Figures are embedded as base64
PNG ``<img>`` elements and the style sheet is inline: the file opens offline, needs no
JavaScript, and can be mailed as it is.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.report.collect import (
    SlaByHour,
    demand_bands_from_daily_quantiles,
    demand_bands_from_paths,
    demand_bands_from_problem,
    plan_table,
    validate_policy_table,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FIGURES",
    "ReportData",
    "build_report",
    "collect_report_data",
    "render_report",
    "write_report",
]

#: Figure keys in report order, with their captions.
FIGURES: dict[str, str] = {
    "demand": "Demand fan chart per category",
    "orders": "Order rounds per supplier",
    "inventory": "Inventory trajectory",
    "capacity": "Capacity utilisation",
    "sla": "48-hour SLA around the balance payment",
    "policies": "Policy comparison",
}


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows, as plain values and tables.

    Attributes
    ----------
    title : str
    campaign : Campaign
        Stages and dates.
    summary : dict
        The plan's ``summary()`` (status, objective, bound, gap, solver, seconds, message,
        costs, kpis, diagnosis).
    orders, inventory, capacity : DataFrame or None
        The plan's tables (None when the solve found no plan).
    sku_category : dict
        Category of each SKU.
    limit_share : float
        Capacity a supplier under agreement may use (1 - buffer).
    demand_bands : DataFrame
        ``category, day, q0.1 .. q0.9`` (see :mod:`presale_supply.report.collect`).
    demand_reference : DataFrame or None
        ``category, day, units``: the demand the plan used, drawn over the bands.
    demand_source : str
        Where the bands come from, in a sentence.
    sla : SlaByHour or None
    policies : DataFrame or None
        Policy comparison (columns :data:`~presale_supply.report.collect.POLICY_COLUMNS`).
    notes : tuple of str
    """

    title: str
    campaign: Any
    summary: dict[str, Any]
    orders: pd.DataFrame | None
    inventory: pd.DataFrame | None
    capacity: pd.DataFrame | None
    sku_category: dict[str, str]
    limit_share: float
    demand_bands: pd.DataFrame
    demand_reference: pd.DataFrame | None
    demand_source: str
    sla: SlaByHour | None = None
    policies: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def stage_starts(self) -> dict[str, int]:
        """Stage name to first campaign day."""
        return dict(self.campaign.stage_starts())


# ---- collecting -----------------------------------------------------------------------------
def _reference(problem: Any) -> pd.DataFrame:
    exp = problem.demand.expected()  # (N, T)
    cats = np.asarray(problem.skus.category, dtype=str)
    frame = pd.DataFrame(exp, index=cats).groupby(level=0).sum()
    long = frame.stack().reset_index()
    long.columns = ["category", "day", "units"]
    long["day"] = long["day"].astype(int) + 1
    return long


def collect_report_data(
    plan: Any,
    *,
    forecast: Any = None,
    demand_bands: pd.DataFrame | None = None,
    demand_source: str | None = None,
    sla: SlaByHour | None = None,
    policies: pd.DataFrame | None = None,
    title: str | None = None,
    notes: Sequence[str] = (),
    n_paths: int = 200,
) -> ReportData:
    """Collect a plan result and optional extras into a :class:`ReportData`.

    Parameters
    ----------
    plan : PlanResult
        A planner result (:func:`presale_supply.solve`); with no solution the plan's figures
        are left out and the report says why.
    forecast : ForecastResult or DataFrame, optional
        Demand forecast for the fan chart: a ``ForecastResult`` (its sample paths are summed
        per category), sample paths ``scenario, unique_id, ds, units``, or daily quantiles
        ``unique_id, ds, mean, q...``. Default: the plan's own demand.
    demand_bands : DataFrame, optional
        Ready-made bands (``category, day, q0.1 .. q0.9``); wins over ``forecast``.
    demand_source : str, optional
        Sentence saying where ``demand_bands`` come from.
    sla : SlaByHour, optional
        From :func:`~presale_supply.report.collect.sla_by_hour`.
    policies : DataFrame, optional
        Policy comparison table; validated.
    title : str, optional
        Default: the campaign's name.
    notes : sequence of str
        Extra remarks shown at the end.
    n_paths : int
        Sample paths drawn from a ``ForecastResult``.

    Raises
    ------
    InputError
        Invalid policy table or forecast table.
    """
    problem = plan.problem
    campaign = problem.campaign
    sku_category = dict(zip(problem.skus.ids, problem.skus.category, strict=True))
    start = campaign.start_date
    source = demand_source
    if demand_bands is None:
        if forecast is not None and hasattr(forecast, "sample_paths"):
            demand_bands = demand_bands_from_paths(
                forecast.sample_paths(n_paths), sku_category, start
            )
            source = source or (
                f"demand forecast: {n_paths} sample paths summed per category; bands are the "
                "10-90% (80%) and 25-75% (50%) quantiles of the daily category total"
            )
        elif isinstance(forecast, pd.DataFrame) and "scenario" in forecast.columns:
            demand_bands = demand_bands_from_paths(forecast, sku_category, start)
            source = source or "demand forecast: sample paths summed per category"
        elif isinstance(forecast, pd.DataFrame):
            demand_bands = demand_bands_from_daily_quantiles(forecast, sku_category, start)
            source = source or (
                "demand forecast: daily SKU quantiles combined per category with a normal "
                "approximation (SKUs independent)"
            )
        else:
            demand_bands = demand_bands_from_problem(problem)
            n_s = int(problem.demand.n_scenarios)
            source = source or (
                f"the plan's {n_s} demand scenarios (weighted quantiles per category and day)"
                if n_s > 1
                else "no forecast given: the plan's own demand (one scenario, so no band)"
            )
    has_plan = getattr(plan, "arrays", None) is not None
    summary = plan.summary()
    pol = None if policies is None else validate_policy_table(policies)
    return ReportData(
        title=title or str(campaign.name),
        campaign=campaign,
        summary=summary,
        orders=plan_table(plan, "orders") if has_plan else None,
        inventory=plan_table(plan, "inventory") if has_plan else None,
        capacity=plan_table(plan, "capacity") if has_plan else None,
        sku_category=sku_category,
        limit_share=1.0 - float(problem.policy.capacity_buffer),
        demand_bands=demand_bands,
        demand_reference=_reference(problem),
        demand_source=source or "given demand bands",
        sla=sla,
        policies=pol,
        notes=tuple(notes),
    )


# ---- formatting helpers ---------------------------------------------------------------------
def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _pct(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    return f"{float(x):.{digits}%}"


def _num(x: Any, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    return f"{float(x):,.{digits}f}"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "", numeric_from: int = 1
) -> str:
    """An HTML table; cells from column ``numeric_from`` on are right-aligned."""
    head = "".join(
        f"<th{' class=num' if k >= numeric_from else ''}>{_e(h)}</th>"
        for k, h in enumerate(headers)
    )
    body = "\n".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if k >= numeric_from else ''}>{_e(v)}</td>" for k, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _img(fig: Figure, alt: str) -> str:
    from presale_supply.report.figures import figure_to_png

    data = base64.b64encode(figure_to_png(fig)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{_e(title)}</h2>\n{body}\n</section>'


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


# ---- sections -------------------------------------------------------------------------------
def _calendar(data: ReportData) -> str:
    c = data.campaign
    rows = []
    for s in c.stages:
        first = c.stage_start(s.name)
        last = first + s.days - 1
        d1, d2 = c.date_of(first), c.date_of(last)
        dates = f"{d1:%d %b} - {d2:%d %b %Y}" if d1 is not None and d2 is not None else ""
        rows.append((s.name, dates, f"{first}-{last}", s.days))
    return _table(("stage", "dates", "days", "length"), rows, cls="narrow", numeric_from=2)


def _highlights(data: ReportData) -> list[str]:
    s = data.summary
    out = []
    if "kpis" not in s:
        out.append(f"No plan: the solve ended {s['status']}. {s['message']}")
        out += [f"Why: {d}" for d in s.get("diagnosis", [])]
        return out
    k = s["kpis"]
    lost = k["units_demanded"] - k["units_sold"]
    line = f"Fill rate {_pct(k['fill_rate'])}: {k['units_sold']:,} of {k['units_demanded']:,} "
    line += "units of demand served"
    if lost > 0 and data.inventory is not None:
        inv = data.inventory
        short = inv.groupby("day")["short"].sum() if "short" in inv.columns else None
        if short is not None and short.max() > 0:
            worst = int(short.index[int(short.to_numpy().argmax())])
            stage = data.campaign.stage_of(worst)
            line += f"; {lost:,} short, most on day {worst} ({stage}, {int(short.max()):,} units)"
    out.append(line + ".")
    out.append(
        f"Sell-through {_pct(k['sell_through'])} (target {_pct(k['sell_through_target'], 0)}); "
        f"{k['units_ordered']:,} units ordered in {k['orders_placed']:,} orders, "
        f"{k['units_left_at_end']:,} left for clearance at the end."
    )
    at = k.get("peak_capacity_at") or {}
    if at:
        out.append(
            f"Peak capacity use {_pct(k['peak_capacity_utilisation'])} ({at['supplier']}, day "
            f"{at['day']}); limit {_pct(k['capacity_limit_share'], 0)} for suppliers under "
            "a capacity-guarantee agreement, 100% for the others."
        )
    if data.sla is not None:
        o = data.sla.overall
        t = f"Expected 48-hour on-time rate {_pct(o['rate'])} with the warehouses alone"
        if o.get("rate_with_stock") is not None:
            t += f", {_pct(o['rate_with_stock'])} when orders also wait for the plan's stock"
        out.append(t + f" ({o['orders']:,} orders after the balance payment).")
    if data.policies is not None and len(data.policies):
        real = data.policies[data.policies["policy"] != "perfect_foresight"]
        if len(real):
            best = real.sort_values("expected_cost").iloc[0]
            out.append(
                f"Cheapest policy in the comparison, perfect foresight aside: {best['policy']} "
                f"(expected cost {_num(best['expected_cost'])})."
            )
    return out


def _kpi_tables(data: ReportData) -> str:
    s = data.summary
    status = [
        ("status", s["status"]),
        ("total cost", _num(s.get("objective"), 2)),
        ("lower bound", _num(s.get("bound"), 2)),
        ("gap", _pct(s.get("gap"), 3)),
        ("solver", f"{s['solver']}, {s['seconds']:.1f} s"),
    ]
    parts = [_table(("plan", ""), status, cls="narrow")]
    if "kpis" in s:
        k = s["kpis"]
        kp = [
            ("fill rate", _pct(k["fill_rate"])),
            (
                "sell-through",
                f"{_pct(k['sell_through'])} (target {_pct(k['sell_through_target'])})",
            ),
            ("units demanded", _num(k["units_demanded"])),
            ("units sold", _num(k["units_sold"])),
            ("units ordered", _num(k["units_ordered"])),
            ("units left at the end", _num(k["units_left_at_end"])),
            ("orders placed", _num(k["orders_placed"])),
            ("min lock share of expected demand", _pct(k.get("lock_ratio_min"))),
            (
                "peak use, suppliers under agreement",
                _pct(k.get("peak_utilisation_under_agreement")),
            ),
            ("peak use, suppliers without", _pct(k.get("peak_utilisation_without_agreement"))),
        ]
        parts.append(_table(("KPI", ""), kp, cls="narrow"))
        costs = [(name.replace("_", " "), _num(v, 2)) for name, v in s["costs"].items()]
        parts.append(_table(("cost", ""), costs, cls="narrow"))
    return '<div class="row">' + "\n".join(parts) + "</div>"


def _round_tables(data: ReportData) -> str:
    o = data.orders
    if o is None:
        return ""
    if len(o) == 0:
        return _p("The plan places no orders.")
    c = data.campaign
    rows = []
    for rnd_key, g in o.groupby("round", sort=True):
        rnd = int(str(rnd_key))
        day = int(g["order_day"].min())
        when = c.stage_of(day) if 1 <= day <= c.n_days else "before day 1"
        arr = f"{int(g['arrival_day'].min())}-{int(g['arrival_day'].max())}"
        rows.append(
            (
                f"round {rnd}" + (" (lock)" if rnd == 1 else ""),
                when,
                day,
                arr,
                g["supplier"].nunique(),
                g["sku"].nunique(),
                _num(g["quantity"].sum()),
                _num(g["packs"].sum()) if "packs" in g.columns else "",
            )
        )
    summary = _table(
        ("round", "stage", "order day", "arrival days", "suppliers", "SKUs", "units", "packs"),
        rows,
        numeric_from=2,
    )
    pivot = o.pivot_table(
        index="supplier", columns="round", values="quantity", aggfunc="sum", fill_value=0
    ).sort_index()
    prow = [
        (str(sup), *[_num(v) for v in r], _num(sum(r)))
        for sup, r in zip(pivot.index, pivot.to_numpy().tolist(), strict=True)
    ]
    prow.append(("total", *[_num(v) for v in pivot.sum().tolist()], _num(pivot.to_numpy().sum())))
    per_sup = _table(("supplier", *[f"round {r}" for r in pivot.columns], "total"), prow)
    return (
        "<h3>Orders per round</h3>\n"
        + summary
        + "\n<h3>Units per supplier and round</h3>\n"
        + per_sup
    )


def _policy_table(p: pd.DataFrame) -> str:
    rows = [
        (
            r.policy,
            _num(r.expected_cost),
            f"{_num(r.cost_ci_low)} - {_num(r.cost_ci_high)}",
            _pct(r.fill_rate),
            _pct(r.sell_through),
            _pct(r.cleared_last_3_days),
            _pct(r.peak_capacity_use),
            _num(r.regret),
        )
        for r in p.sort_values("expected_cost").itertuples(index=False)
    ]
    return _table(
        (
            "policy",
            "expected cost",
            "95% interval",
            "fill rate",
            "sell-through",
            "cleared in last 3 days",
            "peak capacity use",
            "regret",
        ),
        rows,
    )


def _figure_sections(data: ReportData) -> list[str]:
    from presale_supply.report import figures as fg

    stages = data.stage_starts
    no_plan = _p(f"No plan to show: the solve ended {data.summary['status']}.")
    out = []

    def add(key: str, make: Callable[[], Figure] | None, intro: str, extra: str = "") -> None:
        body = _p(intro) + "\n"
        body += _img(make(), FIGURES[key]) if make is not None else no_plan
        out.append(_section(key, FIGURES[key], body + extra))

    add(
        "demand",
        partial(fg.demand_fan_chart, data.demand_bands, data.demand_reference, stages),
        f"Daily demand per category. Source: {data.demand_source}. Dotted: the demand the "
        "plan was solved for.",
    )
    add(
        "orders",
        None if data.orders is None else partial(fg.order_rounds_chart, data.orders),
        "Units ordered from each supplier, stacked by order round (round 1 is the lock round "
        "placed before the presale; day numbers below 1 are before the campaign starts).",
        _round_tables(data),
    )
    add(
        "inventory",
        None
        if data.inventory is None
        else partial(fg.inventory_chart, data.inventory, stages, data.sku_category),
        "Stock on hand at the end of each day by category (top) and demand served and short "
        "per day (bottom); dashed lines are stage boundaries.",
    )
    add(
        "capacity",
        None
        if data.capacity is None
        else partial(fg.capacity_heatmap, data.capacity, data.limit_share),
        f"Capacity used / capacity per supplier and production day. Cells at the "
        f"{data.limit_share:.0%} limit (the most a supplier under a capacity-guarantee "
        "agreement may use) have a dotted outline, cells above it a solid one and their "
        "percentage; suppliers marked * have no agreement and may use 100%.",
    )
    if data.sla is None:
        out.append(_section("sla", FIGURES["sla"], _p("No SLA check run.")))
    else:
        notes = "".join(_p(n) for n in data.sla.notes)
        add(
            "sla",
            partial(fg.sla_hourly_chart, data.sla.hourly),
            "Expected share of orders delivered within 48 hours of payment, by the hour they "
            "were paid (grey bars: orders paid in the hour).",
            notes,
        )
    if data.policies is None:
        out.append(_section("policies", FIGURES["policies"], _p("No policy comparison run.")))
    else:
        add(
            "policies",
            partial(fg.policy_comparison_chart, data.policies, data.limit_share),
            "Ordering policies compared by simulation: expected cost with its 95% interval, "
            "regret, and service shares.",
            _policy_table(data.policies),
        )
    return out


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;
max-width:1150px;padding:1.2em 1.5em;color:#222;line-height:1.4}
h1{margin-bottom:.1em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.6em 1.2em .6em 0;font-size:.92em}
th,td{border-bottom:1px solid #e3e3e3;padding:.25em .7em;text-align:left}
th{background:#f4f4f4}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.row{display:flex;flex-wrap:wrap;align-items:flex-start}
img{max-width:100%;height:auto;display:block;margin:.6em 0}
ul.hl li{margin:.25em 0}nav a{margin-right:1em}
footer{color:#888;font-size:.85em;margin-top:2em}
@media print{section{page-break-inside:avoid}}
"""


def render_report(data: ReportData) -> str:
    """Render a :class:`ReportData` as one self-contained HTML page."""
    from presale_supply import __version__

    c = data.campaign
    start = f", from {c.start_date:%d %b %Y}" if c.start_date is not None else ""
    sub = f"{c.name}: {c.n_days} days{start}; {len(data.sku_category)} SKUs"
    nav = " ".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in FIGURES.items())
    hl = "".join(f"<li>{_e(t)}</li>" for t in _highlights(data))
    overview = (
        f'<ul class="hl">{hl}</ul>\n<div class="row">{_calendar(data)}</div>\n' + _kpi_tables(data)
    )
    body = [
        f"<h1>{_e(data.title)}</h1>",
        f'<p class="sub">{_e(sub)}</p>',
        f"<nav>{nav}</nav>",
        _section("overview", "Overview", overview),
        *_figure_sections(data),
    ]
    if data.notes:
        body.append(_section("notes", "Notes", "".join(_p(n) for n in data.notes)))
    body.append(
        f"<footer>presale_supply {_e(__version__)} campaign report, "
        f"{dt.date.today():%Y-%m-%d}.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(data.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def build_report(
    plan: Any,
    *,
    forecast: Any = None,
    demand_bands: pd.DataFrame | None = None,
    demand_source: str | None = None,
    sla: SlaByHour | None = None,
    policies: pd.DataFrame | None = None,
    title: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """Build the campaign report of a plan as one self-contained HTML string.

    Parameters are those of :func:`collect_report_data`. Figures: demand fan chart, order
    rounds, inventory, capacity heatmap, SLA by hour (when ``sla`` is given) and policy
    comparison (when ``policies`` is given); sections without data say so.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    InputError
        Invalid forecast or policy table.
    """
    data = collect_report_data(
        plan,
        forecast=forecast,
        demand_bands=demand_bands,
        demand_source=demand_source,
        sla=sla,
        policies=policies,
        title=title,
        notes=notes,
    )
    return render_report(data)


def write_report(plan: Any, out: str | Path, **kwargs: Any) -> Path:
    """Build the report (see :func:`build_report`) and write it to ``out``; return the path.

    Raises
    ------
    InputError
        ``out`` is a folder, or its folder cannot be created or written.
    """
    path = Path(out)
    if path.is_dir():
        raise InputError("is a folder; give a file name such as report.html.", file=str(path))
    text = build_report(plan, **kwargs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the report: {exc.strerror or exc}.", file=str(path)
        ) from None
    return path
