"""Operators (people), their logins, roles and status, and point-of-sale clients (machines
with API keys); how long a checked caller is trusted without asking the database again."""

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from server.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from server.domain.roles import Permission, Role
from server.services import audit_trail, second_factor
from server.services.agents import agent_by_code
from server.services.context import Actor, ServiceContext
from server.services.snapshots import snapshot
from server.services.text_fields import text_field
from server.storage.schema import Agent, ApiSession, Operator, PosClient, web_session_grants
from server.storage.unit_of_work import UnitOfWork

SESSION_HOURS = 12
MIN_PASSWORD = 10
API_KEY_PREFIX = "gvk"
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and response times do not reveal which operators exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_operator(
    ctx: ServiceContext,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
) -> Operator:
    """Add an operator with an argon2-hashed password."""
    actor.require(Permission.MANAGE_OPERATORS)
    username = username.strip()
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise InvalidInput("invalid_username", "username: 1 to 64 characters, no spaces")
    if role is Role.POS:
        raise InvalidInput("invalid_role", "pos is for point-of-sale clients, not operators")
    if len(password) < MIN_PASSWORD or len(password) > 1024:
        raise InvalidInput(
            "weak_password", f"password: at least {MIN_PASSWORD} characters (1024 at most)"
        )
    full_name = text_field(full_name, "full name", max_length=128, required=False)
    password_hash = _hasher.hash(password)

    def work(uow: UnitOfWork) -> Operator:
        if uow.operators.by_username(username) is not None:
            raise Conflict("duplicate_operator", f"operator {username} already exists")
        operator = uow.operators.add(
            Operator(
                username=username,
                full_name=full_name,
                password_hash=password_hash,
                role=role.value,
                active=True,
                created_at=ctx.now(),
            )
        )
        audit_trail.record(
            ctx,
            uow,
            actor,
            "operator.add",
            "operator",
            username,
            after={"username": username, "role": role.value, "full_name": operator.full_name},
        )
        uow.commit()
        return operator

    return ctx.transaction(work)


