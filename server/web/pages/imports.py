"""Importing meters or customers from CSV or Excel: upload, preview (bad rows listed,
nothing written), then import."""

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from server.domain.errors import DomainError, Forbidden
from server.domain.roles import Permission
from server.services import bulk_import
from server.web import import_preview
from server.web.access import Ctx, Looker, Sender
from server.web.rendering import render
from server.web.routing import page_router, status_for

router = page_router()
COLUMNS = {
    "meters": (sorted(bulk_import.METER_COLUMNS), sorted(bulk_import.METER_OPTIONAL)),
    "customers": (sorted(bulk_import.CUSTOMER_COLUMNS), sorted(bulk_import.CUSTOMER_OPTIONAL)),
}


def _form(request: Request, kind: str, error: str | None = None, status: int = 200) -> Response:
    return render(
        request,
        "import.html",
        {
            "kind": kind if kind in import_preview.KINDS else "meters",
            "columns": COLUMNS,
            "error": error,
        },
        status=status,
    )


@router.get("/imports")
def import_form(request: Request, viewer: Looker, kind: str = "meters") -> Response:
    """Choose what to import and the file."""
    viewer.actor.require(Permission.MANAGE_CATALOGUE)
    return _form(request, kind)


@router.post("/imports/preview")
def preview(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    kind: Annotated[str, Form()] = "meters",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check the file with the import service and show what it would do; nothing is written."""
    viewer.actor.require(Permission.MANAGE_CATALOGUE)
    if file is None or not file.filename:
        return _form(request, kind, "choose a .csv or .xlsx file", 422)
    content = file.file.read(import_preview.MAX_BYTES + 1)
    try:
        checked = import_preview.preview(ctx, viewer.actor, kind, file.filename, content)
    except Forbidden:
        raise
    except DomainError as exc:
        return _form(request, kind, exc.message, status_for(exc))
    return render(request, "import_preview.html", {"preview": checked})


@router.post("/imports/run")
def run(
    request: Request,
    ctx: Ctx,
    viewer: Sender,
    token: Annotated[str, Form()] = "",
    skip_bad: Annotated[str, Form()] = "",
) -> Response:
    """Import a previewed file: all rows, or (when asked) the good rows only."""
    kind, filename, report = import_preview.run(
        ctx, viewer.actor, token[:64], skip_bad=skip_bad == "yes"
    )
    return render(
        request,
        "import_done.html",
        {"kind": kind, "filename": filename, "report": report},
        status=200 if report.committed else 409,
    )
