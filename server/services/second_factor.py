"""Operators' TOTP second factor: enrol (secret shown once, confirmed by a first code),
check a code at login (pages and API), remove. Enrolling and removing are audited.

Secrets are kept sealed by the security module (`ctx.security.seal_secret`, purpose
"totp secrets", label "operator:<id>", so a sealed secret cannot be moved to another
operator's row). Rows written before migration 0005 hold the secret in clear: the first
time such a row is used it is sealed and the clear copy erased, in the same transaction;
`seal_clear_secrets` does all of them at once.
"""

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from server.domain.errors import Conflict, InvalidInput, Unauthenticated, Unavailable
from server.domain.roles import Permission, Role
from server.security.sealing import SealError
from server.services import audit_trail, totp
from server.services.context import Actor, ServiceContext
from server.storage.schema import web_totp as totp_secrets
from server.storage.unit_of_work import UnitOfWork

NONE, PENDING, ENROLLED = "none", "pending", "enrolled"
# What a login still needs after the password: nothing, a code, or setting TOTP up first.
NO_STEP, CODE_STEP, ENROL_STEP = "none", "code", "enrol"
PURPOSE = "totp secrets"


@dataclass(frozen=True)
class Enrolment:
    """A secret to show the operator once, with the URI their authenticator app imports."""

    secret: str
    uri: str


def label_of(operator_id: int) -> str:
    """What a sealed secret is bound to: its operator."""
    return f"operator:{operator_id}"


def _seal(ctx: ServiceContext, operator_id: int, secret: str) -> bytes:
    return ctx.security.seal_secret(PURPOSE, label_of(operator_id), secret.encode("ascii"))


def _secret_of(
    ctx: ServiceContext, connection: Connection, operator_id: int, clear: str | None, sealed
) -> str:
    """The clear secret of a row; a row still holding it in clear is sealed on the way."""
    if sealed is not None:
        try:
            return ctx.security.open_secret(PURPOSE, label_of(operator_id), bytes(sealed)).decode()
        except SealError:
            raise Unavailable(
                "totp_secret_unreadable",
                "this operator's second step cannot be opened with this master key: "
                "an administrator can reset it on the operators page",
            ) from None
    if not clear:
        raise Unavailable(
            "totp_secret_missing",
            "this operator's second step has no secret: an administrator can reset it",
        )
    connection.execute(
        update(totp_secrets)
        .where(totp_secrets.c.operator_id == operator_id)
        .values(sealed_secret=_seal(ctx, operator_id, clear), secret=None)
    )
    return clear


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


def step_due(ctx: ServiceContext, actor: Actor, *, admin_totp_required: bool) -> str:
    """What a login by `actor` still needs once the password was right: NO_STEP, CODE_STEP
    (TOTP is on) or ENROL_STEP (an administrator without TOTP when it is required)."""
    assert actor.id is not None
    if status(ctx, actor.id) == ENROLLED:
        return CODE_STEP
    if actor.role is Role.ADMIN and admin_totp_required:
        return ENROL_STEP
    return NO_STEP


def check_login(
    ctx: ServiceContext, actor: Actor, code: str | None, *, admin_totp_required: bool
) -> None:
    """Refuse a one-request login (the API's) that lacks the second factor `actor` needs,
    saying what is missing; a right code is used up."""
    step = step_due(ctx, actor, admin_totp_required=admin_totp_required)
    if step == ENROL_STEP:
        raise Unauthenticated(
            "totp_enrolment_required",
            f"administrator {actor.name} must set up a TOTP second step before logging in: "
            "log in on the operator pages once to set it up",
        )
    if step == NO_STEP:
        return
    if not (code or "").strip():
        raise Unauthenticated(
            "totp_required",
            f"operator {actor.name} has a TOTP second step: send the current 6-digit code "
            "in the form field 'totp'",
        )
    assert actor.id is not None
    if not verify(ctx, actor.id, code or ""):
        raise Unauthenticated(
            "wrong_totp_code",
            "the TOTP code is not right (or was already used): send the newest one",
        )


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
    sealed = _seal(ctx, operator_id, secret)

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
                operator_id=operator_id,
                secret=None,
                sealed_secret=sealed,
                confirmed=False,
                created_at=ctx.now(),
            )
        )
        uow.commit()

    ctx.transaction(work)
    return Enrolment(secret, totp.provisioning_uri(secret, account=actor.name))


def pending_enrolment(ctx: ServiceContext, actor: Actor) -> Enrolment | None:
    """The secret shown but not yet confirmed, to show again (say, after a mistyped code)."""
    operator_id = _operator_id(actor)

    def work(uow: UnitOfWork) -> str | None:
        connection = uow.session.connection()
        row = connection.execute(
            select(totp_secrets.c.secret, totp_secrets.c.sealed_secret).where(
                totp_secrets.c.operator_id == operator_id,
                totp_secrets.c.confirmed.is_(False),
            )
        ).one_or_none()
        if row is None:
            return None
        secret = _secret_of(ctx, connection, operator_id, row[0], row[1])
        uow.commit()
        return secret

    secret = ctx.transaction(work)
    if secret is None:
        return None
    return Enrolment(secret, totp.provisioning_uri(secret, account=actor.name))


def confirm(ctx: ServiceContext, actor: Actor, code: str) -> None:
    """Finish enrolling with the first code from the app; InvalidInput when it is wrong."""
    operator_id = _operator_id(actor)

    def work(uow: UnitOfWork) -> None:
        connection = uow.session.connection()
        row = connection.execute(
            select(totp_secrets.c.secret, totp_secrets.c.sealed_secret).where(
                totp_secrets.c.operator_id == operator_id, totp_secrets.c.confirmed.is_(False)
            )
        ).one_or_none()
        if row is None:
            raise Conflict("totp_not_started", "start setting up the second factor first")
        secret = _secret_of(ctx, connection, operator_id, row[0], row[1])
        step = totp.matching_step(secret, code, ctx.now().timestamp())
        if step is None:
            uow.commit()  # keep the sealing of a clear secret, if that happened
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
            select(
                totp_secrets.c.secret, totp_secrets.c.sealed_secret, totp_secrets.c.last_step
            ).where(totp_secrets.c.operator_id == operator_id, totp_secrets.c.confirmed.is_(True))
        ).one_or_none()
        if row is None:
            return False
        secret = _secret_of(ctx, connection, operator_id, row[0], row[1])
        last_step = row[2]
        step = totp.matching_step(secret, code, ctx.now().timestamp(), last_used_step=last_step)
        if step is None:
            uow.commit()  # keep the sealing of a clear secret, if that happened
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


def seal_clear_secrets(ctx: ServiceContext) -> int:
    """Seal every secret still stored in clear (written before migration 0005); how many."""

    def work(uow: UnitOfWork) -> int:
        connection = uow.session.connection()
        rows = connection.execute(
            select(totp_secrets.c.operator_id, totp_secrets.c.secret).where(
                totp_secrets.c.secret.is_not(None), totp_secrets.c.sealed_secret.is_(None)
            )
        ).all()
        for operator_id, clear in rows:
            _secret_of(ctx, connection, operator_id, clear, None)
        uow.commit()
        return len(rows)

    return ctx.transaction(work)


def remove(ctx: ServiceContext, actor: Actor, operator_id: int, username: str) -> None:
    """Remove an operator's second factor (theirs, or anyone's by an operator manager)."""
    if actor.kind != "operator" or actor.id != operator_id:
        actor.require(Permission.MANAGE_OPERATORS)

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
