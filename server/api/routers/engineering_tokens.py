"""Engineering tokens (supervisor and above)."""

from fastapi import APIRouter, status

from server.api.dependencies import Caller, Ctx
from server.api.schemas.engineering import EngineeringIn, EngineeringOut
from server.services import engineering

router = APIRouter(prefix="/engineering-tokens", tags=["engineering tokens"])


@router.post("", response_model=EngineeringOut, status_code=status.HTTP_201_CREATED)
def issue(body: EngineeringIn, ctx: Ctx, actor: Caller) -> EngineeringOut:
    """Clear tamper, clear credit, power limits, test tokens, or `update_key` (key change
    tokens to a new key revision, tariff index or base date). Keyed tokens follow any key
    change the meter is due."""
    result = engineering.issue(
        ctx,
        actor,
        body.meter,
        body.kind,
        reason=body.reason,
        watts=body.watts,
        register=body.credit_register,
        control=body.control,
        mfr=body.mfr,
        subclass=body.subclass,
        krn=body.krn,
        ti=body.ti,
        base_date=body.base_date,
    )
    return EngineeringOut.model_validate(result)