def authenticate(ctx: ServiceContext, username: str, password: str) -> Actor:
    """The operator whose password this is, if they are active; no session is started."""
    refused = Unauthenticated("bad_credentials", "wrong username or password")
    if len(username) > 64 or len(password) > 1024 or not username.isprintable():
        raise refused

    def find(uow: UnitOfWork) -> Operator | None:
        return uow.operators.by_username(username.strip())

    operator = ctx.transaction(find, read_only=True)
    try:
        _hasher.verify(operator.password_hash if operator else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise refused from None
    if operator is None:
        raise refused
    if not operator.active:
        raise Unauthenticated(
            "operator_disabled", f"operator {operator.username} is disabled: ask an administrator"
        )
    return _operator_actor(operator)


def start_session(ctx: ServiceContext, actor: Actor) -> tuple[str, datetime]:
    """A new bearer token for an authenticated operator, valid SESSION_HOURS; its expiry."""
    assert actor.kind == "operator" and actor.id is not None
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    expires = now + timedelta(hours=SESSION_HOURS)

    def store(uow: UnitOfWork) -> None:
        uow.operators.drop_expired_sessions(now)
        uow.operators.add_session(
            ApiSession(
                token_hash=_digest(token),
                operator_id=actor.id,
                created_at=now,
                expires_at=expires,
            )
        )
        uow.commit()

    ctx.transaction(store)
    return token, expires


def log_in(
    ctx: ServiceContext,
    username: str,
    password: str,
    *,
    totp_code: str | None = None,
    admin_totp_required: bool = False,
) -> tuple[str, datetime, Actor]:
    """Check a password and, when the operator needs one, the TOTP code; a bearer token
    valid for SESSION_HOURS, its expiry, and the actor.

    Refusals say what is wrong or missing (code `bad_credentials`, `operator_disabled`,
    `totp_required`, `wrong_totp_code`, `totp_enrolment_required`). The pages log in in two
    steps instead (`authenticate`, then the code, then `start_session`).
    """
    actor = authenticate(ctx, username, password)
    second_factor.check_login(ctx, actor, totp_code, admin_totp_required=admin_totp_required)
    token, expires = start_session(ctx, actor)
    return token, expires, actor


def log_out(ctx: ServiceContext, token: str) -> None:
    """End a bearer token (and the page session using it) at once, in this process too."""
    if not token or len(token) > 256:
        return
    digest = _digest(token)

    def work(uow: UnitOfWork) -> None:
        uow.session.execute(delete(ApiSession).where(ApiSession.token_hash == digest))
        uow.session.execute(
            delete(web_session_grants).where(web_session_grants.c.token_hash == digest)
        )
        uow.commit()

    ctx.transaction(work)
    forget_callers(ctx)


def actor_for_token(ctx: ServiceContext, token: str) -> Actor:
    """The operator a bearer token belongs to, if it is valid and unexpired."""
    if not token or len(token) > 256:
        raise Unauthenticated("bad_token", "invalid or expired token: log in again")
    digest = _digest(token)
    epoch = _epoch(ctx)
    remembered = _trusted(ctx, ctx.recent.get(("bearer", digest, epoch)))
    if remembered is not None:
        return remembered

    def work(uow: UnitOfWork) -> tuple[Actor, datetime]:
        found = uow.operators.session_by_hash(digest)
        if found is None or found.expires_at <= ctx.now():
            raise Unauthenticated("bad_token", "invalid or expired token: log in again")
        operator = uow.operators.by_id(found.operator_id)
        if operator is None or not operator.active:
            raise Unauthenticated("bad_token", "this operator is disabled")
        return _operator_actor(operator), found.expires_at

    actor, expires = ctx.transaction(work, read_only=True)
    _remember(ctx, ("bearer", digest, epoch), actor, limit=expires)
    return actor


def actor_by_id(ctx: ServiceContext, operator_id: int) -> Actor:
    """An active operator by id (a page login half done: password given, code not yet)."""

    def work(uow: UnitOfWork) -> Operator | None:
        return uow.operators.by_id(operator_id)

    operator = ctx.transaction(work, read_only=True)
    if operator is None or not operator.active:
        raise Unauthenticated("operator_disabled", "this operator is disabled")
    return _operator_actor(operator)


def create_pos_client(ctx: ServiceContext, actor: Actor, *, name: str, agent_code: str) -> str:
    """Register a point-of-sale client selling from `agent_code`'s float; its API key.

    The key is shown once: only its hash is kept.
    """
    actor.require(Permission.MANAGE_AGENTS)
    name = text_field(name, "POS client name", max_length=64)
    secret = secrets.token_urlsafe(32)

    def work(uow: UnitOfWork) -> str:
        agent = agent_by_code(uow, agent_code)
        if uow.pos_clients.by_name(name) is not None:
            raise Conflict("duplicate_pos_client", f"POS client {name} already exists")
        client = uow.pos_clients.add(
            PosClient(
                name=name,
                agent_id=agent.id,
                key_hash=_digest(secret),
                enabled=True,
                created_at=ctx.now(),
            )
        )
        audit_trail.record(
            ctx, uow, actor, "pos_client.add", "pos_client", name, after={"agent": agent.code}
        )
        uow.commit()
        return f"{API_KEY_PREFIX}_{client.id}_{secret}"

    return ctx.transaction(work)


def remembered_actor(ctx: ServiceContext, *, token: str = "", api_key: str = "") -> Actor | None:
    """A caller checked within the last TRUST_SECONDS, found without any I/O."""
    epoch = _epoch(ctx)
    if token:
        return _trusted(ctx, ctx.recent.get(("bearer", _digest(token), epoch)))
    prefix, _, rest = api_key.partition("_")
    client_id, _, secret = rest.partition("_")
    if not secret or not client_id.isdigit():
        return None
    found = _trusted(ctx, ctx.recent.get(("api-key", _digest(secret), epoch)))
    if found is not None and found.id == int(client_id):
        return found
    return None


def actor_for_api_key(ctx: ServiceContext, api_key: str) -> Actor:
    """The POS client an API key belongs to, if the key is right and the client enabled."""
    refused = Unauthenticated("bad_api_key", "invalid API key")
    prefix, _, rest = api_key.partition("_")
    client_id, _, secret = rest.partition("_")
    if prefix != API_KEY_PREFIX or not client_id.isdigit() or len(client_id) > 12 or not secret:
        raise refused

    digest = _digest(secret)
    epoch = _epoch(ctx)
    # A POS client sends a key with every sale: a checked key is trusted for TRUST_SECONDS
    # (see forget_callers for what disabling does to that).
    remembered = _trusted(ctx, ctx.recent.get(("api-key", digest, epoch)))
    if remembered is not None and remembered.id == int(client_id):
        return remembered

    def work(uow: UnitOfWork) -> Actor:
        client = uow.pos_clients.by_id(int(client_id))
        if client is None or not hmac.compare_digest(client.key_hash, digest):
            raise refused
        if not client.enabled:
            raise Unauthenticated("pos_client_disabled", f"POS client {client.name} is disabled")
        return Actor(
            kind="pos", name=client.name, role=Role.POS, id=client.id, agent_id=client.agent_id
        )

    actor = ctx.transaction(work, read_only=True)
    _remember(ctx, ("api-key", digest, epoch), actor)
    return actor


# ---- Remembering callers: what disabling does, in this process and in the others ----
#
# Checking a bearer token or an API key costs a database read, so a checked caller is
# remembered (ctx.recent), under a key that includes this process's *caller epoch*:
#
# - here, every change that can take a caller's rights away (an operator disabled, enabled
#   or given another role, a POS client disabled, a token logged out) bumps the epoch once
#   its transaction has committed, so every remembered caller is checked against the
#   database again on its next request: the change bites at once. The epoch is read before
#   the database is, so a check that was under way during the change cannot put a stale
#   answer back where the next request would find it;
# - another server process cannot see that bump: it goes on trusting what it checked for at
#   most TRUST_SECONDS (never past a token's expiry), then asks the database again.
TRUST_SECONDS = 5.0
_epochs: "WeakKeyDictionary[ServiceContext, int]" = WeakKeyDictionary()
_epoch_lock = threading.Lock()


def _epoch(ctx: ServiceContext) -> int:
    return _epochs.get(ctx, 0)


def forget_callers(ctx: ServiceContext) -> None:
    """Make this process check every bearer token and API key again on its next use."""
    with _epoch_lock:
        _epochs[ctx] = _epochs.get(ctx, 0) + 1


def _remember(
    ctx: ServiceContext, key: tuple[object, ...], actor: Actor, *, limit: datetime | None = None
) -> None:
    until = ctx.now() + timedelta(seconds=TRUST_SECONDS)
    ctx.recent.put(key, (actor, until if limit is None else min(until, limit)))


def _trusted(ctx: ServiceContext, found: object) -> Actor | None:
    remembered = isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], Actor)
    return found[0] if remembered and found[1] > ctx.now() else None  # type: ignore[index]


