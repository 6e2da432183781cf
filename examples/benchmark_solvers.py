"""Compare two solver backends on small instances through the benchmark suite's Python API.

What it shows: the building blocks of the solver comparison suite (``benchmarks/solvers``),
used from Python on a run small enough to finish in seconds:

* ``registry.load(name)`` builds an instance: ``campaign:N`` is the example campaign with N
  SKUs (``presale_supply.datasets``, synthetic); ``trigeiro:G30-unit`` and other Trigeiro
  lot-sizing files need ``../shared/data/lotsizing`` (for those the suite also runs its
  textbook CBC baseline);
* ``run.run_one(...)`` solves one instance with one backend and returns a result row (status,
  objective, bound, gap, seconds, model size); a failing backend is a row, not a crash;
* ``run.markdown(...)`` renders the suite's table and ``run.machine()`` records versions and
  machine facts next to the results.

The results (``solvers.csv``, ``solvers.json``, ``solvers.md``) go to a new temporary folder
(or ``--out``), never into ``benchmarks/results/``, which holds the published runs of
``make bench-solvers``.

Run from the project root::

    .venv/bin/python examples/benchmark_solvers.py             # campaign:20, campaign:50; 10 s
    .venv/bin/python examples/benchmark_solvers.py --small     # campaign:8, campaign:12; 1 s
    .venv/bin/python examples/benchmark_solvers.py --backends cpsat,scip --time-limit 30
    .venv/bin/python examples/benchmark_solvers.py --instances trigeiro:G30-unit  # shared data

The full suite is ``python -m benchmarks.solvers.run --help``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

# ``benchmarks`` is a folder of the project, not part of the installed package: make it
# importable when this file is run as a script (then only examples/ is on sys.path).
PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from benchmarks.solvers.baseline import solve_baseline  # noqa: E402
from benchmarks.solvers.registry import load  # noqa: E402
from benchmarks.solvers.run import machine, markdown, run_one  # noqa: E402

RESULTS = PROJECT / "benchmarks" / "results"


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def run_suite(
    instances: list[str], backends: list[str], run_args: argparse.Namespace, baseline: bool
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every instance with every backend: result rows, and baseline rows for lot-sizing files."""
    rows: list[dict[str, Any]] = []
    base: dict[str, dict[str, Any]] = {}
    for name in instances:
        inst = load(name, run_args.seed)
        if baseline and inst.lot_sizing is not None:
            # Trigeiro files only: the plain PuLP/CBC model the suite quotes its ratios against.
            b = solve_baseline(
                inst.lot_sizing,
                unit_times=inst.unit_times,
                time_limit=run_args.time_limit,
                threads=run_args.threads,
            )
            if inst.reference is not None and b["objective"] is not None:
                b["gap_to_reference"] = abs(b["objective"] - inst.reference) / inst.reference
            base[name] = b
            print(f"  {name:<18} baseline CBC       {b['status']:<11} {b['seconds']:5.1f} s")
        for backend in backends:
            row = run_one(name, inst, backend, run_args.formulation, run_args)
            rows.append(row)
            gap = "-" if row.get("gap") is None else f"{row['gap']:.4%}"
            print(
                f"  {name:<18} {backend:<18} {row['status']:<11} {row.get('seconds', 0):5.1f} s"
                f"  gap {gap}"
            )
    return rows, base


def write_results(
    out: Path,
    rows: list[dict[str, Any]],
    base: dict[str, dict[str, Any]],
    meta: dict[str, Any],
    run_args: argparse.Namespace,
) -> list[Path]:
    """The suite's three files: one CSV row per run, the JSON with machine facts, the table."""
    out.mkdir(parents=True, exist_ok=True)
    csv, js, md = out / "solvers.csv", out / "solvers.json", out / "solvers.md"
    pd.DataFrame(rows).to_csv(csv, index=False)
    payload = {"machine": meta, "args": vars(run_args), "baseline": base, "rows": rows}
    js.write_text(json.dumps(payload, indent=1, default=str))
    md.write_text(markdown(rows, base, meta, run_args))
    return [csv, js, md]


def main(argv: list[str] | None = None) -> int:
    """Run the comparison, print the table and the result files; 0 on success."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--small", action="store_true", help="tiny instances, 1 s limit (fast)")
    parser.add_argument("--instances", default=None, help="comma-separated registry names")
    parser.add_argument("--backends", default="cpsat,highs", help="default cpsat,highs")
    parser.add_argument("--formulation", default="auto", help="auto (default), aggregate, ...")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--threads", type=int, default=1, help="solver threads (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="instance and solver seed")
    parser.add_argument("--no-baseline", action="store_true", help="skip the CBC baseline")
    parser.add_argument("--out", type=Path, default=None, help="result folder (a temp dir)")
    args = parser.parse_args(argv)

    default_instances = "campaign:8,campaign:12" if args.small else "campaign:20,campaign:50"
    instances = _split(args.instances or default_instances)
    backends = _split(args.backends)
    # run_one() and markdown() read these attributes, as they do from the suite's own CLI.
    run_args = argparse.Namespace(
        time_limit=args.time_limit or (1.0 if args.small else 10.0),
        threads=args.threads,
        seed=args.seed,
        formulation=args.formulation,
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="presale-bench-"))
    if out.resolve().is_relative_to(RESULTS.resolve()):
        print(f"refusing to write into {RESULTS}: it holds the published runs", file=sys.stderr)
        return 2

    print(
        f"== {len(instances)} instance(s) x {len(backends)} backend(s), "
        f"limit {run_args.time_limit:g} s, {run_args.threads} thread(s) =="
    )
    meta = machine()  # solver versions, CPU, load average: results mean nothing without them
    try:
        rows, base = run_suite(instances, backends, run_args, baseline=not args.no_baseline)
    except (FileNotFoundError, ValueError) as exc:  # unknown name, or lot-sizing data absent
        print(f"cannot build the instances: {exc}", file=sys.stderr)
        return 2

    print()
    print(markdown(rows, base, meta, run_args))
    # The same numbers side by side: one row per instance, one column per backend.
    table = (
        pd.DataFrame(rows)
        .pivot(index="instance", columns="backend", values="objective")
        .reindex(index=instances, columns=backends)
    )
    print("objective by backend (same instance, same limit):")
    print(table.to_string(float_format=lambda v: f"{v:,.2f}"))

    paths = write_results(out, rows, base, meta, run_args)
    print(f"\nresults written to {out}/: {', '.join(p.name for p in paths)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
