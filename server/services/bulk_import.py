"""Bulk import of customers and meters from CSV or Excel: all rows or none.

Each row is checked and added inside a savepoint; a bad row is reported with its line number
and what is wrong. Unless told to skip bad rows, one bad row means nothing is imported.

A dry run (`dry_run=True`) makes every check the import makes, database look-ups and
duplicates within the file included, reports the bad rows and how many rows would be
imported, and writes nothing: its transaction is always rolled back.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.exc import DataError

from server.domain.errors import DomainError, InvalidInput
from server.domain.roles import Permission
from server.services.context import Actor, ServiceContext
from server.services.customers import new_customer
from server.services.meters import new_meter
from server.storage.unit_of_work import UnitOfWork

MAX_ROWS = 200_000
METER_COLUMNS = {"meter", "sgc", "tariff"}
METER_OPTIONAL = {"customer", "krn", "ti", "key_type", "base_date", "state"}
CUSTOMER_COLUMNS = {"account_no", "name"}
CUSTOMER_OPTIONAL = {"address", "phone", "debt"}
_ROW_ERROR = "\0error"  # a key no header can produce: the row was unreadable


@dataclass
class ImportReport:
    """Rows read, rows imported, and (line, message) for each bad row.

    After a dry run `imported` and `committed` stay 0 and False; `would_import` is what the
    same import would write (the good rows with `skip_bad`, else all rows or none).
    """

    rows: int = 0
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    committed: bool = False
    dry_run: bool = False
    would_import: int = 0

    @property
    def good_rows(self) -> int:
        """Rows that passed every check."""
        return self.rows - len(self.errors)


Progress = Callable[[int], None]


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Header names (lower-cased) and (line number, row) pairs from a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    raise InvalidInput("unsupported_file", f"{path.name}: expected a .csv or .xlsx file")


def import_meters(
    ctx: ServiceContext,
    actor: Actor,
    path: Path,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Register the meters listed in a file (columns: meter, sgc, tariff; optional customer,
    krn, ti, key_type, base_date, state)."""
    actor.require(Permission.MANAGE_CATALOGUE)

    def add(uow: UnitOfWork, row: dict[str, str]) -> None:
        new_meter(
            ctx,
            uow,
            actor,
            number=row["meter"],
            sgc=_int(row, "sgc"),
            tariff=row["tariff"],
            customer_account=row.get("customer") or None,
            krn=_int(row, "krn") if row.get("krn") else None,
            ti=_int(row, "ti") if row.get("ti") else 1,
            key_type=_int(row, "key_type") if row.get("key_type") else 2,
            base_date=_int(row, "base_date") if row.get("base_date") else None,
            state=row.get("state") or "active",
        )

    return _import(ctx, path, METER_COLUMNS, METER_OPTIONAL, add, skip_bad, dry_run, progress)


