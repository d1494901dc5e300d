"""Operators log in with argon2-checked passwords; POS clients use API keys."""

import pytest

from server.domain.errors import Forbidden, InvalidInput, Unauthenticated
from server.domain.roles import Role
from server.services import operators
from server.services.vending import VendRequest, vend
from tests.server import world


def test_log_in_gives_a_token_that_names_the_operator(ctx, admin):
    operators.create_operator(
        ctx, admin, username="ama", password="correct horse", role=Role.CASHIER
    )
    token, expires, actor = operators.log_in(ctx, "ama", "correct horse")
    assert actor.role is Role.CASHIER and expires > ctx.now()
    assert operators.actor_for_token(ctx, token).name == "ama"


def test_wrong_passwords_and_expired_tokens_are_refused(ctx, admin, clock):
    operators.create_operator(
        ctx, admin, username="ama", password="correct horse", role=Role.CASHIER
    )
    with pytest.raises(Unauthenticated, match="wrong username or password"):
        operators.log_in(ctx, "ama", "wrong horse!")
    with pytest.raises(Unauthenticated, match="wrong username or password"):
        operators.log_in(ctx, "nobody", "correct horse")
    token, _, _ = operators.log_in(ctx, "ama", "correct horse")
    clock.advance(hours=operators.SESSION_HOURS, seconds=1)
    with pytest.raises(Unauthenticated, match="expired"):
        operators.actor_for_token(ctx, token)


def test_passwords_are_stored_hashed_with_argon2(ctx, admin):
    operator = operators.create_operator(
        ctx, admin, username="ama", password="correct horse", role=Role.AUDITOR
    )
    assert operator.password_hash.startswith("$argon2") and "correct" not in operator.password_hash
    with pytest.raises(InvalidInput, match="at least 10"):
        operators.create_operator(ctx, admin, username="bo", password="short", role=Role.AUDITOR)


def test_a_pos_client_vends_from_its_own_vendors_float_only(ctx, admin):
    w = world.build(ctx, admin)
    key = operators.create_pos_client(ctx, admin, name="shop-1", agent_code="AG1")
    pos = operators.actor_for_api_key(ctx, key)
    receipt = vend(ctx, pos, VendRequest("p-1", w.meter, 500))
    assert receipt.agent_code == "AG1" and receipt.channel == "pos"
    with pytest.raises(Unauthenticated):
        operators.actor_for_api_key(ctx, key[:-1] + ("A" if key[-1] != "A" else "B"))
    from server.services import agents

    with pytest.raises(Forbidden):
        agents.topup(ctx, pos, "AG1", 100)


def test_cashiers_and_auditors_are_held_to_their_roles(ctx, admin):
    w = world.build(ctx, admin)
    operators.create_operator(ctx, admin, username="aud", password="0123456789", role=Role.AUDITOR)
    _, _, auditor = operators.log_in(ctx, "aud", "0123456789")
    with pytest.raises(Forbidden):
        vend(ctx, auditor, VendRequest("a-1", w.meter, 500, agent_code="AG1"))
