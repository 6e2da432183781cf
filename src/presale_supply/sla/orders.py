"""The canonical order table of the SLA checker and its loaders.

Columns (canonical names; a :class:`ColumnMapping` renames a user's own columns to these):

=============  ========  ====================================================================
column         required  meaning
=============  ========  ====================================================================
order_id       yes       order identifier (repeats are reported, never merged or dropped)
paid_at        yes       balance payment time: the promise clock starts here
origin         yes       where the parcel leaves from (warehouse region, seller state, ...)
destination    yes       where it goes (customer region)
warehouse      no        the warehouse that picks and packs it (defaults to ``origin``)
carrier        no        carrier name (e.g. SF, JD)
sku            no        stock-keeping unit, needed for stock waits
quantity       no        units of ``sku`` in the order (whole number >= 1, default 1)
promised_by    no        a promised date or time, used by ``PromiseRule.from_column``
shipped_at     no        hand-over to the carrier
delivered_at   no        delivery to the customer
status         no        free-text order status; used only by the data-quality report
=============  ========  ====================================================================

Timestamps are either all timezone-aware (any offsets, converted to UTC) or all naive and read
in the declared zone ``tz``, across the whole table: a table with offsets in one column and
naive values in another is an error naming the columns (bare calendar dates such as
``2024-12-12`` carry no offset by nature and may go with either). Empty cells are kept as
missing and counted by the data-quality report of :func:`presale_supply.sla.audit.audit`; they
are never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from presale_supply.exceptions import InputError
from presale_supply.sla._time import NAT, parse_instants_kind
from presale_supply.validation import numeric_column, reject_first, require_columns

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Category",
    "ColumnMapping",
    "OrderTable",
    "read_csv_frame",
    "read_orders",
    "with_file_line",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("order_id", "paid_at", "origin", "destination")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "warehouse",
    "carrier",
    "sku",
    "quantity",
    "promised_by",
    "shipped_at",
    "delivered_at",
    "status",
)
TIME_COLUMNS: tuple[str, ...] = ("paid_at", "promised_by", "shipped_at", "delivered_at")
CATEGORY_COLUMNS: tuple[str, ...] = (
    "origin",
    "destination",
    "warehouse",
    "carrier",
    "sku",
    "status",
)


@dataclass(frozen=True)
class ColumnMapping:
    """Map canonical column names to the names used in a user's file.

    Parameters
    ----------
    names : mapping of str to str
        ``{canonical: user_name}``, e.g. ``{"paid_at": "order_approved_at"}``. Canonical names
        not mentioned are expected under their own name.

    Raises
    ------
    InputError
        If a key is not a canonical column or two canonical columns map to one user column.
    """

    names: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        valid = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
        for key in self.names:
            if key not in valid:
                raise InputError(
                    f"column mapping names an unknown canonical column; valid: {list(valid)}.",
                    value=key,
                )
        targets = list(self.names.values())
        dup = [t for t in targets if targets.count(t) > 1]
        if dup:
            raise InputError("column mapping uses one source column twice.", value=dup[0])

    @classmethod
    def parse(cls, text: str) -> ColumnMapping:
        """Parse ``"paid_at=order_approved_at,origin=seller_state"`` (used by the CLI)."""
        names: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in part:
                raise InputError("column mapping entries look like canonical=yours.", value=part)
            key, _, val = part.partition("=")
            names[key.strip()] = val.strip()
        return cls(names)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return ``df`` with the user's columns renamed to canonical names."""
        reverse = {user: canon for canon, user in self.names.items()}
        return df.rename(columns=reverse)


@dataclass(frozen=True)
class Category:
    """A categorical column: integer ``codes`` (``-1`` = missing) into ``labels``."""

    codes: np.ndarray
    labels: np.ndarray

    @classmethod
    def from_values(cls, values: pd.Series | np.ndarray) -> Category:
        """Factorize values; blanks and NaN become missing (code ``-1``)."""
        series = pd.Series(values)
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            stripped = series.astype("string").str.strip()
            series = stripped.mask(stripped == "")
        codes, labels = pd.factorize(series, use_na_sentinel=True)
        return cls(
            codes=codes.astype(np.int32), labels=np.asarray(labels, dtype=object).astype(str)
        )

    @classmethod
    def missing(cls, n: int) -> Category:
        """A column with every value missing."""
        return cls(codes=np.full(n, -1, dtype=np.int32), labels=np.array([], dtype=object))

    def values(self) -> np.ndarray:
        """Return the labels per row (``None`` where missing)."""
        labels = np.empty(len(self.labels) + 1, dtype=object)
        labels[:-1] = self.labels
        return labels[self.codes]

    def code_of(self, label: str) -> int:
        """Code of ``label``, or -1 if it does not occur."""
        hits = np.flatnonzero(self.labels == label)
        return int(hits[0]) if hits.size else -1


