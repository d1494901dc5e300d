"""The audit log, newest first, with the hash chain's verification status."""

import json
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from server.domain.roles import Permission
from server.services import audit_trail
from server.web import read_queries
from server.web.access import Ctx, Looker
from server.web.rendering import render
from server.web.routing import page_router

router = page_router()
PAGE_SIZE = 50


@dataclass(frozen=True)
class Change:
    """One field of an audit record: its value before (if recorded) and after."""

    field: str
    before: str | None
    after: str | None


def _fields(text: str | None) -> dict[str, object]:
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {"(record)": text}
    return loaded if isinstance(loaded, dict) else {"(record)": loaded}


def _shown(value: object) -> str:
    return "—" if value is None else value if isinstance(value, str) else json.dumps(value)


def changes(before: str | None, after: str | None) -> list[Change]:
    """What a record changed: fields whose value differs (or that only one side has), in
    name order; unchanged fields are left out."""
    old, new = _fields(before), _fields(after)
    found = []
    for name in sorted(old.keys() | new.keys()):
        if name in old and name in new and old[name] == new[name]:
            continue
        found.append(
            Change(
                name,
                _shown(old[name]) if name in old else None,
                _shown(new[name]) if name in new else None,
            )
        )
    return found


@router.get("/audit")
def audit_log(
    request: Request, ctx: Ctx, viewer: Looker, q: str = "", before: int | None = None
) -> Response:
    """Who did what to which record, and whether the chain proves nothing was altered."""
    viewer.actor.require(Permission.AUDIT)
    records = read_queries.audit_page(
        ctx, viewer.actor, before_id=before, text=q[:100], limit=PAGE_SIZE + 1
    )
    return render(
        request,
        "audit.html",
        {
            "verdict": audit_trail.verify(ctx, viewer.actor),
            "records": records[:PAGE_SIZE],
            "older": records[PAGE_SIZE - 1].id if len(records) > PAGE_SIZE else None,
            "q": q[:100],
            "changes": changes,
        },
    )
