"""The pages' own tables (sessions, TOTP secrets, waiting uploads) on SQLite and PostgreSQL."""

import threading
from datetime import timedelta

import pytest

from server.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from server.domain.roles import Role
from server.services import operators, second_factor, totp
from server.services.context import Actor
from server.web import import_preview
from server.web.auth import sessions


@pytest.fixture
def operator(ctx, admin) -> Actor:
    operators.create_operator(
        ctx, admin, username="sam", password="supervisor-password", role=Role.SUPERVISOR
    )
    _, _, actor = operators.log_in(ctx, "sam", "supervisor-password")
    return actor


def test_a_session_grant_holds_its_stage_until_it_expires_or_ends(ctx, operator, clock):
    expires = clock.now + timedelta(hours=12)
    sessions.open_grant(ctx, "token-1", operator.id, sessions.FULL, expires)
    assert sessions.grant_of(ctx, "token-1").stage == sessions.FULL
    assert sessions.grant_of(ctx, "token-2") is None
    clock.advance(hours=13)
    assert sessions.grant_of(ctx, "token-1") is None  # expired
    clock.advance(hours=-13)
    sessions.close_grant(ctx, "token-1")
    assert sessions.grant_of(ctx, "token-1") is None


def test_a_half_done_login_holds_no_bearer_token_and_expires_soon(ctx, operator, clock):
    token, expires = sessions.start(ctx, operator, sessions.PASSWORD_ONLY)
    assert sessions.grant_of(ctx, token).stage == sessions.PASSWORD_ONLY
    assert expires == clock.now + timedelta(minutes=sessions.PENDING_MINUTES)
    with pytest.raises(Unauthenticated):
        operators.actor_for_token(ctx, token)  # the API does not take it
    full, _ = sessions.start(ctx, operator, sessions.FULL)
    assert operators.actor_for_token(ctx, full).id == operator.id
    clock.advance(minutes=sessions.PENDING_MINUTES, seconds=1)
    assert sessions.grant_of(ctx, token) is None and sessions.grant_of(ctx, full) is not None


def test_enrolling_then_each_code_opens_one_login_only(ctx, operator, clock):
    enrolment = second_factor.begin(ctx, operator)
    assert second_factor.status(ctx, operator.id) == second_factor.PENDING
    right = totp.code_at(enrolment.secret, clock.now.timestamp())
    with pytest.raises(InvalidInput):
        second_factor.confirm(ctx, operator, str((int(right) + 1) % 10**6).zfill(6))
    second_factor.confirm(ctx, operator, right)
    assert second_factor.status(ctx, operator.id) == second_factor.ENROLLED
    with pytest.raises(Conflict):
        second_factor.begin(ctx, operator)
    clock.advance(seconds=30)
    code = totp.code_at(enrolment.secret, clock.now.timestamp())
    assert second_factor.verify(ctx, operator.id, code)
    assert not second_factor.verify(ctx, operator.id, code)


def test_two_logins_racing_with_one_code_cannot_both_pass(ctx, operator, clock):
    enrolment = second_factor.begin(ctx, operator)
    second_factor.confirm(ctx, operator, totp.code_at(enrolment.secret, clock.now.timestamp()))
    clock.advance(seconds=30)
    code = totp.code_at(enrolment.secret, clock.now.timestamp())
    results: list[bool] = []
    start = threading.Barrier(4)

    def attempt() -> None:
        start.wait()
        results.append(second_factor.verify(ctx, operator.id, code))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_removing_the_second_step_is_audited(ctx, operator, admin, clock):
    enrolment = second_factor.begin(ctx, operator)
    second_factor.confirm(ctx, operator, totp.code_at(enrolment.secret, clock.now.timestamp()))
    second_factor.remove(ctx, admin, operator.id, operator.name)
    assert second_factor.status(ctx, operator.id) == second_factor.NONE
    assert operator.id not in second_factor.enrolled_operator_ids(ctx)


def test_a_waiting_upload_is_taken_once_by_its_owner_within_the_hour(ctx, operator, clock):
    import_preview._keep_upload(ctx, operator, "tok", "meters", "m.csv", b"meter,sgc,tariff\n")
    stranger = Actor(kind="operator", name="other", role=Role.ADMIN, id=operator.id + 100)
    with pytest.raises(NotFound):
        import_preview._take_upload(ctx, stranger, "tok")
    assert import_preview._take_upload(ctx, operator, "tok") == (
        "meters",
        "m.csv",
        b"meter,sgc,tariff\n",
    )
    with pytest.raises(NotFound):
        import_preview._take_upload(ctx, operator, "tok")
    import_preview._keep_upload(ctx, operator, "old", "meters", "m.csv", b"x")
    clock.advance(hours=2)
    with pytest.raises(NotFound, match="older than an hour"):
        import_preview._take_upload(ctx, operator, "old")
