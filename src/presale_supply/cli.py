"""Command line of presale_supply (``presale-supply``).

Subcommands are registered by modules; each capability (planner, forecaster, SLA checker) owns
its own ``register(subparsers)`` function, so this file only dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from presale_supply.exceptions import PresaleSupplyError

__all__ = ["main"]

# Modules that provide ``register(subparsers) -> None``; each sets ``func`` on its parsers.
_COMMAND_MODULES = (
    "presale_supply.replenishment.cli",
    "presale_supply.forecast.cli",
    "presale_supply.sla.cli",
    "presale_supply.stochastic.cli",
    "presale_supply.report.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="presale-supply",
        description="Supply planning for e-commerce presale campaigns.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Exit codes: 0 success, 1 the problem has no feasible plan or no solution was found,
    2 bad input or usage.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args))
    except PresaleSupplyError as exc:
        print(f"presale-supply: error: {exc}", file=sys.stderr)
        from presale_supply.exceptions import InfeasibleError

        return 1 if isinstance(exc, InfeasibleError) else 2
    except OSError as exc:  # a file or folder we could not read or write
        print(f"presale-supply: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("presale-supply: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