@dataclass(frozen=True)
class OrderTable:
    """Validated orders as numpy arrays (one entry per input row, in input order).

    Instants are int64 nanoseconds since the epoch in UTC, ``NAT`` where missing. ``present``
    lists the optional columns the input had. ``tz`` is the zone in which local days, cut-offs
    and calendar dates are read.
    """

    order_id: np.ndarray
    order_key: np.ndarray
    paid_at: np.ndarray
    origin: Category
    destination: Category
    warehouse: Category
    carrier: Category
    sku: Category
    status: Category
    quantity: np.ndarray
    promised_by: np.ndarray
    shipped_at: np.ndarray
    delivered_at: np.ndarray
    tz: str = "UTC"
    present: frozenset[str] = frozenset()
    source: str = "<orders>"
    naive_columns: tuple[str, ...] = ()
    """Time columns read from naive values (wall clock in ``tz``); empty when all carry an
    offset or the table was built from arrays."""

    def __len__(self) -> int:
        return int(self.paid_at.shape[0])

    def take(self, rows: np.ndarray) -> OrderTable:
        """The sub-table of the given 0-based row positions (categories keep their labels)."""

        def sub(c: Category) -> Category:
            return Category(codes=c.codes[rows], labels=c.labels)

        return replace(
            self,
            order_id=self.order_id[rows],
            order_key=self.order_key[rows],
            paid_at=self.paid_at[rows],
            origin=sub(self.origin),
            destination=sub(self.destination),
            warehouse=sub(self.warehouse),
            carrier=sub(self.carrier),
            sku=sub(self.sku),
            status=sub(self.status),
            quantity=self.quantity[rows],
            promised_by=self.promised_by[rows],
            shipped_at=self.shipped_at[rows],
            delivered_at=self.delivered_at[rows],
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        order_id: np.ndarray,
        paid_at: np.ndarray,
        origin: np.ndarray | Category,
        destination: np.ndarray | Category,
        warehouse: np.ndarray | Category | None = None,
        carrier: np.ndarray | Category | None = None,
        sku: np.ndarray | Category | None = None,
        quantity: np.ndarray | None = None,
        promised_by: np.ndarray | None = None,
        shipped_at: np.ndarray | None = None,
        delivered_at: np.ndarray | None = None,
        tz: str = "UTC",
        source: str = "<arrays>",
    ) -> OrderTable:
        """Build a table from arrays without parsing (instants given as int64 UTC ns or
        ``datetime64``; categories as label arrays or :class:`Category`).

        Raises
        ------
        InputError
            If the arrays differ in length.
        """
        n = len(paid_at)
        present: set[str] = set()

        def inst(a: np.ndarray | None, name: str) -> np.ndarray:
            if a is None:
                return np.full(n, NAT, dtype=np.int64)
            present.add(name)
            arr = np.asarray(a)
            if arr.dtype.kind == "M":
                arr = arr.astype("datetime64[ns]").view(np.int64)
            if len(arr) != n:
                raise InputError(f"{name} has {len(arr)} values, paid_at has {n}.", column=name)
            return arr.astype(np.int64, copy=False)

        def cat(a: np.ndarray | Category | None, name: str) -> Category:
            if a is None:
                return Category.missing(n)
            present.add(name)
            c = a if isinstance(a, Category) else Category.from_values(np.asarray(a))
            if len(c.codes) != n:
                raise InputError(f"{name} has {len(c.codes)} values, paid_at has {n}.")
            return c

        ids = np.asarray(order_id)
        if len(ids) != n:
            raise InputError(f"order_id has {len(ids)} values, paid_at has {n}.")
        if ids.dtype.kind in "iu" and n and ids.min() >= 0 and ids.max() < 4 * n:
            key = ids.astype(np.int64)
        else:
            key = pd.factorize(ids)[0]
        if quantity is not None:
            present.add("quantity")
            qty = np.asarray(quantity, dtype=np.int64)
        else:
            qty = np.ones(n, dtype=np.int64)
        org = cat(origin, "origin")
        present.discard("origin")
        dst = cat(destination, "destination")
        present.discard("destination")
        return cls(
            order_id=ids,
            order_key=np.asarray(key, dtype=np.int64),
            paid_at=inst(paid_at, "paid_at"),
            origin=org,
            destination=dst,
            warehouse=cat(warehouse, "warehouse") if warehouse is not None else org,
            carrier=cat(carrier, "carrier"),
            sku=cat(sku, "sku"),
            status=Category.missing(n),
            quantity=qty,
            promised_by=inst(promised_by, "promised_by"),
            shipped_at=inst(shipped_at, "shipped_at"),
            delivered_at=inst(delivered_at, "delivered_at"),
            tz=tz,
            present=frozenset(present - {"paid_at"}),
            source=source,
        )

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        tz: str = "UTC",
        mapping: ColumnMapping | Mapping[str, str] | None = None,
        source: str = "<orders>",
        allow_extra_columns: bool = False,
    ) -> OrderTable:
        """Validate a DataFrame of orders (see the module docstring for the columns).

        Parameters
        ----------
        df : DataFrame
            One row per order.
        tz : str
            IANA zone of naive timestamps and of local days (default ``"UTC"``).
        mapping : ColumnMapping or dict, optional
            ``{canonical: your_column}``.
        source : str
            Name used in error messages (a file name).
        allow_extra_columns : bool
            Ignore columns that are neither canonical nor mapped (default: they are an error,
            so that a typo in a column name is not ignored).

        Raises
        ------
        InputError
            Missing required columns, unknown columns, unreadable timestamps, bad quantities;
            the message names file, row, column and value -- the column as named in the
            user's file when a mapping renamed it.
        """
        if mapping is not None and not isinstance(mapping, ColumnMapping):
            mapping = ColumnMapping(dict(mapping))
        names = dict(mapping.names) if mapping is not None else {}
        try:
            return cls._from_frame(
                mapping.apply(df) if mapping is not None else df,
                tz=tz,
                names=names,
                source=source,
                allow_extra_columns=allow_extra_columns,
            )
        except InputError as exc:
            if exc.column is None or exc.column not in names:
                raise
            raise InputError(
                f"{exc.reason} (column {names[exc.column]!r} is used as {exc.column})",
                file=exc.file,
                row=exc.row,
                column=names[exc.column],
                value=exc.value,
            ) from exc

    @classmethod
    def _from_frame(
        cls,
        df: pd.DataFrame,
        *,
        tz: str,
        names: dict[str, str],
        source: str,
        allow_extra_columns: bool,
    ) -> OrderTable:
        if allow_extra_columns:
            keep = [c for c in df.columns if c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
            df = df[keep]
        require_columns(df, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, source)
        df = df.reset_index(drop=True)
        n = len(df)
        present = frozenset(c for c in OPTIONAL_COLUMNS if c in df.columns)
        times: dict[str, np.ndarray] = {}
        kinds: dict[str, str] = {}
        for c in TIME_COLUMNS:
            if c not in df.columns:
                times[c] = np.full(n, NAT, dtype=np.int64)
                continue
            times[c], kind = parse_instants_kind(df[c], tz=tz, source=source, column=c)
            if kind in ("offset", "naive"):
                kinds[c] = kind
        if len(set(kinds.values())) > 1:
            shown = {names.get(c, c): k for c, k in kinds.items()}
            raise InputError(
                "mixes timestamps with and without a UTC offset across columns "
                f"({', '.join(f'{c}: {k}' for c, k in shown.items())}); give every timestamp "
                "an offset, or none and declare the zone.",
                file=source,
                column=", ".join(shown),
            )
        naive_columns = tuple(c for c, k in kinds.items() if k == "naive")
        cats = {
            c: Category.from_values(df[c]) if c in df.columns else Category.missing(n)
            for c in CATEGORY_COLUMNS
        }
        if "warehouse" not in df.columns:
            cats["warehouse"] = cats["origin"]
        ids_raw = df["order_id"]
        id_missing = ids_raw.isna().to_numpy() | (
            ids_raw.astype("string").str.strip() == ""
        ).fillna(True).to_numpy(dtype=bool)
        reject_first(
            id_missing,
            "order_id is required in every row (the cell is empty).",
            file=source,
            column="order_id",
        )
        ids = ids_raw.astype(str).str.strip().to_numpy(dtype=object)
        key = pd.factorize(ids)[0].astype(np.int64)
        qty = (
            numeric_column(df, "quantity", source, minimum=1, integer=True)
            if "quantity" in df.columns
            else np.ones(n, dtype=np.int64)
        )
        return cls(
            order_id=ids,
            order_key=key,
            paid_at=times["paid_at"],
            origin=cats["origin"],
            destination=cats["destination"],
            warehouse=cats["warehouse"],
            carrier=cats["carrier"],
            sku=cats["sku"],
            status=cats["status"],
            quantity=np.asarray(qty, dtype=np.int64),
            promised_by=times["promised_by"],
            shipped_at=times["shipped_at"],
            delivered_at=times["delivered_at"],
            tz=tz,
            present=present,
            source=source,
            naive_columns=naive_columns,
        )


def read_csv_frame(path: str | Path) -> pd.DataFrame:
    """Read a CSV as strings (empty cells missing), guarding against silent column shifts.

    * A trailing delimiter on every line (as Excel writes it) gives each row one empty field
      more than the header; pandas would take the first column as the row index and shift
      every column by one. The extra empty fields are dropped instead (and an unnamed header
      column that is empty in every row is dropped too).
    * A row with more non-empty fields than the header is an :class:`InputError` naming the
      file and the row.
    * Blank lines are skipped and not counted as rows: ``row`` numbers count data rows, and
      errors raised by :func:`with_file_line` also give the file line when it differs.

    Raises
    ------
    InputError
        Missing, empty or unreadable file, or a row with too many fields.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError as exc:
        raise InputError("file not found.", file=str(path)) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError("the file is empty; expected a header row.", file=str(path)) from exc
    except pd.errors.ParserError as exc:
        import re

        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            line = int(m.group(2))
            row = _data_row_of_line(path, line)
            raise InputError(
                f"this row has {m.group(3)} fields but the header has {m.group(1)} (file line "
                f"{line}); remove the extra fields or quote values that contain commas.",
                file=str(path),
                row=row,
            ) from exc
        raise InputError(f"cannot read as CSV: {exc}", file=str(path)) from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"cannot read as CSV: {exc}", file=str(path)) from exc
    if not isinstance(df.index, pd.RangeIndex):
        # pandas used the leading field(s) as an index: rows have more fields than the header.
        extra = df.index.nlevels
        header = [str(c) for c in df.columns]
        fields = df.reset_index().to_numpy(dtype=object)
        tail = fields[:, len(header) :] if extra else fields[:, :0]
        tail_filled = pd.DataFrame(tail).notna().to_numpy().any(axis=1)
        if tail_filled.any():
            k = int(np.flatnonzero(tail_filled)[0])
            raise InputError(
                f"this row has more fields than the {len(header)} of the header; remove the "
                "extra fields or quote values that contain commas.",
                file=str(path),
                row=k + 1,
                value=fields[k, len(header) :].tolist(),
            )
        df = pd.DataFrame(fields[:, : len(header)], columns=header)
    unnamed = [
        c
        for c in df.columns
        if str(c).startswith("Unnamed: ") and df[c].isna().all()  # empty header cell and column
    ]
    if unnamed:
        df = df.drop(columns=unnamed)
    return df


def _file_lines(path: Path) -> list[int]:
    """1-based file line where each data row starts (blank lines skipped, as pandas does)."""
    import csv

    starts: list[int] = []
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        prev = 0
        header_seen = False
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            if not header_seen:
                header_seen = True
                continue
            starts.append(start)
    return starts


def _data_row_of_line(path: Path, line: int) -> int | None:
    try:
        starts = _file_lines(path)
    except OSError:  # pragma: no cover
        return None
    hits = [k for k, st in enumerate(starts) if st == line]
    return hits[0] + 1 if hits else None


def with_file_line(exc: InputError, path: str | Path) -> InputError:
    """``exc`` with the file line of its data row added when blank lines (or quoted line
    breaks) make the line differ from ``row + 1``; ``exc`` itself otherwise."""
    if exc.row is None or exc.file != str(path):
        return exc
    try:
        starts = _file_lines(Path(path))
    except OSError:  # pragma: no cover
        return exc
    if not 1 <= exc.row <= len(starts) or starts[exc.row - 1] == exc.row + 1:
        return exc
    new = InputError(
        f"{exc.reason} (data row {exc.row} is line {starts[exc.row - 1]} of the file; blank "
        "lines are not counted as rows)",
        file=exc.file,
        row=exc.row,
        column=exc.column,
        value=exc.value,
    )
    return new


def read_orders(
    path: str | Path,
    *,
    tz: str = "UTC",
    mapping: ColumnMapping | Mapping[str, str] | None = None,
    allow_extra_columns: bool = False,
) -> OrderTable:
    """Read an orders CSV into an :class:`OrderTable` (see :meth:`OrderTable.from_frame`).

    Raises
    ------
    InputError
        If the file cannot be read or its content is invalid.
    """
    path = Path(path)
    df = read_csv_frame(path)
    try:
        return OrderTable.from_frame(
            df, tz=tz, mapping=mapping, source=str(path), allow_extra_columns=allow_extra_columns
        )
    except InputError as exc:
        new = with_file_line(exc, path)
        if new is exc:
            raise
        raise new from exc
