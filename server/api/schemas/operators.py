from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from server.api.schemas.common import Out, Strict, text

RoleName = Literal["admin", "supervisor", "cashier", "auditor"]


class OperatorIn(Strict):
    username: text(64)
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    role: RoleName
    full_name: text(128, min_length=0) = ""


class OperatorOut(Out):
    username: str
    full_name: str
    role: str
    active: bool
    created_at: datetime


class RoleIn(Strict):
    role: RoleName


class OperatorStatusIn(Strict):
    active: bool
    reason: text(500, min_length=0) = ""


class PosClientOut(Out):
    name: str
    agent_code: str
    enabled: bool
    created_at: datetime


class PosClientStatusIn(Strict):
    enabled: bool
    reason: text(500, min_length=0) = ""
