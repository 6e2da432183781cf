"""The report's figures: one function per figure, plain tables in, a matplotlib Figure out.

Figures are built as :class:`matplotlib.figure.Figure` objects without ``pyplot``, so no GUI
backend is touched and no global figure registry grows; :func:`figure_to_png` renders them with
the Agg canvas. matplotlib is imported inside the functions, so importing this module is cheap.

The tables are the ones of :mod:`presale_supply.report.collect` and of the planner's result
(``orders``, ``inventory``, ``capacity``); each function's docstring lists the columns it reads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "capacity_heatmap",
    "demand_fan_chart",
    "figure_to_png",
    "inventory_chart",
    "order_rounds_chart",
    "policy_comparison_chart",
    "sla_hourly_chart",
]

_DPI = 100


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")


def _require(df: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"the {what} table needs columns {list(columns)}; missing {missing}.",
            column=missing[0],
        )


def _palette(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(k % 10) for k in range(n)]


def _stage_lines(ax: Axes, stage_starts: Mapping[str, int] | None, label: bool = True) -> None:
    """Dashed vertical lines at stage starts, with the stage names along the top."""
    if not stage_starts:
        return
    for name, start in stage_starts.items():
        x = start - 0.5
        ax.axvline(x, color="0.35", linestyle="--", linewidth=0.9, zorder=1)
        if label:
            ax.annotate(
                name,
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=8,
                color="0.25",
            )


def figure_to_png(fig: Figure, dpi: int = _DPI) -> bytes:
    """Render ``fig`` to PNG bytes with the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# ---- 1. demand fan chart --------------------------------------------------------------------
