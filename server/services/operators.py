"""Operators (people), their logins, and point-of-sale clients (machines with API keys)."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from server.domain.roles import Permission, Role
from server.services import audit_trail
from server.services.agents import agent_by_code
from server.services.context import Actor, ServiceContext
from server.services.text_fields import text_field
from server.storage.schema import ApiSession, Operator, PosClient
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


def log_in(ctx: ServiceContext, username: str, password: str) -> tuple[str, datetime, Actor]:
    """Check a password; a bearer token valid for SESSION_HOURS, its expiry, and the actor."""
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
    if operator is None or not operator.active:
        raise refused
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    expires = now + timedelta(hours=SESSION_HOURS)

    def store(uow: UnitOfWork) -> None:
        uow.operators.drop_expired_sessions(now)
        uow.operators.add_session(
            ApiSession(
                token_hash=_digest(token),
                operator_id=operator.id,
                created_at=now,
                expires_at=expires,
            )
        )
        uow.commit()

    ctx.transaction(store)
    return token, expires, _operator_actor(operator)


def actor_for_token(ctx: ServiceContext, token: str) -> Actor:
    """The operator a bearer token belongs to, if it is valid and unexpired."""
    if not token or len(token) > 256:
        raise Unauthenticated("bad_token", "invalid or expired token: log in again")
    digest = _digest(token)
    remembered = ctx.recent.get(("bearer", digest))
    if isinstance(remembered, tuple) and remembered[1] > ctx.now():
        return remembered[0]

    def work(uow: UnitOfWork) -> tuple[Actor, datetime]:
        found = uow.operators.session_by_hash(digest)
        if found is None or found.expires_at <= ctx.now():
            raise Unauthenticated("bad_token", "invalid or expired token: log in again")
        operator = uow.operators.by_id(found.operator_id)
        if operator is None or not operator.active:
            raise Unauthenticated("bad_token", "this operator is disabled")
        return _operator_actor(operator), found.expires_at

    actor, expires = ctx.transaction(work, read_only=True)
    # Checked tokens are trusted for ctx.recent.ttl seconds (never past their expiry).
    ctx.recent.put(("bearer", digest), (actor, expires))
    return actor


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
    """A caller checked in the last ctx.recent.ttl seconds, found without any I/O."""
    if token:
        found = ctx.recent.get(("bearer", _digest(token)))
        if isinstance(found, tuple) and found[1] > ctx.now():
            return found[0]
        return None
    prefix, _, rest = api_key.partition("_")
    client_id, _, secret = rest.partition("_")
    found = ctx.recent.get(("api-key", _digest(secret))) if secret else None
    if isinstance(found, Actor) and client_id.isdigit() and found.id == int(client_id):
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
    # A POS client sends a key with every sale: a checked key is trusted for up to
    # ctx.recent.ttl seconds, so disabling a client takes that long to bite.
    remembered = ctx.recent.get(("api-key", digest))
    if isinstance(remembered, Actor) and remembered.id == int(client_id):
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
    ctx.recent.put(("api-key", digest), actor)
    return actor


def list_operators(ctx: ServiceContext, actor: Actor) -> list[Operator]:
    """Every operator (password hashes stay inside: views must not show them)."""
    actor.require(Permission.MANAGE_OPERATORS)
    return ctx.transaction(lambda uow: uow.operators.all(), read_only=True)


def operator_by_name(uow: UnitOfWork, username: str) -> Operator:
    operator = uow.operators.by_username(username)
    if operator is None:
        raise NotFound("operator_not_found", f"operator {username} does not exist")
    return operator


def _operator_actor(operator: Operator) -> Actor:
    return Actor(kind="operator", name=operator.username, role=Role(operator.role), id=operator.id)
