from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from server.api.schemas.common import MeterNumber, Out, Strict, text
from server.api.schemas.vends import TokenOut


class EngineeringIn(Strict):
    meter: MeterNumber
    kind: Literal[
        "clear_tamper", "clear_credit", "max_power", "phase_unbalance", "test", "update_key"
    ]
    reason: text(500)
    watts: Annotated[int | None, Field(ge=0, le=18_201_624)] = None
    credit_register: Annotated[int, Field(ge=0, le=0xFFFF, description="65535: all")] = 0xFFFF
    control: Annotated[int | None, Field(ge=0, le=(1 << 36) - 1)] = None
    mfr: Annotated[int, Field(ge=0, le=9999)] = 0
    subclass: Annotated[int, Field(ge=0, le=1)] = 0
    krn: Annotated[int | None, Field(ge=1, le=9)] = None
    ti: Annotated[int | None, Field(ge=0, le=99)] = None
    base_date: Annotated[int | None, Field(description="1993, 2014 or 2035")] = None


class EngineeringOut(Out):
    order_id: int
    meter: str
    kind: str
    created_at: datetime
    tokens: list[TokenOut]
