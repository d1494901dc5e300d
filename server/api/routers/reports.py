"""Reports: sales by vendor or day, the ledger check, the audit chain check."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from server.api.dependencies import Caller, Ctx
from server.api.periods import day_range
from server.api.schemas.reports import AuditVerifyOut, LedgerCheckOut, SalesReportOut
from server.services import audit_trail, ledger_check, report_export, reports

router = APIRouter(prefix="/reports", tags=["reports"])
Day = Annotated[date | None, Query(description="a date, YYYY-MM-DD")]


@router.get(
    "/sales",
    response_model=SalesReportOut,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def sales(
    ctx: Ctx,
    actor: Caller,
    by: Literal["agent", "day"] = "agent",
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    format: Literal["json", "csv"] = "json",
) -> SalesReportOut | Response:
    """Sales totals from `from` to `to` (inclusive local days; default the last 30 days)."""
    first, last = day_range(ctx, start, end)
    report = reports.sales_report(ctx, actor, by=by, start=first, end=last)
    if format == "csv":
        return Response(report_export.to_csv(report), media_type="text/csv")
    return SalesReportOut.model_validate(report)


@router.get("/ledger-check", response_model=LedgerCheckOut)
def check_ledger(ctx: Ctx, actor: Caller) -> LedgerCheckOut:
    """Prove the books: entries balance, floats and debts equal their postings."""
    result = ledger_check.check(ctx, actor)
    return LedgerCheckOut(
        ok=result.ok, entries_checked=result.entries_checked, problems=list(result.problems)
    )


@router.get("/audit-verify", response_model=AuditVerifyOut)
def verify_audit(ctx: Ctx, actor: Caller) -> AuditVerifyOut:
    """Recompute the audit chain; names the first altered or missing record."""
    return AuditVerifyOut.model_validate(audit_trail.verify(ctx, actor))
