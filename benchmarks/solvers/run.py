"""Run the solver comparison suite.

Examples
--------
Fast tier (what the tests run)::

    python -m benchmarks.solvers.run --instances trigeiro:G30-unit --backends cpsat,cbc \\
        --time-limit 20

Full run (``make bench-solvers``)::

    python -m benchmarks.solvers.run --instances all --backends cpsat,scip,highs,cbc,pulp-highs \\
        --formulations aggregate,facility_location --time-limit 60 --threads 2

Writes ``<out>.csv`` (one row per instance, backend and formulation), ``<out>.json`` (rows plus
solver versions and machine), ``<out>.md`` (a table with ratios against the baseline measured
in the same run) and ``<out>_profile.png`` (performance profile).

``--workers N`` (default 1) runs the (instance, backend) cells and the baselines ``N`` at a time
on a process pool; the rows are the same and in the same order, but the cells then share the
machine's cores and memory bandwidth, so their **timings are not comparable** with a
``--workers 1`` run (nor, under load, with each other). Each cell still uses ``--threads``
threads: ``N x threads`` should not exceed the cores. Use ``--workers 1`` for published timings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from concurrent.futures import Executor
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.solvers.baseline import solve_baseline
from benchmarks.solvers.registry import ROOT, load, select

from presale_supply.backends.base import SolveOptions, get_backend, relative_gap
from presale_supply.parallel import Partition, default_executor, run_partitions
from presale_supply.replenishment.solve import solve


def machine() -> dict[str, Any]:
    """Solver versions and machine facts recorded with the results."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pkgs = {}
    for p in ("ortools", "pulp", "highspy", "numpy", "presale_supply"):
        try:
            pkgs[p] = version(p)
        except Exception:
            pkgs[p] = "not installed"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in load],
        "cpu": cpu,
        "cores": os.cpu_count(),
        "packages": pkgs,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def run_one(
    name: str, inst: Any, backend: str, formulation: str, args: argparse.Namespace
) -> dict[str, Any]:
    # "FORM+whole" solves one model (no decomposition by supplier)
    whole = formulation.endswith("+whole")
    formulation = formulation.removesuffix("+whole")
    row: dict[str, Any] = {"instance": name, "backend": backend, "formulation": formulation}
    t0 = time.perf_counter()
    try:
        if inst.problem is not None:
            r = solve(
                inst.problem,
                backend,
                time_limit=args.time_limit,
                threads=args.threads,
                seed=args.seed,
                formulation=formulation,
                explain=False,
                decompose=False if whole else None,
            )
            row.update(
                status=r.status.value,
                objective=r.objective,
                bound=r.bound,
                gap=r.gap,
                seconds=r.seconds,
                **r.model_size,
            )
            if backend == "auto" and formulation == "auto":
                # the portfolio: keep the configuration's name, and say whose plan it kept
                row["plan_from"] = r.model_size.get("formulation")
                row["formulation"] = "auto"
                row["message"] = r.message
            if whole:
                row["formulation"] = f"{row['formulation']} (one model)"
        else:
            m = inst.milp
            raw = get_backend(backend).solve(
                m, SolveOptions(time_limit=args.time_limit, threads=args.threads, seed=args.seed)
            )
            row.update(
                status=raw.status.value,
                objective=raw.objective,
                bound=raw.bound,
                gap=relative_gap(raw.objective, raw.bound),
                seconds=raw.seconds,
                formulation="as read",
                variables=m.n_vars,
                integer_variables=m.n_integer,
                rows=m.n_rows,
                nonzeros=len(m.data),
            )
    except Exception as exc:  # a failing backend is a result, not a crash of the suite
        row.update(
            status="ERROR", message=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0
        )
    ref = inst.reference
    row["reference"] = ref
    if ref is not None and row.get("objective") is not None:
        row["gap_to_reference"] = abs(row["objective"] - ref) / abs(ref)
    return row


