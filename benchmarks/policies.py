"""Value of staging: order policies on >= 200 simulated campaigns (seeded), with the lock-ratio
and capacity-buffer sensitivity.

Run: ``make bench-policies`` (or ``python benchmarks/policies.py --campaigns 200``). Writes
``benchmarks/results/policies.{json,md}``, the CSV tables and ``policies.png``. Every figure in
docs/stochastic.md is quoted from these files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from presale_supply.stochastic.cli import format_table, paired_lines, run_comparison

RESULTS = Path(__file__).resolve().parent / "results"


def _sensitivity_panel(ax, sens: pd.DataFrame, parameter: str, default: float, label: str) -> None:
    rows = sens[(sens["parameter"] == parameter) & sens["diff_vs_baseline"].notna()]
    for pol, g in rows.groupby("policy"):
        y = g["diff_vs_baseline"].to_numpy(float)
        err = [y - g["diff_ci_low"].to_numpy(float), g["diff_ci_high"].to_numpy(float) - y]
        x = g["value"].to_numpy(float)
        ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=str(pol))
    ax.axvline(default, color="k", ls=":", lw=1)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(label)
    ax.set_ylabel(f"cost minus cost at {default:g}, paired (95% CI)")
    ax.set_title(f"Sensitivity to the {label}")
    ax.legend()


def _plot(doc: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = pd.DataFrame(doc["table"])
    sens = pd.DataFrame(doc["sensitivity"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    regret = table["regret"].to_numpy(float)
    lo = regret - table["regret_ci_low"].to_numpy(float)
    hi = table["regret_ci_high"].to_numpy(float) - regret
    colours = ["#999999", "#d95f02", "#e6ab02", "#1b9e77", "#7570b3"][: len(table)]
    ax.bar(table["policy"].astype(str).tolist(), regret, yerr=[lo, hi], color=colours, capsize=4)
    ax.set_title(f"Regret vs perfect foresight ({doc['campaigns']} campaigns, 95% CI)")
    ax.set_ylabel("cost above perfect foresight per campaign")
    ax.tick_params(axis="x", rotation=15)
    if not sens.empty:
        _sensitivity_panel(axes[1], sens, "lock_ratio", 0.3, "lock ratio")
        _sensitivity_panel(axes[2], sens, "capacity_buffer", 0.15, "capacity buffer")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--campaigns", type=int, default=200)
    ap.add_argument("--sensitivity-campaigns", type=int, default=30)
    ap.add_argument("--n-skus", type=int, default=12)
    ap.add_argument("--scenarios", type=int, default=8)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lock-ratios", default="0.1,0.2,0.3,0.4,0.5,0.6")
    ap.add_argument("--buffers", default="0,0.1,0.15,0.2,0.3")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    out = Path(args.out)
    doc = run_comparison(
        campaigns=args.campaigns,
        n_skus=args.n_skus,
        scenarios=args.scenarios,
        time_limit=args.time_limit,
        workers=args.workers,
        lock_ratios=[float(x) for x in args.lock_ratios.split(",") if x],
        buffers=[float(x) for x in args.buffers.split(",") if x],
        sensitivity_campaigns=args.sensitivity_campaigns,
        out=out,
    )
    table = pd.DataFrame(doc["table"])
    md = [
        "# Order policies on simulated campaigns",
        "",
        f"{doc['campaigns']} campaigns of the example generator ({doc['n_skus']} SKUs, 8 "
        f"suppliers, 31 days, level uncertainty cv {doc['level_cv']}), {doc['scenarios']} "
        f"scenarios per planning call, {doc['solver']} with {doc['time_limit']} s per call, "
        f"{doc['workers']} processes; {doc['seconds']:.0f} s in all. Machine: "
        f"{doc['machine']['platform']}, {doc['machine']['cpus']} CPUs.",
        "",
        "```",
        format_table(table),
        "```",
        "",
    ]
    md += [*paired_lines(doc), ""]
    sens = pd.DataFrame(doc["sensitivity"])
    if not sens.empty:
        md += [
            "## Sensitivity",
            "",
            "`campaigns`: campaigns with a plan at that value; `infeasible`: share of campaigns "
            "where the lock does not fit the suppliers' capacity (proven by the pre-check); "
            "`vs plan value`: mean cost difference to the plan's value (lock 0.30, buffer 0.15), "
            "paired by campaign over the campaigns feasible at both, with its 95% interval.",
            "",
            "| parameter | value | policy | campaigns | infeasible | expected cost "
            "| vs plan value | 95% CI |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in sens.to_dict(orient="records"):
            cost = f"{r['expected_cost']:,.0f}" if r.get("campaigns") else "-"
            diff = r.get("diff_vs_baseline")
            if diff is not None and diff == diff:
                dtxt = f"{diff:+,.0f}"
                ci = f"[{r['diff_ci_low']:+,.0f}, {r['diff_ci_high']:+,.0f}]"
            else:
                dtxt = ci = "-"
            md.append(
                f"| {r['parameter']} | {r['value']:g} | {r['policy']} | {r['campaigns']} | "
                f"{r['infeasible_share']:.0%} | {cost} | {dtxt} | {ci} |"
            )
    (out / "policies.md").write_text("\n".join(md) + "\n")
    _plot(doc, out / "policies.png")
    print("\n".join(md))
    print(json.dumps({"written": str(out / "policies.md")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
