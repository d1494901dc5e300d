"""What the link to the handhelds stores: sequence numbers, the message log, offline reserves
and the final outcome of every device sale id."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Insert, Table, and_, delete, func, insert, or_, select, update
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
_DEVICES = Device.__table__
_OUTCOMES = DeviceSaleOutcome.__table__
_RESERVES = OfflineReserve.__table__


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

    def seen_inbound(self, device_id: int, generation: int, seq: int) -> bool:
        """Whether an uplink with this sequence number was already accepted (under the
        device's secret of this generation: a re-flashed handheld numbers from 1 again)."""
        found = self.session.execute(
            select(_MESSAGES.c.id).where(
                _MESSAGES.c.device_id == device_id,
                _MESSAGES.c.direction == "in",
                _MESSAGES.c.generation == generation,
                _MESSAGES.c.seq == seq,
            )
        ).first()
        return found is not None

    def new_generation(self, device_id: int) -> None:
        """A new secret was issued: its uplinks are numbered from 1 again."""
        self.ensure(device_id)
        self.session.execute(
            update(_LINKS).where(_LINKS.c.device_id == device_id).values(in_seq_hi=0)
        )

    def record_inbound(
        self,
        device_id: int,
        name: str,
        seq: int,
        kind: str,
        payload: str,
        at: datetime,
        status: str | None,
        *,
        generation: int = 0,
        out_seen: int | None = None,
    ) -> bool:
        """Log an accepted uplink and raise the high-water mark (only while `generation` is
        still the device's: a late message of a replaced secret must not move the new
        one's window); False if the sequence number was already logged (a concurrent
        duplicate got there first). `out_seen`: a downlink seq the device showed it holds."""
        self.ensure(device_id)
        values = {
            "device_id": device_id,
            "device_name": name,
            "direction": "in",
            "seq": seq,
            "generation": generation,
            "kind": kind,
            "outcome": "accepted",
            "payload": payload,
            "created_at": at,
        }
        inserted = self.session.execute(_insert_ignore(self.session, _MESSAGES, values)).rowcount
        current = (
            select(_DEVICES.c.secret_generation).where(_DEVICES.c.id == device_id).scalar_subquery()
        )
        changes: dict[str, object] = {
            "in_seq_hi": _greatest(self.session, _LINKS.c.in_seq_hi, seq),
            "last_seen_at": at,
        }
        if status is not None:
            changes["last_status"] = status
        if out_seen is not None:
            # never above what was sent: a device's bug must not mark downlinks delivered
            seen = _least(self.session, _LINKS.c.out_seq, out_seen)
            changes["out_seen"] = _greatest(self.session, _LINKS.c.out_seen, seen)
        self.session.execute(
            update(_LINKS)
            .where(_LINKS.c.device_id == device_id, current == generation)
            .values(**changes)
        )
        return bool(inserted)

    def record_outbound(
        self,
        device_id: int,
        name: str,
        seq: int,
        kind: str,
        payload: str,
        at: datetime,
        *,
        generation: int = 0,
    ) -> None:
        """Log a downlink (the HTTP long-poll reads them back from here), signed with the
        secret of `generation`."""
        self.session.execute(
            insert(_MESSAGES).values(
                device_id=device_id,
                device_name=name,
                direction="out",
                seq=seq,
                generation=generation,
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

    def outbound_after(
        self, device_id: int, after: int, limit: int, generation: int | None = None
    ) -> list[tuple[int, str]]:
        """(seq, payload) of downlinks above `after`, oldest first; with `generation`, only
        those signed with that generation's secret (the others would not verify)."""
        conditions = [
            _MESSAGES.c.device_id == device_id,
            _MESSAGES.c.direction == "out",
            _MESSAGES.c.seq > after,
        ]
        if generation is not None:
            conditions.append(_MESSAGES.c.generation == generation)
        rows = self.session.execute(
            select(_MESSAGES.c.seq, _MESSAGES.c.payload)
            .where(*conditions)
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

    def prunable_ids(self, before: datetime, replay_window: int, limit: int) -> list[int]:
        """Ids of log rows older than `before` that no device needs any more (oldest first):

        - refused uplinks (no sequence number): nothing refers to them;
        - rows of a replaced secret (older generation): its messages no longer verify, so
          they can neither be replayed nor be waited for;
        - accepted uplinks more than `replay_window` below the device's highest: the
          window refuses those numbers unread, the row is not needed to spot a replay;
        - downlinks at or below the highest the device showed it holds (`out_seen`).
        Undelivered downlinks and uplinks inside the replay window are kept, whatever
        their age. Sale outcomes are not in this log and are never pruned."""
        m = _MESSAGES
        generation = (
            select(_DEVICES.c.secret_generation)
            .where(_DEVICES.c.id == m.c.device_id)
            .scalar_subquery()
        )
        in_hi = select(_LINKS.c.in_seq_hi).where(_LINKS.c.device_id == m.c.device_id)
        seen = select(_LINKS.c.out_seen).where(_LINKS.c.device_id == m.c.device_id)
        needed_no_more: ColumnElement[bool] = or_(
            m.c.seq.is_(None),
            m.c.device_id.is_(None),
            m.c.generation < generation,
            and_(m.c.direction == "in", m.c.seq <= in_hi.scalar_subquery() - replay_window),
            and_(m.c.direction == "out", m.c.seq <= seen.scalar_subquery()),
        )
        rows = self.session.execute(
            select(m.c.id)
            .where(m.c.created_at < before, needed_no_more)
            .order_by(m.c.id)
            .limit(limit)
        )
        return [int(row_id) for (row_id,) in rows]

    def delete_messages(self, ids: list[int]) -> int:
        """Delete these log rows; how many went."""
        if not ids:
            return 0
        return int(self.session.execute(delete(_MESSAGES).where(_MESSAGES.c.id.in_(ids))).rowcount)


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

    def mark_cutoff(self, device_ids: list[int], at: datetime) -> None:
        """Offline sales taken after `at` are not honoured from these devices' reserves
        (an earlier cutoff already set stays)."""
        if device_ids:
            self.session.execute(
                update(_RESERVES)
                .where(_RESERVES.c.device_id.in_(device_ids), _RESERVES.c.cutoff_at.is_(None))
                .values(cutoff_at=at)
            )

    def clear_cutoff(self, device_ids: list[int]) -> None:
        """The devices may sell again: no cutoff."""
        if device_ids:
            self.session.execute(
                update(_RESERVES)
                .where(_RESERVES.c.device_id.in_(device_ids), _RESERVES.c.cutoff_at.is_not(None))
                .values(cutoff_at=None)
            )


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
        generation: int = 0,
    ) -> None:
        """Insert the outcome; a concurrent one for the same sale id makes this fail.
        `generation`: the device's secret generation the sale came under."""
        self.session.execute(
            insert(_OUTCOMES).values(
                device_id=device_id,
                sale_ref=sale_ref,
                sale_seq=sale_seq_of(sale_ref),
                generation=generation,
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

    def highest_sale_seq(self, device_id: int) -> int:
        """The highest journal number in any sale id the device sent (0: none)."""
        found = self.session.execute(
            select(func.max(_OUTCOMES.c.sale_seq)).where(_OUTCOMES.c.device_id == device_id)
        ).scalar_one_or_none()
        return int(found or 0)

    def counts(self, device_id: int) -> dict[str, int]:
        """How many sale ids ended each way."""
        table = DeviceSaleOutcome.__table__
        rows = self.session.execute(
            select(table.c.outcome, func.count())
            .where(table.c.device_id == device_id)
            .group_by(table.c.outcome)
        )
        return {outcome: int(n) for outcome, n in rows}


def sale_seq_of(sale_ref: str) -> int:
    """The journal number in a sale id ("<device>-<number>"); 0 if it has none."""
    tail = sale_ref.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and tail.isascii() else 0


def _greatest(session: Session, column: ColumnElement[int], value: object) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        return func.max(column, value)
    return func.greatest(column, value)


def _least(session: Session, column: ColumnElement[int], value: object) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        return func.min(column, value)
    return func.least(column, value)


def _insert_ignore(session: Session, table: Table, values: dict[str, object]) -> Insert:
    """INSERT that does nothing when the row's key already exists, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing()
    return sqlite.insert(table).values(**values).on_conflict_do_nothing()
