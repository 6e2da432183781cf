"""Reading and writing a campaign folder: ``campaign.toml``, ``skus.csv``, ``suppliers.csv``,
``demand.csv``.

Every column is documented in ``docs/input_files.md``. CSV cells are read as text and validated
column by column, so an error names the file, the row (1 = first data row), the column and the
value, never a parser traceback.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from presale_supply.campaign import Campaign
from presale_supply.data import Demand, Policy, Problem, Skus, Suppliers
from presale_supply.exceptions import InputError

__all__ = ["read_csv", "read_policy", "read_problem_dir", "write_problem_dir"]

FILES = ("campaign.toml", "skus.csv", "suppliers.csv", "demand.csv")
#: Keys of ``[policy]``: every field of :class:`Policy`.
_POLICY_KEYS = tuple(f.name for f in dataclasses.fields(Policy))


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV file as text cells (validation converts them), with clear errors.

    Raises
    ------
    InputError
        Missing, empty or malformed file (names the file and the parser's words).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found.", file=str(p))
    try:
        df = pd.read_csv(
            p,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise InputError(
            "the file is empty; it needs a header line and rows.", file=str(p)
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        words = str(exc).replace("line ", "file line ")
        raise InputError(f"not a readable CSV file: {words}", file=str(p)) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def read_policy(data: Mapping[str, Any], source: str) -> Policy:
    """Build a :class:`Policy` from the ``[policy]`` table of ``campaign.toml``."""
    if not isinstance(data, Mapping):
        raise InputError(
            "policy must be a table ([policy] with key = value lines).",
            file=source,
            column="policy",
            value=data,
        )
    unknown = sorted(set(data) - set(_POLICY_KEYS))
    if unknown:
        raise InputError(
            f"unknown key(s) in [policy]: {unknown}; valid keys are {list(_POLICY_KEYS)}.",
            file=source,
        )
    kwargs = dict(data)
    if "rounds" in kwargs and kwargs["rounds"] is not None:
        if not isinstance(kwargs["rounds"], list):
            raise InputError(
                "rounds must be an array of day numbers, e.g. rounds = [1, 8, 22].",
                file=source,
                column="rounds",
                value=kwargs["rounds"],
            )
        kwargs["rounds"] = tuple(kwargs["rounds"])
    try:
        return Policy(**kwargs)
    except InputError as exc:
        raise InputError(exc.reason, file=source, column=exc.column, value=exc.value) from None


def read_problem_dir(directory: str | Path) -> Problem:
    """Read a campaign folder into a validated :class:`Problem`.

    The folder holds ``campaign.toml`` (tables ``[campaign]`` and optional ``[policy]``),
    ``skus.csv``, ``suppliers.csv`` and ``demand.csv`` (see ``docs/input_files.md``).

    Raises
    ------
    InputError
        A file is missing or malformed, or a value is invalid (file, row, column, value named).
    """
    d = Path(directory)
    if not d.is_dir():
        raise InputError(
            "not a folder; expected a campaign folder with "
            f"{', '.join(FILES)} (create one with `presale-supply init DIR`).",
            file=str(d),
        )
    missing = [f for f in FILES if not (d / f).is_file()]
    if missing:
        raise InputError(
            f"missing file(s) {missing} in the campaign folder; it needs {list(FILES)}.",
            file=str(d),
        )
    toml_path = d / "campaign.toml"
    try:
        text = toml_path.read_bytes().decode("utf-8-sig")
        conf = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8.",
            file=str(toml_path),
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(toml_path)) from None
    camp = conf.get("campaign", {})
    if not isinstance(camp, Mapping):
        raise InputError(
            "campaign must be a table ([campaign]).",
            file=str(toml_path),
            column="campaign",
            value=camp,
        )
    unknown = sorted(set(conf) - {"campaign", "policy"})
    if unknown:
        raise InputError(
            f"unknown table(s) {unknown}; valid tables are [campaign] and [policy].",
            file=str(toml_path),
        )
    campaign = Campaign.from_mapping(camp, source=str(toml_path))
    policy = read_policy(conf.get("policy", {}), str(toml_path))
    skus_path, sup_path, dem_path = (str(d / f) for f in FILES[1:])
    skus = Skus.from_frame(read_csv(skus_path), source=skus_path)
    suppliers = Suppliers.from_frame(read_csv(sup_path), source=sup_path)
    dem_df = read_csv(dem_path)
    if len(dem_df) == 0:
        raise InputError(
            "the demand file has a header but no rows: every SKU would have zero "
            "demand. Add rows sku, day, units.",
            file=dem_path,
        )
    demand = Demand.from_frame(dem_df, skus.ids, campaign.n_days, source=dem_path)
    try:
        return Problem(campaign, skus, suppliers, demand, policy)
    except InputError as exc:
        raise InputError(
            exc.reason,
            file=exc.file or str(toml_path),
            row=exc.row,
            column=exc.column,
            value=exc.value,
        ) from None


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v) if not (isinstance(v, float) and math.isinf(v)) else "inf"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_problem_dir(
    directory: str | Path,
    campaign: Campaign,
    skus: pd.DataFrame,
    suppliers: pd.DataFrame,
    demand: pd.DataFrame,
    policy: Policy | None = None,
) -> list[Path]:
    """Write a campaign folder that :func:`read_problem_dir` reads back; return the paths."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError("exists and is not a folder.", file=str(d))
    d.mkdir(parents=True, exist_ok=True)
    policy = policy or Policy()
    lines = [
        "# Campaign definition for presale-supply (see docs/input_files.md).",
        "[campaign]",
        f"name = {_toml_value(campaign.name)}",
    ]
    if campaign.start_date is not None:
        lines.append(f"start_date = {_toml_value(campaign.start_date.isoformat())}")
    lines.append(f"total_days = {campaign.n_days}  # optional; must equal the sum of stages")
    for s in campaign.stages:
        lines += ["", "[[campaign.stages]]", f"name = {_toml_value(s.name)}", f"days = {s.days}"]
    lines += [
        "",
        "[policy]",
        "# rounds = [1, 8, 22]  # order days; default: lock round + stage starts",
        f"lock_ratio = {policy.lock_ratio!r}",
        f"capacity_buffer = {policy.capacity_buffer!r}",
        f"shortage = {_toml_value(policy.shortage.value)}",
    ]
    if policy.rounds is not None:
        lines.append(f"rounds = {_toml_value(list(policy.rounds))}")
    if policy.storage_capacity is not None:
        lines.append(f"storage_capacity = {policy.storage_capacity!r}")
    if policy.budget is not None:
        lines.append(f"budget = {policy.budget!r}")
    default = Policy()
    for key in ("lock_net_of_stock", "sell_through_target", "integer_quantities"):
        value = getattr(policy, key)
        if value != getattr(default, key):
            lines.append(f"{key} = {_toml_value(value)}")
    paths = [d / f for f in FILES]
    paths[0].write_text("\n".join(lines) + "\n")
    skus.to_csv(paths[1], index=False)
    suppliers.to_csv(paths[2], index=False)
    demand.to_csv(paths[3], index=False)
    return paths
