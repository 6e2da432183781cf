"""The baseline a user would otherwise write: a plain PuLP lot-sizing model, textbook big-M, CBC.

min sum sc*y + h*I  s.t.  I[i,t-1] + x[i,t] - I[i,t] = d[i,t];  sum_i b_i x + st_i y <= C;
x[i,t] <= M_i y[i,t] with M_i = the item's total demand over the horizon (the textbook choice);
y binary, x and I continuous. Solved by PuLP's CBC with the same time limit and threads.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from presale_supply.lotsizing import LotSizingInstance


def solve_baseline(
    inst: LotSizingInstance, *, unit_times: bool, time_limit: float, threads: int
) -> dict[str, Any]:
    """Solve ``inst`` with the plain model; return status, objective, bound, gap, seconds."""
    import pulp

    t0 = time.perf_counter()
    n, T = inst.shape
    d = inst.demand
    b = [1.0] * n if unit_times else list(inst.unit_time)
    prob = pulp.LpProblem("baseline", pulp.LpMinimize)
    x = [[prob.add_variable(f"x_{i}_{t}", lowBound=0) for t in range(T)] for i in range(n)]
    inv = [[prob.add_variable(f"I_{i}_{t}", lowBound=0) for t in range(T)] for i in range(n)]
    y = [[prob.add_variable(f"y_{i}_{t}", cat=pulp.LpBinary) for t in range(T)] for i in range(n)]
    prob += pulp.lpSum(
        inst.setup_cost[i] * y[i][t] + inst.holding_cost[i] * inv[i][t]
        for i in range(n)
        for t in range(T)
    )
    for i in range(n):
        big_m = float(d[i].sum())
        for t in range(T):
            prev = inv[i][t - 1] if t else 0
            prob += prev + x[i][t] - inv[i][t] == float(d[i, t])
            prob += x[i][t] <= big_m * y[i][t]
    for t in range(T):
        prob += pulp.lpSum(
            b[i] * x[i][t] + inst.setup_time[i] * y[i][t] for i in range(n)
        ) <= float(inst.capacity[t])
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        prob.solve(
            pulp.PULP_CBC_CMD(
                msg=False, timeLimit=time_limit, threads=threads, gapRel=1e-6, logPath=str(log)
            )
        )
        text = log.read_text(errors="replace") if log.exists() else ""
    seconds = time.perf_counter() - t0
    m = re.findall(r"^Lower bound:\s+([-+0-9.eE]+)", text, flags=re.M)
    has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    obj = float(pulp.value(prob.objective)) if has else None
    optimal = prob.sol_status == pulp.LpSolutionOptimal and "Optimal solution found" in text
    bound = float(m[-1]) if m else (obj if optimal else None)
    status = "OPTIMAL" if optimal else ("FEASIBLE" if has else "NO_SOLUTION")
    gap = None
    if obj is not None and bound is not None:
        gap = abs(obj - bound) / max(abs(obj), 1e-9)
    return {"status": status, "objective": obj, "bound": bound, "gap": gap, "seconds": seconds}
