"""``presale-supply sla audit|predict|size`` (registered by :mod:`presale_supply.cli`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from presale_supply.exceptions import InputError
from presale_supply.sla.audit import GROUP_KEYS, audit
from presale_supply.sla.network import load_network
from presale_supply.sla.orders import ColumnMapping, OrderTable, read_orders
from presale_supply.sla.promise import BusinessCalendar, Granularity, PromiseAnchor, PromiseRule
from presale_supply.sla.simulate import predict, read_stock
from presale_supply.sla.size import size_capacity
from presale_supply.sla.warn import WarningPolicy, backtest, warn

__all__ = ["register"]


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("orders", metavar="ORDERS.csv", help="orders in the canonical columns")
    p.add_argument(
        "--tz",
        default=None,
        help="zone of naive timestamps (default UTC, or the network's timezone)",
    )
    p.add_argument(
        "--map",
        dest="mapping",
        default="",
        help="column mapping, e.g. paid_at=order_approved_at,origin=seller_state",
    )
    p.add_argument(
        "--allow-extra-columns",
        action="store_true",
        help="ignore columns that are neither canonical nor mapped",
    )
    p.add_argument(
        "--promise-hours", type=float, default=None, help="deadline = paid + hours (default 48)"
    )
    p.add_argument(
        "--promise-business-days",
        type=int,
        default=None,
        help="deadline = end of the N-th business day after payment",
    )
    p.add_argument("--holidays", default="", help="comma-separated ISO dates off")
    p.add_argument("--workdays", default="", help="comma-separated make-up working days")
    p.add_argument("--weekend", default="5,6", help="weekday numbers off (Monday=0)")
    p.add_argument(
        "--promise-column",
        default=None,
        help="use this column as the promised date/time (promised_by)",
    )
    p.add_argument(
        "--promise-granularity",
        choices=[g.value for g in Granularity],
        default="exact",
        help="day: any time on the promised date is on time",
    )
    p.add_argument("--ship-by", action="store_true", help="the promise is about hand-over")
    p.add_argument(
        "--not-eligible",
        action="append",
        default=[],
        metavar="ORIGIN:DEST",
        help="a lane without promise ('*' = any); repeatable",
    )
    p.add_argument("--group-by", default="", help=f"comma-separated keys from {list(GROUP_KEYS)}")
    p.add_argument("--json", action="store_true", help="print a JSON report on stdout")


def _rule(args: argparse.Namespace) -> PromiseRule:
    anchor = PromiseAnchor.SHIP_BY if args.ship_by else PromiseAnchor.DELIVER_BY
    lanes = []
    for text in args.not_eligible:
        if ":" not in text:
            raise InputError("--not-eligible takes ORIGIN:DESTINATION.", value=text)
        o, _, d = text.partition(":")
        lanes.append((o.strip(), d.strip()))
    chosen = [
        x is not None for x in (args.promise_hours, args.promise_business_days, args.promise_column)
    ]
    if sum(chosen) > 1:
        raise InputError(
            "give only one of --promise-hours, --promise-business-days, --promise-column."
        )
    if args.promise_column is not None:
        return PromiseRule.from_column(
            Granularity(args.promise_granularity), anchor=anchor, ineligible_lanes=tuple(lanes)
        )
    if args.promise_business_days is not None:
        weekend = []
        for w in _split(args.weekend):
            try:
                weekend.append(int(w))
            except ValueError as exc:
                raise InputError(
                    "--weekend takes weekday numbers 0 (Monday) to 6, e.g. 5,6.", value=w
                ) from exc
        cal = BusinessCalendar.build(
            weekend=weekend,
            holidays=_split(args.holidays),
            workdays=_split(args.workdays),
        )
        return PromiseRule.business_days(
            args.promise_business_days, cal, anchor=anchor, ineligible_lanes=tuple(lanes)
        )
    hours = 48.0 if args.promise_hours is None else args.promise_hours
    return PromiseRule.hours(hours, anchor=anchor, ineligible_lanes=tuple(lanes))


def _orders(args: argparse.Namespace, tz: str, *, tz_declared: bool = False) -> OrderTable:
    mapping = ColumnMapping.parse(args.mapping)
    if args.promise_column and args.promise_column != "promised_by":
        mapping = ColumnMapping({**mapping.names, "promised_by": args.promise_column})
    orders = read_orders(
        args.orders, tz=tz, mapping=mapping, allow_extra_columns=args.allow_extra_columns
    )
    if args.promise_column and "promised_by" not in orders.present:
        raise InputError(
            "the promise column given by --promise-column is not in the file.",
            file=args.orders,
            column=args.promise_column,
        )
    if orders.naive_columns and args.tz is None and not tz_declared:
        print(
            f"sla: note: timestamps without a UTC offset in {list(orders.naive_columns)} are "
            f"read as {tz} wall-clock time (no --tz given).",
            file=sys.stderr,
        )
    return orders


def _network_declares_tz(path: str) -> bool:
    """Whether the network file names a timezone (else naive timestamps are read as UTC)."""
    import tomllib
    from pathlib import Path

    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if path.lower().endswith(".json") else tomllib.loads(text)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "timezone" in data


def _report_unknown_lanes(pred: Any, prog: str) -> None:
    lanes = pred.unknown_lanes()
    if not lanes:
        return
    shown = ", ".join(
        f"{ln['origin']}->{ln['destination']} ({ln['carrier']}): {ln['orders']} orders, "
        f"first row {ln['first_row']}"
        for ln in lanes[:10]
    )
    more = f" and {len(lanes) - 10} more" if len(lanes) > 10 else ""
    print(
        f"{prog}: warning: {sum(ln['orders'] for ln in lanes)} orders are on lanes the network "
        f"does not list (counted as unknown_lane, not predicted): {shown}{more}",
        file=sys.stderr,
    )


def _emit(report: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        json.dump(report, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def _fmt_rate(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2%}"


def _cmd_audit(args: argparse.Namespace) -> int:
    orders = _orders(args, args.tz or "UTC")
    print(f"sla audit: {len(orders)} orders read from {args.orders}", file=sys.stderr)
    res = audit(orders, _rule(args), as_of=args.as_of)
    by = _split(args.group_by)
    report = res.to_dict(by)
    if args.out_orders:
        res.to_frame().to_csv(args.out_orders, index=False)
        print(f"sla audit: per-order statuses written to {args.out_orders}", file=sys.stderr)
    o = report["overall"]
    lines = [
        f"{report['rule']}: on time {o['on_time']} of {o['decided']} decided "
        f"({_fmt_rate(o['rate'])}); late {o['late']}; not eligible {o['not_eligible']}; "
        f"undetermined {o['undetermined']}; total {o['total']}"
    ]
    if by:
        lines.append(res.rates(by).to_string(index=False))
    q = {k: v for k, v in report["quality"].items() if v}
    lines.append(
        "data quality (rows kept): "
        + (", ".join(f"{k}={v}" for k, v in q.items()) or "no faulty rows")
    )
    _emit(report, args.json, "\n".join(lines))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    network = load_network(args.network)
    orders = _orders(args, args.tz or network.tz, tz_declared=_network_declares_tz(args.network))
    stock = read_stock(args.stock, tz=args.tz or network.tz) if args.stock else None
    print(
        f"sla predict: {len(orders)} orders, {len(network.warehouses)} warehouses", file=sys.stderr
    )
    pred = predict(orders, network, _rule(args), stock=stock, risk_threshold=args.risk_threshold)
    _report_unknown_lanes(pred, "sla predict")
    by = _split(args.group_by) or ["lane"]
    report = pred.to_dict(by)
    wr = warn(
        pred, WarningPolicy(lead_hours=args.warn_lead_hours, risk_threshold=args.risk_threshold)
    )
    report["warnings"] = {
        "warned": int(wr.warned.sum()),
        "timely": int(wr.timely.sum()),
        "lead_hours": args.warn_lead_hours,
    }
    if "delivered_at" in orders.present:
        report["backtest"] = backtest(wr, audit(orders, pred.rule))
    if args.out_orders:
        pred.to_frame().to_csv(args.out_orders, index=False)
        print(f"sla predict: per-order predictions written to {args.out_orders}", file=sys.stderr)
    o = report["overall"]
    text = (
        f"{report['rule']}: expected on-time rate {_fmt_rate(o['rate'])} over "
        f"{o['predicted']} orders; predicted breaches {o['late']}; not eligible "
        f"{o['not_eligible']} (of which on lanes the network does not list "
        f"{o['unknown_lane']}); warnings {report['warnings']['warned']}\n"
        + pred.rates(by).to_string(index=False)
    )
    _emit(report, args.json, text)
    return 0


def _cmd_size(args: argparse.Namespace) -> int:
    network = load_network(args.network)
    orders = _orders(args, args.tz or network.tz, tz_declared=_network_declares_tz(args.network))
    stock = read_stock(args.stock, tz=args.tz or network.tz) if args.stock else None
    needs = size_capacity(orders, network, _rule(args), target=args.target, stock=stock)
    report = {"target": args.target, "warehouses": [n.to_dict() for n in needs]}
    lines = []
    for n in needs:
        need = "out of reach" if n.needed_capacity is None else f"{n.needed_capacity:g}/h"
        lines.append(
            f"{n.warehouse}: {n.orders} orders; now {n.current_capacity:g}/h -> "
            f"{_fmt_rate(n.current_rate)}; target {args.target:.0%} needs {need}; "
            f"best possible {_fmt_rate(n.rate_unlimited)}; binding {n.binding.value}"
        )
    _emit(report, args.json, "\n".join(lines))
    return 0


def register(subparsers: Any) -> None:
    """Add ``sla`` with subcommands ``audit``, ``predict`` and ``size``."""
    sla = subparsers.add_parser(
        "sla",
        help="logistics SLA checker (48-hour promise)",
        description="Audit, predict and size a delivery promise.",
    )
    sub = sla.add_subparsers(dest="sla_command", metavar="SLA_COMMAND")
    sla.set_defaults(func=lambda _args: (sla.print_help(sys.stderr), 2)[1])

    p = sub.add_parser("audit", help="on-time rates from actual timestamps + data quality")
    _add_common(p)
    p.add_argument("--as-of", default=None, help="audit time: undelivered past deadline = late")
    p.add_argument("--out-orders", default=None, help="write per-order statuses to this CSV")
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("predict", help="predicted ship/delivery, P(on time), breaches, warnings")
    _add_common(p)
    p.add_argument("--network", required=True, help="network TOML/JSON file")
    p.add_argument("--stock", default=None, help="CSV sku,available_at,quantity")
    p.add_argument("--risk-threshold", type=float, default=0.5)
    p.add_argument("--warn-lead-hours", type=float, default=3.0)
    p.add_argument("--out-orders", default=None, help="write per-order predictions to this CSV")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("size", help="least hourly capacity per warehouse for a target rate")
    _add_common(p)
    p.add_argument("--network", required=True, help="network TOML/JSON file")
    p.add_argument("--stock", default=None, help="CSV sku,available_at,quantity")
    p.add_argument("--target", type=float, default=0.95)
    p.set_defaults(func=_cmd_size)
