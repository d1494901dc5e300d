"""Every downlink: numbered per device, signed with its secret, logged, in one transaction.

The transaction that numbers a result or config also reads the device's offline snapshot
(ceiling, spent), so a higher downlink number always carries a newer snapshot: the
handheld keeps the snapshot of the highest number it has seen (services/offline.py).
"""

from dataclasses import dataclass, field
from typing import Any

from server.link import errors
from server.link.envelope import Envelope
from server.services import offline
from server.services.context import ServiceContext
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.schema import Device
from server.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Reply:
    """A downlink to send: its type and body; `snapshot` adds "off": [ceiling, spent]."""

    kind: str
    body: dict[str, Any] = field(default_factory=dict)
    snapshot: bool = False


@dataclass(frozen=True)
class Inbound:
    """The uplink being answered, logged in the same transaction as the answers."""

    seq: int
    kind: str
    payload: str
    status: str | None = None  # a hello's status, as JSON
    out_seen: int | None = None  # a downlink seq it shows the device holds (poll, "off")


def error_reply(code: str, re: int) -> Reply:
    """An error downlink the handheld can show: code, short text, and which uplink."""
    return Reply("error", {"code": code, "text": errors.TEXTS[code], "re": re})


def unsigned_error(ctx: ServiceContext, device: str, code: str, re: int) -> bytes:
    """An error for a sender the server cannot sign for (unknown device, bad MAC...)."""
    body = {"code": code, "text": errors.TEXTS[code], "re": re}
    return Envelope(device, 0, unix_now(ctx), "error", body).to_wire()


def unix_now(ctx: ServiceContext) -> int:
    """The server's clock in Unix seconds (the envelope's time field)."""
    return int(ctx.now().timestamp())


def send(
    ctx: ServiceContext,
    device: Device,
    secret: bytes,
    replies: list[Reply],
    inbound: Inbound | None = None,
) -> list[bytes]:
    """Number, sign and log `replies` (and log `inbound` as accepted); their wire bytes."""

    def work(uow: UnitOfWork) -> list[bytes]:
        links = DeviceLinkRepository(uow.session)
        now = ctx.now()
        if inbound is not None:
            links.record_inbound(
                device.id,
                device.name,
                inbound.seq,
                inbound.kind,
                inbound.payload,
                now,
                inbound.status,
                generation=device.secret_generation,
                out_seen=inbound.out_seen,
            )
        wires = []
        for reply in replies:
            seq = links.next_out_seq(device.id)
            body = dict(reply.body)
            if reply.snapshot:
                body["off"] = list(offline.snapshot(ctx, uow, device.id, seq))
            envelope = Envelope(device.name, seq, int(now.timestamp()), reply.kind, body)
            wire = envelope.sign(secret).to_wire()
            links.record_outbound(
                device.id,
                device.name,
                seq,
                reply.kind,
                wire.decode(),
                now,
                generation=device.secret_generation,
            )
            wires.append(wire)
        uow.commit()
        return wires

    return ctx.transaction(work)
