"""The append-only, hash-chained audit log."""

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.domain.audit_chain import GENESIS, chain_hash
from server.storage.schema import AuditHead, AuditRecord


def record_fields(row: AuditRecord) -> dict[str, object]:
    """The fields a record's hash covers (everything but the hashes themselves)."""
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
    }


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        before: str | None,
        after: str | None,
    ) -> AuditRecord:
        """Add a record linked to the previous one; appends from all processes serialize on
        the head row's lock, and the unique prev_hash makes a fork impossible to commit."""
        head = self.session.scalars(
            select(AuditHead).where(AuditHead.id == 1).with_for_update()
        ).one_or_none()
        if head is None:
            head = AuditHead(id=1, last_hash=GENESIS)
            self.session.add(head)
            self.session.flush()
        row = AuditRecord(
            at=at.astimezone(UTC),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            prev_hash=head.last_hash,
            hash="",
        )
        self.session.add(row)
        self.session.flush()  # the id is part of what the hash covers
        row.hash = chain_hash(head.last_hash, record_fields(row))
        self.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=row.hash))
        self.session.flush()
        return row

    def all(self, *, batch: int = 1000) -> Iterator[AuditRecord]:
        """Every record in chain order, read in batches."""
        last_id = 0
        while True:
            query = (
                select(AuditRecord).where(AuditRecord.id > last_id).order_by(AuditRecord.id)
            ).limit(batch)
            rows = list(self.session.scalars(query))
            if not rows:
                return
            yield from rows
            last_id = rows[-1].id

    def head_hash(self) -> str:
        found = self.session.scalars(select(AuditHead.last_hash).where(AuditHead.id == 1))
        return found.one_or_none() or GENESIS

    def latest(self, *, limit: int = 50) -> list[AuditRecord]:
        query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
        return list(self.session.scalars(query))
