"""Checking a meters or customers file before anything is written, then importing it.

The bulk import service is all-or-nothing: one bad row and it writes nothing, reporting
every bad row with its line. The preview relies on exactly that: it runs the real import
(every check the service makes, database look-ups included) on a copy of the file with one
extra row that is certain to be bad, so the run always ends in a rollback, and reports the
other rows' problems. Nothing is written, and no rule is duplicated here.

(A `dry_run` flag on the service would make the extra row unnecessary.)

Uploads wait in a table between the preview and the go-ahead, so any server process can
finish the import; they are dropped after an hour.
"""

import csv
import io
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import delete, insert, select

from server.domain.errors import InvalidInput, NotFound
from server.domain.roles import Permission
from server.services import bulk_import
from server.services.bulk_import import ImportReport
from server.services.context import Actor, ServiceContext
from server.storage.unit_of_work import UnitOfWork
from server.web.tables import import_uploads

MAX_BYTES = 5 * 1024 * 1024
KINDS = ("meters", "customers")
SAMPLE_ROWS = 20
KEEP_UPLOADS = timedelta(hours=1)
# The first required column of each kind holds the marker; the others stay empty, which the
# service reports as a bad row before it looks anything up.
_MARKER_COLUMN = {"meters": "meter", "customers": "account_no"}
_MARKER = "gridvend-preview-row"

Importer = Callable[..., ImportReport]
IMPORTERS: dict[str, Importer] = {
    "meters": bulk_import.import_meters,
    "customers": bulk_import.import_customers,
}


@dataclass(frozen=True)
class Preview:
    """What a file would do: its rows, a sample, and every bad row (line, problem)."""

    token: str
    kind: str
    filename: str
    headers: tuple[str, ...]
    sample: tuple[tuple[int, tuple[str, ...]], ...]
    rows: int
    bad_rows: tuple[tuple[int, str], ...]

    @property
    def good_rows(self) -> int:
        return self.rows - len(self.bad_rows)


def _suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput("unsupported_file", f"{filename}: expected a .csv or .xlsx file")
    return suffix


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("invalid_kind", f"import {kind!r}: expected meters or customers")


def _temporary(folder: str, filename: str, content: bytes) -> Path:
    path = Path(folder) / f"upload{_suffix(filename)}"
    path.write_bytes(content)
    return path


def _with_bad_last_row(path: Path, headers: list[str], kind: str) -> Path:
    """A copy of the file with one more row, which the import must refuse."""
    marker_column = _MARKER_COLUMN[kind]
    if marker_column not in headers:
        return path  # the service refuses the whole file for the missing column anyway
    row = [_MARKER if h == marker_column else "" for h in headers]
    copy = path.with_name(f"checked{path.suffix}")
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        out = io.StringIO()
        csv.writer(out).writerow(row)
        separator = "" if text.endswith(("\n", "\r")) or not text else "\n"
        copy.write_text(text + separator + out.getvalue(), encoding="utf-8")
    else:
        book = load_workbook(path)
        book.worksheets[0].append(row)
        book.save(copy)
    return copy


def _marker_line(path: Path) -> int | None:
    _, rows = bulk_import.read_rows(path)
    found = None
    for line, row in rows:
        if _MARKER in row.values():
            found = line
    return found


def _trial(
    ctx: ServiceContext, actor: Actor, kind: str, path: Path
) -> tuple[list[str], ImportReport, int | None]:
    headers, _ = bulk_import.read_rows(path)
    checked = _with_bad_last_row(path, headers, kind)
    report = IMPORTERS[kind](ctx, actor, checked, skip_bad=False)
    if report.committed:  # cannot happen with a bad row present; never let it pass silently
        raise AssertionError("the preview import committed")
    return headers, report, _marker_line(checked) if checked != path else None


def preview(ctx: ServiceContext, actor: Actor, kind: str, filename: str, content: bytes) -> Preview:
    """Check an uploaded file with the import service, writing nothing; keep it for `run`."""
    actor.require(Permission.MANAGE_CATALOGUE)
    _check_kind(kind)
    filename = Path(filename or "upload.csv").name[:255]
    _suffix(filename)
    if not content:
        raise InvalidInput("empty_file", f"{filename}: the file is empty")
    if len(content) > MAX_BYTES:
        raise InvalidInput("too_large", f"{filename}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    with tempfile.TemporaryDirectory(prefix="gridvend-import-") as folder:
        path = _temporary(folder, filename, content)
        headers, report, marker = _trial(ctx, actor, kind, path)
        _, rows = bulk_import.read_rows(path)
        sample = []
        for line, row in rows:
            if len(sample) >= SAMPLE_ROWS:
                break
            sample.append((line, tuple(row.get(h, "") for h in headers)))
    bad = tuple((line, message) for line, message in report.errors if line != marker)
    counted = report.rows - (1 if marker is not None else 0)
    token = secrets.token_urlsafe(24)
    _keep_upload(ctx, actor, token, kind, filename, content)
    return Preview(token, kind, filename, tuple(headers), tuple(sample), counted, bad)


def run(
    ctx: ServiceContext, actor: Actor, token: str, *, skip_bad: bool
) -> tuple[str, str, ImportReport]:
    """Import a previewed upload for real: (kind, filename, report). The upload is then
    dropped, so the same preview cannot be imported twice."""
    actor.require(Permission.MANAGE_CATALOGUE)
    kind, filename, content = _take_upload(ctx, actor, token)
    with tempfile.TemporaryDirectory(prefix="gridvend-import-") as folder:
        path = _temporary(folder, filename, content)
        report = IMPORTERS[kind](ctx, actor, path, skip_bad=skip_bad)
    return kind, filename, report


def _keep_upload(
    ctx: ServiceContext, actor: Actor, token: str, kind: str, filename: str, content: bytes
) -> None:
    def work(uow: UnitOfWork) -> None:
        connection = uow.session.connection()
        connection.execute(
            delete(import_uploads).where(import_uploads.c.created_at < ctx.now() - KEEP_UPLOADS)
        )
        connection.execute(
            insert(import_uploads).values(
                token=token,
                operator_id=actor.id or 0,
                kind=kind,
                filename=filename,
                content=content,
                created_at=ctx.now(),
            )
        )
        uow.commit()

    ctx.transaction(work)


def _take_upload(ctx: ServiceContext, actor: Actor, token: str) -> tuple[str, str, bytes]:
    def work(uow: UnitOfWork) -> tuple[str, str, bytes]:
        connection = uow.session.connection()
        row = connection.execute(
            select(
                import_uploads.c.kind, import_uploads.c.filename, import_uploads.c.content
            ).where(
                import_uploads.c.token == token,
                import_uploads.c.operator_id == (actor.id or 0),
                import_uploads.c.created_at >= ctx.now() - KEEP_UPLOADS,
            )
        ).one_or_none()
        if row is None:
            raise NotFound(
                "upload_not_found",
                "that upload is no longer waiting (imported already, or older than an hour): "
                "upload the file again",
            )
        connection.execute(delete(import_uploads).where(import_uploads.c.token == token))
        uow.commit()
        return row[0], row[1], bytes(row[2])

    return ctx.transaction(work)