def run_baseline(name: str, inst: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The baseline (plain PuLP model, CBC) on a lot-sizing instance, with its gap to the
    reference."""
    b = solve_baseline(
        inst.lot_sizing,
        unit_times=inst.unit_times,
        time_limit=args.time_limit,
        threads=args.threads,
    )
    if inst.reference is not None and b["objective"] is not None:
        b["gap_to_reference"] = abs(b["objective"] - inst.reference) / inst.reference
    return b


def _cell(name: str, inst: Any, backend: str | None, form: str, args: argparse.Namespace) -> Any:
    """One cell of the suite: the baseline (``backend`` None) or one backend and formulation."""
    if backend is None:
        return run_baseline(name, inst, args)
    return run_one(name, inst, backend, form, args)


def run_cells(
    names: list[str],
    pairs: list[tuple[str, ...]],
    args: argparse.Namespace,
    executor: Executor | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Run the baselines and every (instance, backend, formulation) cell.

    Without an ``executor`` the cells run one after the other, each instance loaded just
    before its cells. With one, every instance is loaded first and all cells are submitted to
    it; the rows come back in the same order (see the module docstring on timings).

    Returns
    -------
    rows : list of dict
        One per cell, instance by instance, in the order of ``pairs``.
    base : dict
        Baseline result per lot-sizing instance.
    """
    rows: list[dict[str, Any]] = []
    base: dict[str, dict[str, Any]] = {}
    total = len(names) * len(pairs)
    counter = [0]

    def report(name: str, backend: str | None, res: dict[str, Any]) -> None:
        if backend is None:
            base[name] = res
            print(
                f"[baseline] {name}: {res['status']} gap {_fmt(res['gap'], True)} "
                f"{res['seconds']:.1f}s",
                file=sys.stderr,
                flush=True,
            )
            return
        counter[0] += 1
        rows.append(res)
        print(
            f"[{counter[0]}/{total}] {name} {backend}/{res['formulation']}: {res['status']} "
            f"gap {_fmt(res.get('gap'), True)} {res.get('seconds', 0):.1f}s",
            file=sys.stderr,
            flush=True,
        )

    cells: list[tuple[str, str | None]] = []
    parts: list[Partition] = []
    for name in names:
        inst = load(name, args.seed)
        todo: list[tuple[str | None, str]] = []
        if inst.lot_sizing is not None and not args.no_baseline:
            todo.append((None, ""))
        todo += [(b, f) for b, f in pairs]
        for backend, form in todo:
            if executor is None:
                report(name, backend, _cell(name, inst, backend, form, args))
                continue
            label = f"{name} {backend or 'baseline'}/{form or 'textbook big-M'}"
            cells.append((name, backend))
            parts.append(Partition(label, (name, inst, backend, form, args)))
    if executor is not None:
        run_partitions(_cell, parts, executor, on_done=lambda pos, res: report(*cells[pos], res))
    return rows, base


def with_baseline(
    rows: list[dict[str, Any]], base: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` plus the baseline runs as rows of their own (for the performance profile)."""
    extra = [
        {"instance": k, "backend": "baseline CBC", "formulation": "textbook big-M", **v}
        for k, v in base.items()
    ]
    return extra + rows


def performance_profile(rows: list[dict[str, Any]], path: Path) -> None:
    """Fraction of instances each configuration proved optimal within tau x the best time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = sorted({(r["backend"], r["formulation"]) for r in rows})
    instances = sorted({r["instance"] for r in rows})
    best = {}
    for inst in instances:
        solved = [r["seconds"] for r in rows if r["instance"] == inst and r["status"] == "OPTIMAL"]
        best[inst] = min(solved) if solved else None
    taus = [1.0 * (1.05**k) for k in range(0, 96)]  # 1 to 100
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for cfg in configs:
        ratios = []
        for inst in instances:
            r = next(
                (
                    x
                    for x in rows
                    if x["instance"] == inst and (x["backend"], x["formulation"]) == cfg
                ),
                None,
            )
            if r is None or r["status"] != "OPTIMAL" or best[inst] is None:
                ratios.append(math.inf)
            else:
                ratios.append(r["seconds"] / best[inst])
        frac = [sum(q <= t for q in ratios) / len(instances) for t in taus]
        ax.step(taus, frac, where="post", label=f"{cfg[0]} / {cfg[1]}")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("tau (time / best time among configurations that proved optimality)")
    ax.set_ylabel("fraction of instances proved optimal")
    ax.set_title("Performance profile")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if pct:
        return f"{v:.4%}"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def summary(rows: list[dict[str, Any]], base: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: per configuration, over the instances with a baseline run (lot
    sizing), how many it proved optimal, how many match the reference to 1e-6, its geometric
    mean time against the baseline, what it did on the instances the baseline left open, and
    what it left open."""
    if not base:
        return []
    open_base = [k for k, b in base.items() if b["status"] != "OPTIMAL"]
    configs = list(dict.fromkeys((r["backend"], r["formulation"]) for r in rows))
    lines = [
        f"Summary over the {len(base)} instances with a baseline run; the baseline left "
        f"{len(open_base)} open ({', '.join(n.split(':', 1)[-1] for n in open_base) or 'none'}).",
        "",
        "| configuration | proved optimal | matches the reference to 1e-6 | geometric mean time "
        "vs baseline | baseline-open: closed | baseline-open: gap 10x smaller or closed | "
        "open after the limit |",
        "|---|---|---|---|---|---|---|",
    ]

    def cells(name: str, got: dict[str, dict[str, Any]]) -> str:
        proved = sum(1 for k in base if got.get(k, {}).get("status") == "OPTIMAL")
        match = sum(
            1
            for k in base
            if got.get(k, {}).get("gap_to_reference") is not None
            and got[k]["gap_to_reference"] <= 1e-6
        )
        ratios = [
            got[k]["seconds"] / base[k]["seconds"]
            for k in base
            if got.get(k, {}).get("seconds") and base[k].get("seconds")
        ]
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios)) if ratios else math.nan
        closed = sum(1 for k in open_base if got.get(k, {}).get("status") == "OPTIMAL")
        tenfold = 0
        for k in open_base:
            g, bg = got.get(k, {}).get("gap"), base[k].get("gap")
            if got.get(k, {}).get("status") == "OPTIMAL" or (
                g is not None and bg is not None and g * 10 <= bg
            ):
                tenfold += 1
        left = [
            f"{k.split(':', 1)[-1]} {_fmt(got.get(k, {}).get('gap'), True)}"
            for k in base
            if got.get(k, {}).get("status") != "OPTIMAL"
        ]
        return (
            f"| {name} | {proved} of {len(base)} | {match} | {geo:.2f} | "
            f"{closed if got is not base else '-'} | {tenfold if got is not base else '-'} | "
            f"{', '.join(left) or 'none'} |"
        )

    lines.append(cells("baseline (PuLP, textbook M, CBC)", base))
    for cfg in configs:
        got = {r["instance"]: r for r in rows if (r["backend"], r["formulation"]) == cfg}
        if any(k in got for k in base):
            lines.append(cells(f"`{cfg[0]}` / `{cfg[1]}`", got))
    return [*lines, ""]


def markdown(
    rows: list[dict[str, Any]],
    base: dict[str, dict[str, Any]],
    meta: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    lines = [
        "# Solver comparison",
        "",
        f"Measured {meta['date']} on {meta['cpu']} ({meta['cores']} cores), Python "
        f"{meta['python']}; {', '.join(f'{k} {v}' for k, v in meta['packages'].items())}; "
        f"load average at start {meta['load_average_at_start']}.",
        f"Time limit {args.time_limit:g} s, {args.threads} threads, seed {args.seed}.",
        (
            "Ratios are against the baseline (plain PuLP model, textbook big-M, CBC) measured "
            "in the same run: time ratio = seconds / baseline seconds; gap ratio = baseline gap "
            "/ gap (higher is better; inf when we closed the gap and the baseline did not)."
            if base
            else "No baseline in this run (it runs on lot-sizing files only, and not with "
            "`--no-baseline`): the ratio columns are empty."
        ),
        *(
            [
                f"Cells ran {args.workers} at a time (`--workers {args.workers}`): their timings "
                "are not comparable with a sequential run."
            ]
            if getattr(args, "workers", 1) > 1
            else []
        ),
        "",
        *summary(rows, base),
        "| instance | backend | formulation | status | objective | bound | gap | gap to ref | "
        "seconds | time ratio | gap ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, b in base.items():
        lines.append(
            f"| {name} | baseline CBC | textbook big-M | {b['status']} | "
            f"{_fmt(b['objective'])} | {_fmt(b['bound'])} | {_fmt(b['gap'], True)} | "
            f"{_fmt(b.get('gap_to_reference'), True)} | {b['seconds']:.1f} | 1 | 1 |"
        )
    for r in rows:
        b = base.get(r["instance"])
        tr = gr = "-"
        if b is not None and r.get("seconds"):
            tr = f"{r['seconds'] / b['seconds']:.2f}"
            if b.get("gap") is not None and r.get("gap") is not None:
                gr = (
                    "inf"
                    if r["gap"] <= 1e-9 and b["gap"] > 1e-9
                    else ("1" if r["gap"] <= 1e-9 else f"{b['gap'] / r['gap']:.1f}")
                )
        form = r["formulation"] + (f" (plan: {r['plan_from']})" if r.get("plan_from") else "")
        lines.append(
            f"| {r['instance']} | {r['backend']} | {form} | {r['status']} | "
            f"{_fmt(r.get('objective'))} | {_fmt(r.get('bound'))} | {_fmt(r.get('gap'), True)} | "
            f"{_fmt(r.get('gap_to_reference'), True)} | {r.get('seconds', 0):.1f} | {tr} | {gr} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", default="trigeiro", help="comma-separated prefixes, or all")
    ap.add_argument("--backends", default="cpsat,cbc")
    ap.add_argument(
        "--formulations", default="auto", help="comma-separated: auto, aggregate, facility_location"
    )
    ap.add_argument(
        "--configs",
        default=None,
        help="explicit backend/formulation pairs, e.g. cpsat/aggregate,cbc/aggregate_ls "
        "(overrides --backends x --formulations); FORM+whole solves one model instead of "
        "one per supplier",
    )
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="cells run this many at a time on a process pool (default 1); timings of a run "
        "with more than one are not comparable with a sequential run",
    )
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "solvers"))
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error(f"--workers must be >= 1. Got: {args.workers}.")
    names = list(dict.fromkeys(select(args.instances)))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    forms = [f.strip() for f in args.formulations.split(",") if f.strip()]
    if args.configs:
        pairs = [tuple(c.strip().split("/", 1)) for c in args.configs.split(",") if c.strip()]
    else:
        pairs = [(b, f) for b in backends for f in forms]
    meta = machine()
    if args.workers > 1:
        with default_executor(args.workers) as pool:
            rows, base = run_cells(names, pairs, args, pool)
    else:
        rows, base = run_cells(names, pairs, args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    pd.DataFrame(rows).to_csv(out.with_suffix(".csv"), index=False)
    out.with_suffix(".json").write_text(
        json.dumps(
            {"machine": meta, "args": vars(args), "baseline": base, "rows": rows},
            indent=1,
            default=str,
        )
    )
    out.with_suffix(".md").write_text(markdown(rows, base, meta, args))
    if not args.no_plot:
        performance_profile(with_baseline(rows, base), out.parent / (out.name + "_profile.png"))
    print(f"wrote {out}.csv/.json/.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
