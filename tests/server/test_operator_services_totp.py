"""The TOTP second factor: secrets sealed by the security module, clear secrets from before
migration 0005 sealed on first use, and the second factor on the API's login (both
databases)."""

import itertools
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text, update

from server.api.app import create_app
from server.bootstrap import open_context
from server.domain.errors import Unauthenticated, Unavailable
from server.domain.money import Currency
from server.domain.roles import Role
from server.services import operators, second_factor, totp
from server.services.installation import initialise
from server.storage.database import make_engine, make_session_factory
from server.storage.migrate import upgrade
from server.storage.schema import web_totp
from server.storage.unit_of_work import UnitOfWork
from server.web.settings import WebSettings

PASSWORD = "a long password"
_names = itertools.count(1)


def _enrol(ctx, actor, clock) -> str:
    enrolment = second_factor.begin(ctx, actor)
    second_factor.confirm(ctx, actor, totp.code_at(enrolment.secret, clock.now.timestamp()))
    clock.advance(seconds=30)  # the code used to confirm is spent
    return enrolment.secret


def _row(ctx, operator_id: int):
    with ctx.unit_of_work(read_only=True) as uow:
        return (
            uow.session.connection()
            .execute(select(web_totp).where(web_totp.c.operator_id == operator_id))
            .one()
        )


@pytest.fixture
def sam(ctx, admin):
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    return operators.authenticate(ctx, "sam", PASSWORD)


def test_a_new_secret_is_stored_sealed_never_in_clear(ctx, sam, clock):
    secret = _enrol(ctx, sam, clock)
    row = _row(ctx, sam.id)
    assert row.secret is None and row.sealed_secret is not None
    assert secret.encode() not in bytes(row.sealed_secret)
    opened = ctx.security.open_secret("totp secrets", f"operator:{sam.id}", row.sealed_secret)
    assert opened == secret.encode()
    assert second_factor.verify(ctx, sam.id, totp.code_at(secret, clock.now.timestamp()))


def test_a_sealed_secret_moved_to_another_operators_row_does_not_open(ctx, admin, sam, clock):
    _enrol(ctx, sam, clock)
    operators.create_operator(ctx, admin, username="eve", password=PASSWORD, role=Role.CASHIER)
    eve = operators.authenticate(ctx, "eve", PASSWORD)
    eve_secret = _enrol(ctx, eve, clock)
    with ctx.unit_of_work() as uow:
        connection = uow.session.connection()
        connection.execute(
            update(web_totp)
            .where(web_totp.c.operator_id == eve.id)
            .values(sealed_secret=_row(ctx, sam.id).sealed_secret)
        )
        uow.commit()
    with pytest.raises(Unavailable, match="cannot be opened"):
        second_factor.verify(ctx, eve.id, totp.code_at(eve_secret, clock.now.timestamp()))


def test_a_clear_secret_from_before_keeps_working_and_is_sealed_on_first_use(ctx, sam, clock):
    secret = totp.new_secret()
    with ctx.unit_of_work() as uow:  # as a row written before migration 0005 looks
        uow.session.connection().execute(
            insert(web_totp).values(
                operator_id=sam.id, secret=secret, confirmed=True, created_at=clock.now
            )
        )
        uow.commit()
    assert second_factor.status(ctx, sam.id) == second_factor.ENROLLED
    assert not second_factor.verify(ctx, sam.id, "000000")  # even a wrong code seals it
    row = _row(ctx, sam.id)
    assert row.secret is None and row.sealed_secret is not None
    assert second_factor.verify(ctx, sam.id, totp.code_at(secret, clock.now.timestamp()))
    clock.advance(seconds=30)
    assert second_factor.verify(ctx, sam.id, totp.code_at(secret, clock.now.timestamp()))


def test_a_pending_clear_secret_is_sealed_when_shown_again(ctx, sam, clock):
    secret = totp.new_secret()
    with ctx.unit_of_work() as uow:
        uow.session.connection().execute(
            insert(web_totp).values(
                operator_id=sam.id, secret=secret, confirmed=False, created_at=clock.now
            )
        )
        uow.commit()
    assert second_factor.pending_enrolment(ctx, sam).secret == secret
    assert _row(ctx, sam.id).secret is None
    second_factor.confirm(ctx, sam, totp.code_at(secret, clock.now.timestamp()))
    assert second_factor.status(ctx, sam.id) == second_factor.ENROLLED


