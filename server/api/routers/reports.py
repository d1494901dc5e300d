"""Reports: sales by vendor or day, the ledger check, the audit chain check."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from server.api.dependencies import Caller, Ctx
from server.api.periods import day_range
from server.api.schemas.common import AgentCode
from server.api.schemas.reports import AuditVerifyOut, LedgerCheckOut, SalesReportOut
from server.services import audit_trail, ledger_check, report_export, reports

router = APIRouter(prefix="/reports", tags=["reports"])
Day = Annotated[date | None, Query(description="a date, YYYY-MM-DD")]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/sales",
    response_model=SalesReportOut,
    responses={
        200: {
            "content": {"text/csv": {}, XLSX: {}},
            "description": "JSON, or a file with format=csv or format=xlsx",
        }
    },
)
def sales(
    ctx: Ctx,
    actor: Caller,
    by: Literal["agent", "day"] = "agent",
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    agent: Annotated[AgentCode | None, Query(description="only this vendor's sales")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> SalesReportOut | Response:
    """Sales totals from `from` to `to` (inclusive local days; default the last 30 days),
    by vendor or by day, for every vendor or only `agent`."""
    first, last = day_range(ctx, start, end)
    report = reports.sales_report(ctx, actor, by=by, start=first, end=last, agent_code=agent)
    if format == "json":
        return SalesReportOut.model_validate(report)
    name = f"{report_export.file_name(report, ctx.timezone)}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(report_export.to_csv(report), media_type="text/csv", headers=disposition)
    return Response(report_export.to_xlsx(report), media_type=XLSX, headers=disposition)


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
