"""Handhelds: registration for provisioning (`gridvend device register --server URL`).

Registering makes the device for its vendor and issues its secret in one transaction
(devices.register_device: sealed by the security module, HMAC key of the link's envelope,
the broker password derived from it). Re-provisioning a handheld issues it a new secret
(POST /devices/{name}/secret). Either answer carries the secret in clear exactly once, for
the device's image; the server keeps only the sealed copy. With it come the device's
secret generation, `seq_floor` (the highest sale number the server has from the device:
the new image's journal numbers sales above it) and, when the server has a TLS CA
($GRIDVEND_TLS_CA_FILE), that CA certificate for the image (base64 DER).
"""

import base64
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import Field, StringConstraints

from server.api.dependencies import Caller, Ctx
from server.api.schemas.common import AgentCode, Money, Out, Strict
from server.link import tls
from server.link.device_secrets import DeviceSecrets
from server.services import devices
from server.services.context import ServiceContext
from server.services.devices import IssuedSecret

router = APIRouter(prefix="/devices", tags=["devices"])

# The handheld puts its id in every sale id: letters, digits, - and _, at most 16.
DEVICE_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
DeviceName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=DEVICE_PATTERN),
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
    generation: int = Field(description="The secret's generation (1 at registration)")
    seq_floor: int = Field(
        description="The highest sale number the server has from the device: the image's "
        'config.json "seq_floor", its journal numbers sales above it'
    )
    ca: str = Field(
        default="",
        description="The TLS CA certificate the device checks the server with (base64 DER), "
        "empty when the server has none configured",
    )


@router.post("", response_model=RegisteredDeviceOut, status_code=status.HTTP_201_CREATED)
def register(body: DeviceIn, ctx: Ctx, actor: Caller) -> RegisteredDeviceOut:
    """Register a handheld for a vendor and issue its secret (returned once), in one
    transaction."""
    # The key the running security module was opened with (as the link's own route does),
    # checked before anything is stored.
    secrets = DeviceSecrets.from_context(ctx)
    allowance = ctx.currency.to_minor(body.offline_allowance, what="offline allowance")
    issued = devices.register_device(
        ctx, actor, body.agent, body.name, secrets, offline_allowance=allowance
    )
    return _out(ctx, issued)


@router.post("/{name}/secret", response_model=RegisteredDeviceOut)
def reissue_secret(
    name: Annotated[str, Path(pattern=DEVICE_PATTERN)], ctx: Ctx, actor: Caller
) -> RegisteredDeviceOut:
    """Issue a registered handheld a new secret, for re-provisioning it (returned once): a
    new secret generation starts, its old secret stops working, and its sales are
    numbered above `seq_floor`."""
    issued = devices.issue_secret(ctx, actor, name, DeviceSecrets.from_context(ctx))
    return _out(ctx, issued)


def _out(ctx: ServiceContext, issued: IssuedSecret) -> RegisteredDeviceOut:
    ca = tls.ca_from_environment()
    return RegisteredDeviceOut(
        device=issued.device,
        agent=issued.agent_code,
        agent_name=issued.agent_name,
        secret=issued.secret_hex,
        broker_user=issued.broker_user,
        broker_password=issued.broker_password,
        currency=ctx.currency.code,
        minor_digits=ctx.currency.minor_unit,
        generation=issued.generation,
        seq_floor=issued.seq_floor,
        ca=base64.b64encode(ca).decode() if ca else "",
    )
