"""Handhelds as the link sees them: who a device sells as, its secret, enabling it.

Registering a device (agents.add_device) gives it a vendor and an offline allowance; the
link needs a secret too. `issue_secret` makes one, seals it under the master key and hands
the clear value back exactly once, for the device's image (host/provisioning).
"""

from dataclasses import dataclass

from sqlalchemy import select

from server.domain.errors import Conflict, NotFound
from server.domain.roles import Permission, Role
from server.link.device_secrets import DeviceSecrets, broker_password, new_secret
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.schema import Device
from server.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssuedSecret:
    """A device's new secret (shown once) and the MQTT password derived from it."""

    device: str
    secret_hex: str
    broker_user: str
    broker_password: str


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


def issue_secret(
    ctx: ServiceContext, actor: Actor, name: str, secrets: DeviceSecrets
) -> IssuedSecret:
    """Give the device a new secret (replacing any old one: its messages stop verifying)."""
    actor.require(Permission.MANAGE_AGENTS)
    secret = new_secret()

    def work(uow: UnitOfWork) -> IssuedSecret:
        device = device_by_name(uow, name)
        replaced = device.secret is not None
        device.secret = secrets.seal(device.id, secret)
        DeviceLinkRepository(uow.session).ensure(device.id)
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "device.secret",
            "device",
            device.name,
            after={"replaced": replaced},  # never the secret itself
        )
        uow.commit()
        return IssuedSecret(device.name, secret.hex(), device.name, broker_password(secret))

    return ctx.transaction(work)


def set_enabled(ctx: ServiceContext, actor: Actor, name: str, enabled: bool) -> Device:
    """Enable or disable a handheld: a disabled one's messages are refused."""
    actor.require(Permission.MANAGE_AGENTS)

    def work(uow: UnitOfWork) -> Device:
        device = device_by_name(uow, name)
        if device.enabled == enabled:
            raise Conflict(
                "no_change", f"device {device.name} is already {'en' if enabled else 'dis'}abled"
            )
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
