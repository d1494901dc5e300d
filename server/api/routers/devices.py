"""Handhelds: registration for provisioning (`gridvend device register --server URL`).

Registering makes the device for its vendor (agents.add_device) and issues its secret
(devices.issue_secret: sealed under the master key, HMAC key of the link's envelope, the
broker password derived from it). The answer carries the secret in clear exactly once,
for the device's image; the server keeps only the sealed copy.
"""

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import Field, StringConstraints

from server.api.dependencies import Caller, Ctx
from server.api.schemas.common import AgentCode, Money, Out, Strict
from server.link.device_secrets import DeviceSecrets
from server.services import agents, devices

router = APIRouter(prefix="/devices", tags=["devices"])

# The handheld puts its id in every sale id: letters, digits, - and _, at most 16.
DeviceName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{1,16}$"),
    Field(examples=["HH-0001"]),
]


class DeviceIn(Strict):
    agent: AgentCode
    name: DeviceName
    offline_allowance: Annotated[Money, Field(ge=0)] = Decimal(0)


class RegisteredDeviceOut(Out):
    device: str
    agent: str
    agent_name: str
    secret: str = Field(description="Hex; shown once: it goes into the device's image")
    broker_user: str
    broker_password: str
    currency: str
    minor_digits: int


@router.post("", response_model=RegisteredDeviceOut, status_code=status.HTTP_201_CREATED)
def register(body: DeviceIn, ctx: Ctx, actor: Caller) -> RegisteredDeviceOut:
    """Register a handheld for a vendor and issue its secret (returned once)."""
    # The key the running security module was opened with (as the link's own route does),
    # checked before anything is stored, so a refused registration leaves no half device.
    secrets = DeviceSecrets.from_context(ctx)
    allowance = ctx.currency.to_minor(body.offline_allowance, what="offline allowance")
    device = agents.add_device(ctx, actor, body.agent, body.name, offline_allowance=allowance)
    issued = devices.issue_secret(ctx, actor, device.name, secrets)
    agent = agents.get_agent(ctx, actor, body.agent)
    return RegisteredDeviceOut(
        device=issued.device,
        agent=agent.code,
        agent_name=agent.name,
        secret=issued.secret_hex,
        broker_user=issued.broker_user,
        broker_password=issued.broker_password,
        currency=ctx.currency.code,
        minor_digits=ctx.currency.minor_unit,
    )
