"""Handhelds as the link sees them: who a device sells as, its secret, enabling it.

`register_device` adds a handheld for a vendor and issues its secret in ONE transaction
(no device is ever left without one). `issue_secret` gives an existing device a new secret
(re-provisioning, `gridvend link secret`). Either way the secret is sealed by the security
module and handed back in clear exactly once, for the device's image (host/provisioning),
with the device's new secret generation and its sale number floor:

- every issue starts a new *generation*; each sale outcome records the generation it was
  made under, and a sale id answered under another generation is never replayed
  (services/device_sales.py);
- `seq_floor` is the highest sale number the server has from the device: a re-flashed
  handheld numbers its sales from above it, so its sale ids are new.
"""

from dataclasses import dataclass

from sqlalchemy import select

from server.domain.errors import Conflict, NotFound
from server.domain.roles import Permission, Role
from server.link.device_secrets import DeviceSecrets, broker_password, new_secret
from server.services import audit_trail
from server.services.agents import new_device
from server.services.context import Actor, ServiceContext
from server.storage.repositories.device_link import (
    DeviceLinkRepository,
    OfflineReserveRepository,
    SaleOutcomeRepository,
)
from server.storage.schema import Device
from server.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssuedSecret:
    """A device's new secret (shown once), the MQTT password derived from it, its secret
    generation and the sale number its journal must start above."""

    device: str
    secret_hex: str
    broker_user: str
    broker_password: str
    generation: int = 1
    seq_floor: int = 0
    agent_code: str = ""
    agent_name: str = ""


def device_actor(device: Device) -> Actor:
    """The actor a handheld's requests run as: it sells from its own vendor's float only.

    Its role is the point-of-sale one (vend, quote, reprint): a device is a POS that walks.
    """
    return Actor(
        kind="device", name=device.name, role=Role.POS, id=device.id, agent_id=device.agent_id
    )


def device_by_name(uow: UnitOfWork, name: str) -> Device:
    """A stored device, or a clear NotFound."""
    device = uow.devices.by_name(name.strip())
    if device is None:
        raise NotFound("device_not_found", f"device {name} is not registered")
    return device


def register_device(
    ctx: ServiceContext,
    actor: Actor,
    code: str,
    name: str,
    secrets: DeviceSecrets,
    *,
    offline_allowance: int = 0,
) -> IssuedSecret:
    """Add a handheld for vendor `code` and issue its secret, in one transaction."""
    actor.require(Permission.MANAGE_AGENTS)
    secret = new_secret()

    def work(uow: UnitOfWork) -> IssuedSecret:
        device = new_device(ctx, uow, actor, code, name, offline_allowance=offline_allowance)
        issued = _issue(ctx, uow, actor, device, secrets, secret)
        uow.commit()
        return issued

    return ctx.transaction(work)


def issue_secret(
    ctx: ServiceContext, actor: Actor, name: str, secrets: DeviceSecrets
) -> IssuedSecret:
    """Give the device a new secret (replacing any old one: its messages stop verifying),
    starting a new secret generation."""
    actor.require(Permission.MANAGE_AGENTS)
    secret = new_secret()

    def work(uow: UnitOfWork) -> IssuedSecret:
        issued = _issue(ctx, uow, actor, device_by_name(uow, name), secrets, secret)
        uow.commit()
        return issued

    return ctx.transaction(work)


def _issue(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    device: Device,
    secrets: DeviceSecrets,
    secret: bytes,
) -> IssuedSecret:
    replaced = device.secret is not None
    device.secret = secrets.seal(device.id, secret)
    device.secret_generation += 1
    uow.session.flush()
    DeviceLinkRepository(uow.session).new_generation(device.id)
    seq_floor = SaleOutcomeRepository(uow.session).highest_sale_seq(device.id)
    audit_trail.record(
        ctx,
        uow,
        actor,
        "device.secret",
        "device",
        device.name,
        # never the secret itself
        after={
            "replaced": replaced,
            "generation": device.secret_generation,
            "seq_floor": seq_floor,
        },  # fmt: skip
    )
    agent = uow.agents.by_id(device.agent_id)
    assert agent is not None
    return IssuedSecret(
        device.name,
        secret.hex(),
        device.name,
        broker_password(secret),
        generation=device.secret_generation,
        seq_floor=seq_floor,
        agent_code=agent.code,
        agent_name=agent.name,
    )


def set_enabled(ctx: ServiceContext, actor: Actor, name: str, enabled: bool) -> Device:
    """Enable or disable a handheld. A disabled one's messages are refused, except its
    queued sales and their acknowledgements: the offline sales it took before now are
    still honoured from its reserve (its cutoff), none taken after."""
    actor.require(Permission.MANAGE_AGENTS)

    def work(uow: UnitOfWork) -> Device:
        device = device_by_name(uow, name)
        if device.enabled == enabled:
            raise Conflict(
                "no_change", f"device {device.name} is already {'en' if enabled else 'dis'}abled"
            )
        reserves = OfflineReserveRepository(uow.session)
        agent = uow.agents.by_id(device.agent_id)
        if not enabled:
            reserves.mark_cutoff([device.id], ctx.now())
        elif agent is not None and agent.status == "active":
            reserves.clear_cutoff([device.id])
        device.enabled = enabled
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "device.enable" if enabled else "device.disable",
            "device",
            device.name,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
        uow.commit()
        return device

    return ctx.transaction(work)


def broker_users(ctx: ServiceContext, actor: Actor, secrets: DeviceSecrets) -> dict[str, str]:
    """{device id: MQTT password} for every enabled device with a secret (a disabled one is
    left out of the broker's password file, so it cannot even connect)."""
    actor.require(Permission.MANAGE_AGENTS)

    def work(uow: UnitOfWork) -> dict[str, str]:
        found = uow.session.scalars(
            select(Device).where(Device.enabled.is_(True), Device.secret.is_not(None))
        ).all()
        return {
            d.name: broker_password(secrets.open(d.id, d.secret))
            for d in found
            if d.secret is not None
        }

    return ctx.transaction(work, read_only=True)
