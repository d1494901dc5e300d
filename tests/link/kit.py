"""A small world for link tests: the server test world plus handhelds with secrets, and a
way to write the envelopes a handheld would send."""

from dataclasses import dataclass
from typing import Any

from server.link.device_secrets import DeviceSecrets
from server.link.envelope import Envelope
from server.link.processor import LinkProcessor
from server.services import devices
from server.services.context import Actor, ServiceContext
from tests.server import world


@dataclass
class Handheld:
    """A registered device as a test drives it: its id, secret and next uplink number."""

    name: str
    secret: bytes
    seq: int = 0

    def wire(
        self, kind: str, body: dict[str, Any] | None = None, *, seq: int | None = None
    ) -> bytes:
        """A signed uplink; numbered one above the last unless `seq` is given."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        return Envelope(self.name, seq, 1_763_700_000, kind, body or {}).sign(self.secret).to_wire()

    def sale(
        self,
        number: int,
        meter: str,
        amount: int,
        *,
        offline: bool = False,
        time: int = 1_763_700_000,
    ) -> dict:
        """A sale body as the handheld's journal holds it."""
        return {
            "id": f"{self.name}-{number:06d}",
            "meter": meter,
            "amount": amount,
            "time": time,
            "vendor": "v1",
            "off": 1 if offline else 0,
        }


def add_handheld(
    ctx: ServiceContext,
    admin: Actor,
    secrets: DeviceSecrets,
    name: str = "GV0001",
    *,
    agent: str = "AG1",
    allowance: int = 0,
) -> Handheld:
    """Register a device for `agent` with its secret; its offline allowance set (reserved)."""
    issued = devices.register_device(ctx, admin, agent, name, secrets)
    if allowance:
        from server.services import offline

        offline.set_allowance(ctx, admin, name, allowance)
    return Handheld(name, bytes.fromhex(issued.secret_hex))


def processor(ctx: ServiceContext, master_key: bytes) -> LinkProcessor:
    return LinkProcessor(ctx, DeviceSecrets(master_key))


def build_world(ctx: ServiceContext, admin: Actor, **kwargs: Any) -> world.World:
    return world.build(ctx, admin, **kwargs)


def downlinks(handled, secret: bytes | None = None) -> list[Envelope]:
    """The downlinks of a Handled, parsed; checked against `secret` when given."""
    from server.link import canonical

    out = []
    for wire in handled.wires:
        raw = canonical.decode(wire)
        envelope = Envelope(raw["d"], raw["n"], raw["t"], raw["y"], raw["b"], raw["m"])
        if secret is not None:
            assert envelope.verify(secret), f"downlink {raw['y']} does not verify"
        out.append(envelope)
    return out


def only(handled, secret: bytes | None = None) -> Envelope:
    """The single downlink of a Handled."""
    found = downlinks(handled, secret)
    assert len(found) == 1, [e.kind for e in found]
    return found[0]
