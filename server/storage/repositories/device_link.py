"""What the link to the handhelds stores: sequence numbers, the message log, offline reserves
and the final outcome of every device sale id."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Insert, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.storage.schema import (
    Agent,
    Device,
    DeviceLink,
    DeviceSaleOutcome,
    LinkMessage,
    OfflineReserve,
)

_LINKS = DeviceLink.__table__
_MESSAGES = LinkMessage.__table__


class DeviceLinkRepository:
    """Per-device link state and the message log (inbound, outbound and rejects)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def device_by_name(self, name: str) -> tuple[Device, str] | None:
        """The device named `name` and its vendor's status, or None."""
        row = self.session.execute(
            select(Device, Agent.status)
            .join(Agent, Agent.id == Device.agent_id)
            .where(Device.name == name)
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def ensure(self, device_id: int) -> None:
        """Create the device's link row if it has none (two processes may race: both fine)."""
        self.session.execute(_insert_ignore(self.session, _LINKS, {"device_id": device_id}))

    def state(self, device_id: int) -> DeviceLink | None:
        return self.session.get(DeviceLink, device_id)

    def next_out_seq(self, device_id: int) -> int:
        """Hand out the device's next downlink sequence number (locks its link row)."""
        self.ensure(device_id)
        statement = (
            update(_LINKS)
            .where(_LINKS.c.device_id == device_id)
            .values(out_seq=_LINKS.c.out_seq + 1)
            .returning(_LINKS.c.out_seq)
        )
        return int(self.session.execute(statement).scalar_one())

    def in_seq_hi(self, device_id: int) -> int:
        found = self.session.execute(
            select(_LINKS.c.in_seq_hi).where(_LINKS.c.device_id == device_id)
        ).scalar_one_or_none()
        return int(found or 0)

    def seen_inbound(self, device_id: int, seq: int) -> bool:
        """Whether an uplink with this sequence number was already accepted."""
        found = self.session.execute(
            select(_MESSAGES.c.id).where(
                _MESSAGES.c.device_id == device_id,
                _MESSAGES.c.direction == "in",
                _MESSAGES.c.seq == seq,
            )
        ).first()
        return found is not None

    def record_inbound(
        self,
        device_id: int,
        name: str,
        seq: int,
        kind: str,
        payload: str,
        at: datetime,
        status: str | None,
    ) -> bool:
        """Log an accepted uplink and raise the high-water mark; False if the sequence
        number was already logged (a concurrent duplicate got there first)."""
        self.ensure(device_id)
        values = {
            "device_id": device_id,
            "device_name": name,
            "direction": "in",
            "seq": seq,
            "kind": kind,
            "outcome": "accepted",
            "payload": payload,
            "created_at": at,
        }
        inserted = self.session.execute(_insert_ignore(self.session, _MESSAGES, values)).rowcount
        changes: dict[str, object] = {
            "in_seq_hi": func.max(_LINKS.c.in_seq_hi, seq)
            if self.session.get_bind().dialect.name == "sqlite"
            else func.greatest(_LINKS.c.in_seq_hi, seq),
            "last_seen_at": at,
        }
        if status is not None:
            changes["last_status"] = status
        self.session.execute(
            update(_LINKS).where(_LINKS.c.device_id == device_id).values(**changes)
        )
        return bool(inserted)

    def record_outbound(
        self, device_id: int, name: str, seq: int, kind: str, payload: str, at: datetime
    ) -> None:
        """Log a downlink (the HTTP long-poll reads them back from here)."""
        self.session.execute(
            insert(_MESSAGES).values(
                device_id=device_id,
                device_name=name,
                direction="out",
                seq=seq,
                kind=kind,
                outcome="sent",
                payload=payload,
                created_at=at,
            )
        )

    def record_reject(
        self, device_id: int | None, name: str, kind: str, code: str, payload: str, at: datetime
    ) -> None:
        """Log a refused uplink (no sequence number: a forged one must not block the real)."""
        self.session.execute(
            insert(_MESSAGES).values(
                device_id=device_id,
                device_name=name[:64],
                direction="in",
                seq=None,
                kind=kind[:16],
                outcome=code,
                payload=payload,
                created_at=at,
            )
        )

    def outbound_after(self, device_id: int, after: int, limit: int) -> list[tuple[int, str]]:
        """(seq, payload) of downlinks above `after`, oldest first."""
        rows = self.session.execute(
            select(_MESSAGES.c.seq, _MESSAGES.c.payload)
            .where(
                _MESSAGES.c.device_id == device_id,
                _MESSAGES.c.direction == "out",
                _MESSAGES.c.seq > after,
            )
            .order_by(_MESSAGES.c.seq)
            .limit(limit)
        )
        return [(int(seq), payload) for seq, payload in rows]

    def messages(self, device_id: int | None = None, limit: int = 100) -> list[LinkMessage]:
        """The newest log rows, newest first (all devices when device_id is None)."""
        query = select(LinkMessage).order_by(LinkMessage.id.desc()).limit(limit)
        if device_id is not None:
            query = query.where(LinkMessage.device_id == device_id)
        return list(self.session.scalars(query))


class OfflineReserveRepository:
    """The offline reserve rows; callers lock one before changing money in it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def for_update(self, device_id: int, at: datetime) -> OfflineReserve:
        """The device's reserve row, created empty if missing, locked until commit."""
        self.session.execute(
            _insert_ignore(
                self.session,
                OfflineReserve.__table__,
                {
                    "device_id": device_id,
                    "granted": 0,
                    "spent": 0,
                    "ceiling": 0,
                    "snapshot_seq": 0,
                    "updated_at": at,
                },
            )
        )
        return self.session.scalars(
            select(OfflineReserve)
            .where(OfflineReserve.device_id == device_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()

    def get(self, device_id: int) -> OfflineReserve | None:
        return self.session.get(OfflineReserve, device_id)

    def all(self) -> list[OfflineReserve]:
        return list(self.session.scalars(select(OfflineReserve).order_by(OfflineReserve.device_id)))


class SaleOutcomeRepository:
    """The final outcome of each device sale id."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, device_id: int, sale_ref: str) -> DeviceSaleOutcome | None:
        return self.session.get(DeviceSaleOutcome, (device_id, sale_ref))

    def add(
        self,
        device_id: int,
        sale_ref: str,
        outcome: str,
        *,
        offline: bool,
        at: datetime,
        code: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Insert the outcome; a concurrent one for the same sale id makes this fail."""
        self.session.execute(
            insert(DeviceSaleOutcome.__table__).values(
                device_id=device_id,
                sale_ref=sale_ref,
                outcome=outcome,
                offline=offline,
                code=code,
                reason=reason,
                created_at=at,
                acknowledged_at=None,
            )
        )

    def acknowledge(self, device_id: int, sale_refs: Iterable[str], at: datetime) -> None:
        """Note that the handheld finished these sales (slip printed or refusal shown)."""
        refs = list(sale_refs)
        if not refs:
            return
        table = DeviceSaleOutcome.__table__
        self.session.execute(
            update(table)
            .where(
                table.c.device_id == device_id,
                table.c.sale_ref.in_(refs),
                table.c.acknowledged_at.is_(None),
            )
            .values(acknowledged_at=at)
        )

    def counts(self, device_id: int) -> dict[str, int]:
        """How many sale ids ended each way."""
        table = DeviceSaleOutcome.__table__
        rows = self.session.execute(
            select(table.c.outcome, func.count())
            .where(table.c.device_id == device_id)
            .group_by(table.c.outcome)
        )
        return {outcome: int(n) for outcome, n in rows}


def _insert_ignore(session: Session, table: Table, values: dict[str, object]) -> Insert:
    """INSERT that does nothing when the row's key already exists, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    return sqlite.insert(table).values(**values).on_conflict_do_nothing()
