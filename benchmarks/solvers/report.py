"""Rebuild the markdown table and the performance profile from a results JSON.

python -m benchmarks.solvers.report benchmarks/results/solvers_trigeiro.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.solvers.run import markdown, performance_profile, with_baseline


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", help="a .json written by benchmarks.solvers.run")
    args = ap.parse_args(argv)
    path = Path(args.results)
    data = json.loads(path.read_text())
    meta = data["machine"]
    meta.setdefault("load_average_at_start", "not recorded")
    run_args = argparse.Namespace(**data["args"])
    path.with_suffix(".md").write_text(markdown(data["rows"], data["baseline"], meta, run_args))
    performance_profile(
        with_baseline(data["rows"], data["baseline"]), path.parent / (path.stem + "_profile.png")
    )
    print(f"wrote {path.with_suffix('.md')} and {path.stem}_profile.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
