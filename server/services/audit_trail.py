"""Recording changes in the audit log, and proving the log was not altered."""

from dataclasses import dataclass
from typing import Any

from server.domain.audit_chain import GENESIS, canonical, chain_hash
from server.domain.roles import Permission
from server.services.context import Actor, ServiceContext
from server.storage.repositories.audit import record_fields
from server.storage.unit_of_work import UnitOfWork


def record(
    ctx: ServiceContext,
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append who did what to which entity, with its state before and after.

    Callers pass only fields safe to keep: never a key, password or token secret.
    """
    uow.audit.append(
        at=ctx.now(),
        actor=actor.ref,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=None if before is None else canonical(before),
        after=None if after is None else canonical(after),
    )


@dataclass(frozen=True)
class AuditVerdict:
    """The outcome of checking the chain: how many records, and the first broken one."""

    records: int
    ok: bool
    problem: str = ""


def verify(ctx: ServiceContext, actor: Actor) -> AuditVerdict:
    """Recompute every hash in order; report the first record that does not fit the chain."""
    actor.require(Permission.AUDIT)

    def work(uow: UnitOfWork) -> AuditVerdict:
        previous = GENESIS
        count = 0
        for row in uow.audit.all():
            count += 1
            if row.prev_hash != previous:
                return AuditVerdict(
                    count,
                    False,
                    f"record {row.id}: does not follow the record before it "
                    "(a record was deleted or inserted)",
                )
            if chain_hash(previous, record_fields(row)) != row.hash:
                return AuditVerdict(count, False, f"record {row.id}: its content was altered")
            previous = row.hash
        if previous != uow.audit.head_hash():
            return AuditVerdict(count, False, "the newest records were removed")
        return AuditVerdict(count, True)

    return ctx.transaction(work, read_only=True)
