"""The campaign report: one self-contained HTML page a planner can read.

* :func:`build_report`, :func:`write_report` - the page from a plan result, with an optional
  forecast, SLA check and policy comparison (:mod:`presale_supply.report.html`).
* :mod:`presale_supply.report.figures` - one function per figure, plain tables in, a matplotlib
  ``Figure`` out (matplotlib is imported only when a figure is drawn).
* :mod:`presale_supply.report.collect` - the tables the figures draw, from planner, forecaster
  and SLA outputs.
* :mod:`presale_supply.report.pipeline` - plan, forecast, SLA check and report in one run
  (``presale-supply report --example``).

See ``docs/report.md``.
"""

from __future__ import annotations

from presale_supply.report.collect import SlaByHour, read_policy_table, sla_by_hour
from presale_supply.report.html import (
    FIGURES,
    ReportData,
    build_report,
    collect_report_data,
    render_report,
    write_report,
)

__all__ = [
    "FIGURES",
    "ReportData",
    "SlaByHour",
    "build_report",
    "collect_report_data",
    "read_policy_table",
    "render_report",
    "sla_by_hour",
    "write_report",
]