def import_customers(
    ctx: ServiceContext,
    actor: Actor,
    path: Path,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Add the customers listed in a file (columns: account_no, name; optional address,
    phone, debt in major units)."""
    actor.require(Permission.MANAGE_CATALOGUE)

    def add(uow: UnitOfWork, row: dict[str, str]) -> None:
        debt = ctx.currency.to_minor(row["debt"], what="debt") if row.get("debt") else 0
        new_customer(
            ctx,
            uow,
            actor,
            account_no=row["account_no"],
            name=row["name"],
            address=row.get("address", ""),
            phone=row.get("phone", ""),
            debt=debt,
        )

    return _import(ctx, path, CUSTOMER_COLUMNS, CUSTOMER_OPTIONAL, add, skip_bad, dry_run, progress)


KINDS = ("meters", "customers")
IMPORTERS = {"meters": import_meters, "customers": import_customers}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def check_upload(kind: str, filename: str, content: bytes) -> str:
    """Refuse an uploaded file that cannot be an import (kind, name, size); its safe name."""
    if kind not in KINDS:
        raise InvalidInput("invalid_kind", f"import {kind!r}: expected meters or customers")
    name = Path(filename or "upload.csv").name[:255]
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise InvalidInput("unsupported_file", f"{name}: expected a .csv or .xlsx file")
    if not content:
        raise InvalidInput("empty_file", f"{name}: the file is empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            "too_large", f"{name}: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
        )
    return name


def import_upload(
    ctx: ServiceContext,
    actor: Actor,
    kind: str,
    filename: str,
    content: bytes,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import (or, with `dry_run`, only check) an uploaded file of meters or customers
    (the pages' and the API's uploads)."""
    actor.require(Permission.MANAGE_CATALOGUE)
    name = check_upload(kind, filename, content)
    with tempfile.TemporaryDirectory(prefix="gridvend-import-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        path.write_bytes(content)
        return IMPORTERS[kind](ctx, actor, path, skip_bad=skip_bad, dry_run=dry_run)


def _import(
    ctx: ServiceContext,
    path: Path,
    required: set[str],
    optional: set[str],
    add: Callable[[UnitOfWork, dict[str, str]], None],
    skip_bad: bool,
    dry_run: bool,
    progress: Progress | None,
) -> ImportReport:
    headers, rows = read_rows(path)
    missing = required - set(headers)
    if missing:
        raise InvalidInput(
            "missing_columns",
            f"{path.name}: missing column(s) {', '.join(sorted(missing))}; "
            f"expected {', '.join(sorted(required))} (optional: {', '.join(sorted(optional))})",
        )
    unknown = set(headers) - required - optional - {""}
    if unknown:
        raise InvalidInput(
            "unknown_columns", f"{path.name}: unknown column(s) {', '.join(sorted(unknown))}"
        )
    report = ImportReport(dry_run=dry_run)
    with ctx.unit_of_work() as uow:
        for line, row in rows:
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise InvalidInput("too_many_rows", f"{path.name}: more than {MAX_ROWS} rows")
            blank = [c for c in required if not row.get(c)]
            if row.get(_ROW_ERROR):
                report.errors.append((line, row[_ROW_ERROR]))
            elif blank:
                report.errors.append((line, f"empty {', '.join(sorted(blank))}"))
            else:
                savepoint = uow.session.begin_nested()
                try:
                    add(uow, row)
                    savepoint.commit()
                    report.imported += 1
                except DomainError as exc:
                    savepoint.rollback()
                    report.errors.append((line, exc.message))
                except DataError:  # a value the database cannot store, missed by the checks
                    savepoint.rollback()
                    report.errors.append((line, "a value in this row cannot be stored"))
            if progress:
                progress(report.rows)
        good = report.imported
        if report.errors and not skip_bad:
            report.imported = 0
            return report
        if dry_run:
            report.imported, report.would_import = 0, good
            uow.rollback()
            return report
        uow.commit()
        report.committed = True
    return report


def _int(row: dict[str, str], column: str) -> int:
    value = row[column].strip()
    if not value.isdigit():
        raise InvalidInput("invalid_number", f"{column} {value!r}: expected a whole number")
    return int(value)


def _csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("bad_encoding", f"{path.name}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput("unreadable_file", f"{path}: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise InvalidInput("empty_file", f"{path.name}: the file is empty")
    names = [h.strip().lower() for h in header]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            yield line, _row(names, values)

    return names, rows()


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidInput(
            "unreadable_file", f"{path.name}: not a readable workbook ({exc})"
        ) from None
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    if header is None:
        raise InvalidInput("empty_file", f"{path.name}: the first sheet is empty")
    names = [str(h or "").strip().lower() for h in header]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, cells in enumerate(values, start=2):
            texts = [_cell(c) for c in cells]
            if not any(texts):
                continue
            row = _row(names, texts)
            imprecise = [n for n, c in zip(names, cells, strict=False) if _imprecise(c)]
            if imprecise:
                row[_ROW_ERROR] = (
                    f"{', '.join(imprecise)}: a number too long for Excel to keep exactly; "
                    "store it as text"
                )
            yield line, row
        book.close()

    return names, rows()


def _imprecise(value: Any) -> bool:
    # Excel keeps 15 significant digits: an 18-digit meter number typed as a number is lost.
    return isinstance(value, float) and abs(value) >= 2**53


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores typed numbers as floats
    return str(value).strip()


def _row(names: list[str], values: list[str]) -> dict[str, str]:
    return {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)}
