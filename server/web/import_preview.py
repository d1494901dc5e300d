"""Checking a meters or customers file before anything is written, then importing it.

The preview is the bulk import service's own dry run (`bulk_import.import_upload(...,
dry_run=True)`): every check the import makes, database look-ups and duplicates within the
file included, every bad row reported with its line, and nothing written. No rule is
duplicated here.

Uploads wait in a table between the preview and the go-ahead, so any server process can
finish the import; they are dropped after an hour.
"""

import secrets
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from server.domain.errors import NotFound
from server.domain.roles import Permission
from server.services import bulk_import
from server.services.bulk_import import ImportReport
from server.services.context import Actor, ServiceContext
from server.storage.unit_of_work import UnitOfWork
from server.web.tables import import_uploads

MAX_BYTES = bulk_import.MAX_UPLOAD_BYTES
KINDS = bulk_import.KINDS
SAMPLE_ROWS = 20
KEEP_UPLOADS = timedelta(hours=1)


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


def _sample(filename: str, content: bytes) -> tuple[list[str], list[tuple[int, tuple[str, ...]]]]:
    """The file's column names and its first SAMPLE_ROWS rows, as read."""
    with tempfile.TemporaryDirectory(prefix="gridvend-import-") as folder:
        path = Path(folder) / f"upload{Path(filename).suffix.lower()}"
        path.write_bytes(content)
        headers, rows = bulk_import.read_rows(path)
        sample = []
        for line, row in rows:
            if len(sample) >= SAMPLE_ROWS:
                break
            sample.append((line, tuple(row.get(h, "") for h in headers)))
    return headers, sample


def preview(ctx: ServiceContext, actor: Actor, kind: str, filename: str, content: bytes) -> Preview:
    """Check an uploaded file with the import service's dry run, writing nothing; keep the
    file for `run`."""
    actor.require(Permission.MANAGE_CATALOGUE)
    filename = bulk_import.check_upload(kind, filename, content)
    report = bulk_import.import_upload(
        ctx, actor, kind, filename, content, skip_bad=True, dry_run=True
    )
    if report.committed:  # a dry run never commits; never let it pass silently if it did
        raise AssertionError("the preview import committed")
    headers, sample = _sample(filename, content)
    token = secrets.token_urlsafe(24)
    _keep_upload(ctx, actor, token, kind, filename, content)
    return Preview(
        token, kind, filename, tuple(headers), tuple(sample), report.rows, tuple(report.errors)
    )


def run(
    ctx: ServiceContext, actor: Actor, token: str, *, skip_bad: bool
) -> tuple[str, str, ImportReport]:
    """Import a previewed upload for real: (kind, filename, report). The upload is then
    dropped, so the same preview cannot be imported twice."""
    actor.require(Permission.MANAGE_CATALOGUE)
    kind, filename, content = _take_upload(ctx, actor, token)
    report = bulk_import.import_upload(ctx, actor, kind, filename, content, skip_bad=skip_bad)
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
