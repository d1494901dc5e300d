"""Operators' TOTP second factor: enrol (secret shown once, confirmed by a first code),
check a code at login, remove. Enrolling and removing are written to the audit trail."""

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from server.domain.errors import Conflict, InvalidInput
from server.services import audit_trail
from server.services.context import Actor, ServiceContext
from server.storage.unit_of_work import UnitOfWork
from server.web.auth import totp
from server.web.tables import totp_secrets

NONE, PENDING, ENROLLED = "none", "pending", "enrolled"


@dataclass(frozen=True)
class Enrolment:
    """A secret to show the operator once, with the URI their authenticator app imports."""

    secret: str
    uri: str


def status(ctx: ServiceContext, operator_id: int) -> str:
    """none, pending (secret shown, no code typed yet) or enrolled."""

    def work(uow: UnitOfWork) -> str:
        row = (
            uow.session.connection()
            .execute(
                select(totp_secrets.c.confirmed).where(totp_secrets.c.operator_id == operator_id)
            )
            .one_or_none()
        )
        if row is None:
            return NONE
        return ENROLLED if row[0] else PENDING

    return ctx.transaction(work, read_only=True)


def enrolled_operator_ids(ctx: ServiceContext) -> set[int]:
    """Every operator with a confirmed second factor."""

    def work(uow: UnitOfWork) -> set[int]:
        rows = uow.session.connection().execute(
            select(totp_secrets.c.operator_id).where(totp_secrets.c.confirmed.is_(True))
        )
        return {r[0] for r in rows}

    return ctx.transaction(work, read_only=True)


def begin(ctx: ServiceContext, actor: Actor) -> Enrolment:
    """A new secret for the operator `actor` (replacing one not yet confirmed)."""
    operator_id = _operator_id(actor)
    secret = totp.new_secret()

    def work(uow: UnitOfWork) -> None:
        connection = uow.session.connection()
        current = connection.execute(
            select(totp_secrets.c.confirmed).where(totp_secrets.c.operator_id == operator_id)
        ).one_or_none()
        if current is not None and current[0]:
            raise Conflict(
                "totp_already_enrolled",
                "a second factor is already set up: remove it first to enrol a new device",
            )
        connection.execute(delete(totp_secrets).where(totp_secrets.c.operator_id == operator_id))
        connection.execute(
            insert(totp_secrets).values(
                operator_id=operator_id, secret=secret, confirmed=False, created_at=ctx.now()
            )
        )
        uow.commit()

    ctx.transaction(work)
    return Enrolment(secret, totp.provisioning_uri(secret, account=actor.name))


def pending_enrolment(ctx: ServiceContext, actor: Actor) -> Enrolment | None:
    """The secret shown but not yet confirmed, to show again (say, after a mistyped code)."""
    operator_id = _operator_id(actor)

    def work(uow: UnitOfWork) -> str | None:
        row = (
            uow.session.connection()
            .execute(
                select(totp_secrets.c.secret).where(
                    totp_secrets.c.operator_id == operator_id,
                    totp_secrets.c.confirmed.is_(False),
                )
            )
            .one_or_none()
        )
        return None if row is None else row[0]

    secret = ctx.transaction(work, read_only=True)
    if secret is None:
        return None
    return Enrolment(secret, totp.provisioning_uri(secret, account=actor.name))


def confirm(ctx: ServiceContext, actor: Actor, code: str) -> None:
    """Finish enrolling with the first code from the app; InvalidInput when it is wrong."""
    operator_id = _operator_id(actor)

    def work(uow: UnitOfWork) -> None:
        connection = uow.session.connection()
        row = connection.execute(
            select(totp_secrets.c.secret).where(
                totp_secrets.c.operator_id == operator_id, totp_secrets.c.confirmed.is_(False)
            )
        ).one_or_none()
        if row is None:
            raise Conflict("totp_not_started", "start setting up the second factor first")
        step = totp.matching_step(row[0], code, ctx.now().timestamp())
        if step is None:
            raise InvalidInput(
                "wrong_code", "that code does not match: check the phone's clock and try again"
            )
        connection.execute(
            update(totp_secrets)
            .where(totp_secrets.c.operator_id == operator_id)
            .values(confirmed=True, last_step=step)
        )
        audit_trail.record(
            ctx,
            uow,
            actor,
            "operator.totp_enrol",
            "operator",
            actor.name,
            after={"second_factor": "totp"},
        )
        uow.commit()

    ctx.transaction(work)


def verify(ctx: ServiceContext, operator_id: int, code: str) -> bool:
    """Whether `code` is the operator's current code, not used before. Using it marks its
    time step used, in the same statement that checks it, so two logins cannot share one."""

    def work(uow: UnitOfWork) -> bool:
        connection = uow.session.connection()
        row = connection.execute(
            select(totp_secrets.c.secret, totp_secrets.c.last_step).where(
                totp_secrets.c.operator_id == operator_id, totp_secrets.c.confirmed.is_(True)
            )
        ).one_or_none()
        if row is None:
            return False
        secret, last_step = row
        step = totp.matching_step(secret, code, ctx.now().timestamp(), last_used_step=last_step)
        if step is None:
            return False
        used = connection.execute(
            update(totp_secrets)
            .where(
                totp_secrets.c.operator_id == operator_id,
                (totp_secrets.c.last_step.is_(None)) | (totp_secrets.c.last_step < step),
            )
            .values(last_step=step)
        )
        uow.commit()
        return used.rowcount == 1

    return ctx.transaction(work)


def remove(ctx: ServiceContext, actor: Actor, operator_id: int, username: str) -> None:
    """Remove an operator's second factor (theirs, or anyone's by an operator manager)."""

    def work(uow: UnitOfWork) -> None:
        gone = uow.session.connection().execute(
            delete(totp_secrets).where(totp_secrets.c.operator_id == operator_id)
        )
        if gone.rowcount:
            audit_trail.record(
                ctx,
                uow,
                actor,
                "operator.totp_remove",
                "operator",
                username,
                before={"second_factor": "totp"},
                after={"second_factor": None},
            )
        uow.commit()

    ctx.transaction(work)


def _operator_id(actor: Actor) -> int:
    if actor.kind != "operator" or actor.id is None:
        raise InvalidInput("not_an_operator", "only operators have a second factor")
    return actor.id