@pytest.fixture(params=["sqlite", "postgresql"])
def url_at_0004(request, tmp_path: Path):
    """An empty database brought up to migration 0004 only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        server = request.getfixturevalue("postgres")
        name = f"gv_old_{next(_names)}"
        server.execute(f"CREATE DATABASE {name}")
        url = server.url(name)
    upgrade(url, "0004")
    yield url
    if request.param == "postgresql":
        server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_clear_secrets_written_before_0005_survive_the_migration_and_get_sealed(
    url_at_0004, clock, master_key
):
    secret = totp.new_secret()
    engine = make_engine(url_at_0004)
    with engine.begin() as connection:  # rows as the code before 0005 wrote them
        connection.execute(
            text(
                "INSERT INTO operators (id, username, full_name, password_hash, role, active, "
                "created_at) VALUES (7, 'sam', '', 'x', 'cashier', true, :now)"
            ),
            {"now": clock.now},
        )
        connection.execute(
            text(
                "INSERT INTO web_totp (operator_id, secret, confirmed, created_at) "
                "VALUES (7, :secret, true, :now)"
            ),
            {"secret": secret, "now": clock.now},
        )
    with UnitOfWork(make_session_factory(engine), {}) as uow:
        initialise(uow, Currency.of("USD"))
        uow.commit()
    engine.dispose()
    upgrade(url_at_0004)  # to 0005 and beyond
    ctx = open_context(url_at_0004, master_key=master_key, clock=clock)
    try:
        assert _row(ctx, 7).secret == secret  # still clear, until used or sealed
        assert second_factor.seal_clear_secrets(ctx) == 1
        row = _row(ctx, 7)
        assert row.secret is None and row.sealed_secret is not None
        assert second_factor.verify(ctx, 7, totp.code_at(secret, clock.now.timestamp()))
        assert second_factor.seal_clear_secrets(ctx) == 0
    finally:
        ctx.dispose()


# ---- The second factor on POST /api/v1/auth/token ----


@pytest.fixture
def api(ctx, admin):
    operators.create_operator(ctx, admin, username="boss", password=PASSWORD, role=Role.ADMIN)
    operators.create_operator(ctx, admin, username="sam", password=PASSWORD, role=Role.CASHIER)
    app = create_app(ctx)
    app.state.web_settings = WebSettings()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _token(api, username, *, code: str | None = None, password: str = PASSWORD):
    data = {"username": username, "password": password}
    if code is not None:
        data["totp"] = code
    return api.post("/api/v1/auth/token", data=data)


def test_an_operator_with_totp_needs_the_code_on_the_api_too(api, ctx, clock):
    sam = operators.authenticate(ctx, "sam", PASSWORD)
    secret = _enrol(ctx, sam, clock)
    missing = _token(api, "sam")
    assert missing.status_code == 401
    assert missing.json()["code"] == "totp_required"
    assert "TOTP" in missing.json()["message"] and "'totp'" in missing.json()["message"]
    wrong = _token(api, "sam", code="000000")
    assert wrong.status_code == 401 and wrong.json()["code"] == "wrong_totp_code"
    code = totp.code_at(secret, clock.now.timestamp())
    right = _token(api, "sam", code=code)
    assert right.status_code == 200, right.text
    headers = {"Authorization": f"Bearer {right.json()['access_token']}"}
    assert api.get("/api/v1/meters", headers=headers).status_code == 200
    replayed = _token(api, "sam", code=code)
    assert replayed.status_code == 401 and replayed.json()["code"] == "wrong_totp_code"
    # The service itself refuses the password alone, whoever calls it.
    with pytest.raises(Unauthenticated, match="TOTP"):
        operators.log_in(ctx, "sam", PASSWORD)


def test_wrong_codes_on_the_api_are_throttled_like_the_page(api, ctx, clock):
    sam = operators.authenticate(ctx, "sam", PASSWORD)
    secret = _enrol(ctx, sam, clock)
    for _ in range(5):
        assert _token(api, "sam", code="000000").status_code == 401
    blocked = _token(api, "sam", code=totp.code_at(secret, clock.now.timestamp()))
    assert blocked.status_code == 429 and blocked.json()["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0


def test_wrong_passwords_on_the_api_are_throttled(api):
    for _ in range(5):
        assert _token(api, "sam", password="wrong password").status_code == 401
    blocked = _token(api, "sam")
    assert blocked.status_code == 429 and "passwords" in blocked.json()["message"]
    assert _token(api, "boss").status_code == 200  # another operator is not locked out


def test_when_required_an_administrator_without_totp_gets_no_api_token(api, ctx, clock):
    api.app.state.web_settings = WebSettings(admin_totp_required=True)
    refused = _token(api, "boss")
    assert refused.status_code == 401 and refused.json()["code"] == "totp_enrolment_required"
    assert "set up" in refused.json()["message"]
    assert _token(api, "sam").status_code == 200  # other roles are not held to it
    boss = operators.authenticate(ctx, "boss", PASSWORD)
    secret = _enrol(ctx, boss, clock)
    assert _token(api, "boss").json()["code"] == "totp_required"
    assert _token(api, "boss", code=totp.code_at(secret, clock.now.timestamp())).status_code == 200


def test_a_disabled_operator_gets_no_api_token(api, ctx, admin):
    operators.set_active(ctx, admin, "sam", False)
    refused = _token(api, "sam")
    assert refused.status_code == 401 and refused.json()["code"] == "operator_disabled"
    wrong = _token(api, "sam", password="not the password")
    assert wrong.json()["code"] == "bad_credentials"  # no hint without the password