def list_operators(ctx: ServiceContext, actor: Actor) -> list[Operator]:
    """Every operator (password hashes stay inside: views must not show them)."""
    actor.require(Permission.MANAGE_OPERATORS)
    return ctx.transaction(lambda uow: uow.operators.all(), read_only=True)


def operator_by_name(uow: UnitOfWork, username: str) -> Operator:
    operator = uow.operators.by_username(username)
    if operator is None:
        raise NotFound("operator_not_found", f"operator {username} does not exist")
    return operator


OPERATOR_FIELDS = ("username", "full_name", "role", "active")


def set_role(ctx: ServiceContext, actor: Actor, username: str, role: Role) -> Operator:
    """Give an operator another role; it applies to their next request (pages and API).

    Refused when it would leave no active administrator.
    """
    actor.require(Permission.MANAGE_OPERATORS)
    if role is Role.POS:
        raise InvalidInput("invalid_role", "pos is for point-of-sale clients, not operators")

    def work(uow: UnitOfWork) -> Operator:
        admins = _lock_admins(uow)
        operator = _operator_for_update(uow, username)
        before = snapshot(operator, OPERATOR_FIELDS)
        if operator.role == role.value:
            return operator
        if operator.id in admins and len(admins) == 1 and role is not Role.ADMIN:
            raise Conflict(
                "last_admin",
                f"{operator.username} is the only active administrator: make another "
                "operator an administrator first",
            )
        operator.role = role.value
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "operator.role",
            "operator",
            operator.username,
            before=before,
            after=snapshot(operator, OPERATOR_FIELDS),
        )
        uow.commit()
        return operator

    changed = ctx.transaction(work)
    forget_callers(ctx)
    return changed