def demand_fan_chart(
    bands: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    stage_starts: Mapping[str, int] | None = None,
    *,
    reference_label: str = "plan demand",
    title: str = "Demand per category",
) -> Figure:
    """Fan chart of daily demand per category: median, 50% and 80% bands.

    Parameters
    ----------
    bands : DataFrame
        ``category, day, q0.5`` and optionally ``q0.25, q0.75`` (50% band) and ``q0.1, q0.9``
        (80% band), e.g. from :func:`~presale_supply.report.collect.demand_bands_from_paths`.
    reference : DataFrame, optional
        ``category, day, units``: a line drawn over the bands (e.g. the demand the plan used).
    stage_starts : mapping, optional
        Stage name to first campaign day; drawn as dashed lines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require(bands, ("category", "day", "q0.5"), "demand band")
    cats = sorted(bands["category"].astype(str).unique())
    if not cats:
        raise InputError("the demand band table has no rows.")
    ncols = 2 if len(cats) > 1 else 1
    nrows = math.ceil(len(cats) / ncols)
    fig = _figure(11, 2.9 * nrows + 0.6)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    colours = _palette(len(cats))
    for k, cat in enumerate(cats):
        ax = axes[k]
        b = bands.loc[bands["category"].astype(str) == cat].sort_values("day")
        x = b["day"].to_numpy()
        col = colours[k]
        if {"q0.1", "q0.9"} <= set(b.columns):
            ax.fill_between(x, b["q0.1"], b["q0.9"], color=col, alpha=0.18, lw=0, label="80%")
        if {"q0.25", "q0.75"} <= set(b.columns):
            ax.fill_between(x, b["q0.25"], b["q0.75"], color=col, alpha=0.38, lw=0, label="50%")
        ax.plot(x, b["q0.5"], color=col, lw=2, label="median")
        if reference is not None and len(reference):
            r = reference.loc[reference["category"].astype(str) == cat].sort_values("day")
            ax.plot(
                r["day"], r["units"], color="black", lw=1, ls=":", marker=".", label=reference_label
            )
        _stage_lines(ax, stage_starts, label=True)
        ax.set_title(cat, loc="left", fontsize=11, fontweight="bold")
        ax.set_ylabel("units / day")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.set_major_formatter(_thousands())
    for ax in axes[len(cats) :]:
        ax.set_visible(False)
    for ax in axes[max(0, len(cats) - ncols) : len(cats)]:
        ax.set_xlabel("campaign day")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncols=len(labels), frameon=False)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13)
    return fig


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _pos: int) -> str:
        if abs(v) >= 1e6:
            return f"{v / 1e6:g}M"
        return f"{v / 1000:g}k" if abs(v) >= 1000 else f"{v:g}"

    return FuncFormatter(fmt)


# ---- 2. order rounds ------------------------------------------------------------------------
def order_rounds_chart(
    orders: pd.DataFrame,
    round_labels: Mapping[int, str] | None = None,
    *,
    title: str = "Units ordered per supplier and round",
) -> Figure:
    """Stacked bars: units ordered per supplier, one colour per order round.

    Parameters
    ----------
    orders : DataFrame
        ``supplier, round, quantity`` (the plan's ``orders`` table; ``order_day`` is used for
        the legend when present).
    round_labels : mapping, optional
        Legend text per round number (default ``"round k (day d)"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require(orders, ("supplier", "round", "quantity"), "orders")
    fig = _figure(11, 4.6)
    ax = fig.subplots()
    if len(orders) == 0:
        ax.text(0.5, 0.5, "no orders placed", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    pivot = orders.pivot_table(
        index="supplier", columns="round", values="quantity", aggfunc="sum", fill_value=0
    ).sort_index()
    days: dict[int, int] = {}
    if "order_day" in orders.columns:
        first = orders.groupby("round")["order_day"].min()
        days = {int(k): int(v) for k, v in zip(first.index, first.to_numpy(), strict=True)}
    x = np.arange(len(pivot))
    bottom = np.zeros(len(pivot))
    colours = _palette(len(pivot.columns))
    for k, rnd in enumerate(pivot.columns):
        vals = pivot[rnd].to_numpy(dtype=float)
        if round_labels and int(rnd) in round_labels:
            lab = round_labels[int(rnd)]
        else:
            lab = f"round {rnd}" + (f" (day {days[int(rnd)]})" if int(rnd) in days else "")
        ax.bar(x, vals, bottom=bottom, color=colours[k], label=lab, width=0.7)
        bottom += vals
    for xi, tot in zip(x, bottom, strict=True):
        ax.annotate(
            f"{tot:,.0f}",
            (xi, tot),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(x, [str(s) for s in pivot.index], rotation=30, ha="right")
    ax.set_ylabel("units ordered")
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.1)
    ax.legend(frameon=False, fontsize=9)
    ax.set_title(title, loc="left", fontsize=13)
    return fig


# ---- 3. inventory trajectory ----------------------------------------------------------------
def inventory_chart(
    inventory: pd.DataFrame,
    stage_starts: Mapping[str, int] | None = None,
    sku_category: Mapping[str, str] | None = None,
    *,
    title: str = "Inventory over the campaign",
) -> Figure:
    """On-hand stock per category over campaign days, with demand, sales and lost sales below.

    Parameters
    ----------
    inventory : DataFrame
        ``day, on_hand`` and optionally ``sku`` (with ``sku_category`` or a ``category`` column
        the stock is split by category), ``demand``, ``sold`` and ``short`` (lower panel).
    stage_starts : mapping, optional
        Stage name to first day: dashed lines, names along the top.
    sku_category : mapping, optional
        Category of each SKU.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require(inventory, ("day", "on_hand"), "inventory")
    inv = inventory
    if "category" not in inv.columns:
        if sku_category is not None and "sku" in inv.columns:
            inv = inv.assign(category=inv["sku"].astype(str).map(sku_category).fillna("other"))
        else:
            inv = inv.assign(category="all SKUs")
    lower = "demand" in inv.columns and "sold" in inv.columns
    fig = _figure(11, 6.4 if lower else 4.4)
    if lower:
        ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    else:
        ax, ax2 = fig.subplots(), None
    stock = inv.pivot_table(
        index="day", columns="category", values="on_hand", aggfunc="sum", fill_value=0
    ).sort_index()
    days = stock.index.to_numpy()
    cols = list(stock.columns)
    ax.stackplot(
        days,
        *[stock[c].to_numpy(dtype=float) for c in cols],
        labels=[str(c) for c in cols],
        colors=_palette(len(cols)),
        alpha=0.85,
        step=None,
    )
    ax.plot(days, stock.sum(axis=1).to_numpy(), color="black", lw=1.2, label="total")
    _stage_lines(ax, stage_starts)
    ax.set_ylabel("units on hand (end of day)")
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    ax.set_title(title, loc="left", fontsize=13)
    if ax2 is not None:
        daily = inv.groupby("day")[["demand", "sold"]].sum().sort_index()
        lost = (daily["demand"] - daily["sold"]).clip(lower=0)
        if "short" in inv.columns:
            lost = inv.groupby("day")["short"].sum().sort_index().clip(lower=0)
        d = daily.index.to_numpy()
        ax2.bar(d, daily["sold"], color="tab:green", alpha=0.75, label="sold", width=0.8)
        ax2.bar(d, lost, bottom=daily["sold"], color="tab:red", alpha=0.8, label="short", width=0.8)
        ax2.plot(d, daily["demand"], color="black", lw=1, marker=".", label="demand")
        _stage_lines(ax2, stage_starts, label=False)
        ax2.set_ylabel("units / day")
        ax2.set_xlabel("campaign day")
        ax2.yaxis.set_major_formatter(_thousands())
        ax2.grid(axis="y", alpha=0.3)
        ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    else:
        ax.set_xlabel("campaign day")
    return fig


# ---- 4. capacity heatmap --------------------------------------------------------------------
def capacity_heatmap(
    capacity: pd.DataFrame,
    limit_share: float = 0.85,
    *,
    title: str = "Capacity utilisation per supplier and day",
) -> Figure:
    """Heatmap of capacity used / capacity, supplier x day, with the buffer limit marked.

    Cells above ``limit_share`` are outlined and labelled with their percentage; the colour bar
    carries a line at the limit. A supplier without a capacity-guarantee agreement (its
    ``limit`` equals its ``capacity``; limit 100%) is marked with ``*``.

    Parameters
    ----------
    capacity : DataFrame
        ``supplier, day, utilisation`` and optionally ``limit, capacity`` (the plan's
        ``capacity`` table).
    limit_share : float
        The agreed utilisation limit (1 - capacity buffer), default 0.85.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Rectangle

    _require(capacity, ("supplier", "day", "utilisation"), "capacity")
    grid = capacity.pivot_table(
        index="supplier", columns="day", values="utilisation", aggfunc="max", fill_value=0.0
    ).sort_index()
    suppliers = [str(s) for s in grid.index]
    if {"limit", "capacity"} <= set(capacity.columns):
        free = (
            (capacity["limit"] >= capacity["capacity"] - 1e-9).groupby(capacity["supplier"]).all()
        )
        zero = (capacity["capacity"] <= 0).groupby(capacity["supplier"]).all()
        suppliers = [
            f"{s} (no capacity)"
            if bool(zero.get(s, False))
            else (f"{s} *" if bool(free.get(s, False)) else s)
            for s in suppliers
        ]
    u = grid.to_numpy(dtype=float)
    days = grid.columns.to_numpy()
    if u.size == 0:
        raise InputError("the capacity table has no rows.")
    vmax = max(1.0, float(u.max()))
    fig = _figure(11, 1.3 + 0.42 * max(len(suppliers), 3))
    ax = fig.subplots()
    im = ax.imshow(
        u,
        aspect="auto",
        cmap="YlOrRd",
        vmin=0.0,
        vmax=vmax,
        interpolation="nearest",
        extent=(days[0] - 0.5, days[-1] + 0.5, len(suppliers) - 0.5, -0.5),
    )
    tol = 0.005  # the limit is floored to whole capacity units, so "at the limit" is approximate
    for r, k in np.argwhere(u >= limit_share - tol):
        above = u[r, k] > limit_share + tol
        ax.add_patch(
            Rectangle(
                (days[k] - 0.5 + 0.04, r - 0.5 + 0.06),
                0.92,
                0.88,
                fill=False,
                edgecolor="black",
                lw=2.0 if above else 1.0,
                linestyle="-" if above else ":",
                zorder=3,
            )
        )
        if above:
            ax.text(
                days[k],
                r,
                f"{u[r, k]:.0%}",
                ha="center",
                va="center",
                fontsize=6.5,
                color="white",
                fontweight="bold",
                zorder=4,
            )
    ax.set_yticks(np.arange(len(suppliers)), suppliers)
    step = max(1, math.ceil(len(days) / 32))
    ax.set_xticks(days[::step])
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("production day" + (" (0 and below: before the campaign)" if days[0] < 1 else ""))
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.01)
    cb.set_label("used / capacity")
    cb.ax.axhline(limit_share, color="black", lw=2)
    cb.ax.yaxis.set_major_formatter(_percent())
    cb.ax.set_yticks(sorted({0.0, 0.25, 0.5, limit_share, 1.0, vmax}))
    fig.suptitle(title, x=0.01, ha="left", fontsize=13)
    ax.set_title(
        f"dotted: at the {limit_share:.0%} limit; solid with label: above it; "
        "* = no capacity-guarantee agreement, limit 100%",
        loc="left",
        fontsize=8,
        color="0.3",
    )
    return fig


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


# ---- 5. SLA by hour -------------------------------------------------------------------------
def sla_hourly_chart(
    hourly: pd.DataFrame,
    target: float = 0.95,
    *,
    min_orders: int = 20,
    title: str = "48-hour delivery promise around the balance-payment spike",
) -> Figure:
    """Orders paid per hour (bars) and the expected on-time rate per hour (lines).

    Parameters
    ----------
    hourly : DataFrame
        ``hour, orders, rate`` and optionally ``rate_with_stock`` (see
        :class:`~presale_supply.report.collect.SlaByHour`).
    target : float
        On-time target drawn as a dashed line (default 95%).
    min_orders : int
        Hours with fewer orders are left out (their rates are noise); said in the axis label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _require(hourly, ("hour", "orders", "rate"), "SLA hourly")
    keep = hourly["orders"].to_numpy(float) >= min_orders
    dropped = int((~keep).sum())
    h = (hourly.loc[keep] if keep.any() else hourly).reset_index(drop=True)
    labels = [str(v)[5:16] if len(str(v)) >= 16 else str(v) for v in h["hour"]]
    x = np.arange(len(h))
    fig = _figure(11, 4.6)
    ax = fig.subplots()
    ax_n = ax.twinx()
    ax_n.bar(x, h["orders"].to_numpy(float), color="0.82", width=0.8, label="orders paid")
    ax_n.set_ylabel("orders paid in the hour")
    ax_n.yaxis.set_major_formatter(_thousands())
    ax.set_zorder(ax_n.get_zorder() + 1)
    ax.patch.set_visible(False)
    rate = pd.to_numeric(h["rate"], errors="coerce").to_numpy(float)
    ax.plot(x, rate, color="tab:blue", lw=2, marker="o", ms=4, label="warehouses only")
    if "rate_with_stock" in h.columns:
        rs = pd.to_numeric(h["rate_with_stock"], errors="coerce").to_numpy(float)
        ax.plot(x, rs, color="tab:orange", lw=2, marker="s", ms=4, label="with the plan's stock")
    ax.axhline(target, color="tab:red", ls="--", lw=1, label=f"target {target:.0%}")
    finite = np.concatenate([rate[np.isfinite(rate)], [target]])
    if "rate_with_stock" in h.columns:
        finite = np.concatenate([finite, rs[np.isfinite(rs)]])
    ax.set_ylim(max(0.0, float(finite.min()) - 0.05), 1.01)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylabel("expected on-time rate")
    step = max(1, len(x) // 16)
    ax.set_xticks(x[::step], labels[::step], rotation=35, ha="right", fontsize=8)
    ax.set_xlabel(
        "hour paid (local time)"
        + (f"; {dropped} hour(s) with fewer than {min_orders} orders left out" if dropped else "")
    )
    ax.grid(axis="y", alpha=0.3)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax_n.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncols=4, frameon=False, fontsize=9)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13)
    return fig


# ---- 6. policy comparison -------------------------------------------------------------------
_SHARES = (
    ("fill_rate", "fill rate"),
    ("sell_through", "sell-through"),
    ("cleared_last_3_days", "cleared in last 3 days"),
    ("peak_capacity_use", "peak capacity use"),
)


def policy_comparison_chart(
    policies: pd.DataFrame,
    capacity_limit: float = 0.85,
    *,
    title: str = "Policy comparison",
) -> Figure:
    """Expected cost with its confidence interval, and service shares, per policy.

    Parameters
    ----------
    policies : DataFrame
        ``policy, expected_cost, cost_ci_low, cost_ci_high, fill_rate, sell_through,
        cleared_last_3_days, peak_capacity_use, regret`` (shares as fractions).
    capacity_limit : float
        Drawn as a dashed line on the shares panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from presale_supply.report.collect import POLICY_COLUMNS

    _require(policies, POLICY_COLUMNS, "policy comparison")
    p = policies.sort_values("expected_cost", ascending=False).reset_index(drop=True)
    n = len(p)
    fig = _figure(11, 1.6 + 0.55 * max(n, 3))
    ax_c, ax_s = fig.subplots(1, 2, sharey=True, width_ratios=[1.1, 1])
    y = np.arange(n)
    cost = p["expected_cost"].to_numpy(float)
    lo = np.clip(cost - p["cost_ci_low"].to_numpy(float), 0, None)
    hi = np.clip(p["cost_ci_high"].to_numpy(float) - cost, 0, None)
    best = int(np.argmin(cost)) if n else -1
    colours = ["tab:green" if k == best else "tab:blue" for k in range(n)]
    ax_c.barh(y, cost, xerr=np.vstack([lo, hi]), color=colours, alpha=0.8, capsize=3)
    for k in range(n):
        ax_c.annotate(
            f"regret {p['regret'].iloc[k]:,.0f}",
            (cost[k] + hi[k], y[k]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax_c.set_yticks(y, p["policy"].astype(str).tolist())
    ax_c.set_xlabel("expected cost (bars: 95% interval)")
    ax_c.xaxis.set_major_formatter(_thousands())
    ax_c.margins(x=0.25)
    ax_c.grid(axis="x", alpha=0.3)
    ax_c.set_title("cost (lowest in green)", loc="left", fontsize=11)
    width = 0.8 / len(_SHARES)
    pal = _palette(len(_SHARES))
    for j, (col, lab) in enumerate(_SHARES):
        ax_s.barh(
            y - 0.4 + width * (j + 0.5),
            p[col].to_numpy(float),
            height=width,
            color=pal[j],
            label=lab,
        )
    ax_s.axvline(capacity_limit, color="black", ls="--", lw=1)
    ax_s.annotate(
        f"capacity limit {capacity_limit:.0%}",
        xy=(capacity_limit, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
    )
    ax_s.set_xlim(0, max(1.0, float(p[[c for c, _ in _SHARES]].to_numpy(float).max()) * 1.05))
    ax_s.xaxis.set_major_formatter(_percent())
    ax_s.grid(axis="x", alpha=0.3)
    ax_s.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, frameon=False, fontsize=8)
    ax_s.set_title("service and capacity", loc="left", fontsize=11)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13)
    return fig
