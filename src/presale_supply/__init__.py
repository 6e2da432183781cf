"""presale_supply: supply planning for e-commerce presale campaigns.

Three capabilities that work together: a staged replenishment planner (a mixed-integer program
solved by OR-Tools or PuLP behind one solver-agnostic model), a demand forecaster, and a logistics
SLA checker for a 48-hour delivery promise. Solver packages are imported lazily, only when a
backend is used.
"""

from __future__ import annotations

__version__ = "0.1.0"