def set_active(
    ctx: ServiceContext, actor: Actor, username: str, active: bool, reason: str = ""
) -> Operator:
    """Disable an operator (they cannot log in, and every session and bearer token they
    hold ends at once) or enable them again (they log in afresh).

    Nobody can disable themselves, nor the last active administrator.
    """
    actor.require(Permission.MANAGE_OPERATORS)
    reason = text_field(reason, "reason", max_length=500, required=False)

    def work(uow: UnitOfWork) -> Operator:
        admins = _lock_admins(uow)
        operator = _operator_for_update(uow, username)
        before = snapshot(operator, OPERATOR_FIELDS)
        if operator.active == active:
            return operator
        if not active:
            if actor.kind == "operator" and actor.id == operator.id:
                raise Conflict(
                    "cannot_disable_self",
                    "you cannot disable your own login: another administrator can",
                )
            if operator.id in admins and len(admins) == 1:
                raise Conflict(
                    "last_admin",
                    f"{operator.username} is the only active administrator: make another "
                    "operator an administrator first",
                )
        operator.active = active
        ended = 0
        if not active:
            ended = uow.session.execute(
                delete(ApiSession).where(ApiSession.operator_id == operator.id)
            ).rowcount
            uow.session.execute(
                delete(web_session_grants).where(web_session_grants.c.operator_id == operator.id)
            )
        uow.session.flush()
        after = {**snapshot(operator, OPERATOR_FIELDS), "reason": reason}
        if not active:
            after["sessions_ended"] = ended
        audit_trail.record(
            ctx,
            uow,
            actor,
            "operator.enable" if active else "operator.disable",
            "operator",
            operator.username,
            before=before,
            after=after,
        )
        uow.commit()
        return operator

    changed = ctx.transaction(work)
    forget_callers(ctx)
    return changed


def _lock_admins(uow: UnitOfWork) -> set[int]:
    """The active administrators' ids, their rows locked (always first, in id order, so two
    changes to administrators cannot deadlock or both remove 'the other' last one)."""
    query = (
        select(Operator.id)
        .where(Operator.role == Role.ADMIN.value, Operator.active.is_(True))
        .order_by(Operator.id)
        .with_for_update()
    )
    return set(uow.session.scalars(query))


def _operator_for_update(uow: UnitOfWork, username: str) -> Operator:
    query = select(Operator).where(Operator.username == username.strip()).with_for_update()
    operator = uow.session.scalars(query).one_or_none()
    if operator is None:
        raise NotFound("operator_not_found", f"operator {username} does not exist")
    return operator


@dataclass(frozen=True)
class PosClientView:
    """A point-of-sale client (its key is never kept, only its hash; never shown)."""

    id: int
    name: str
    agent_code: str
    enabled: bool
    created_at: datetime


def list_pos_clients(ctx: ServiceContext, actor: Actor) -> list[PosClientView]:
    """Every point-of-sale client with the vendor whose float it sells."""
    actor.require(Permission.MANAGE_AGENTS)

    def work(uow: UnitOfWork) -> list[PosClientView]:
        rows = uow.session.execute(
            select(
                PosClient.id, PosClient.name, Agent.code, PosClient.enabled, PosClient.created_at
            )
            .join(Agent, Agent.id == PosClient.agent_id)
            .order_by(PosClient.name)
        )
        return [PosClientView(*row) for row in rows]

    return ctx.transaction(work, read_only=True)


def set_pos_client_enabled(
    ctx: ServiceContext, actor: Actor, name: str, enabled: bool, reason: str = ""
) -> PosClientView:
    """Disable a POS client (its API key is refused from its next request) or enable it."""
    actor.require(Permission.MANAGE_AGENTS)
    reason = text_field(reason, "reason", max_length=500, required=False)

    def work(uow: UnitOfWork) -> PosClientView:
        client = uow.session.scalars(
            select(PosClient).where(PosClient.name == name.strip()).with_for_update()
        ).one_or_none()
        if client is None:
            raise NotFound("pos_client_not_found", f"POS client {name} does not exist")
        agent = uow.agents.by_id(client.agent_id)
        view = PosClientView(
            client.id, client.name, agent.code if agent else "", enabled, client.created_at
        )
        if client.enabled == enabled:
            return view
        client.enabled = enabled
        uow.session.flush()
        audit_trail.record(
            ctx,
            uow,
            actor,
            "pos_client.enable" if enabled else "pos_client.disable",
            "pos_client",
            client.name,
            before={"enabled": not enabled},
            after={"enabled": enabled, "reason": reason},
        )
        uow.commit()
        return view

    changed = ctx.transaction(work)
    forget_callers(ctx)
    return changed


def _operator_actor(operator: Operator) -> Actor:
    return Actor(kind="operator", name=operator.username, role=Role(operator.role), id=operator.id)
