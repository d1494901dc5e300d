"""Registration against a real server (the API in-process, on a SQLite database): the device
gets a secret and broker login; the image built from that record carries credentials the
server accepts for a sale, and a device the server does not know is refused."""

import json
import secrets
import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from host.provisioning.contents import image_files
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import build_image, read_image
from host.provisioning.partitions import stock_vfs
from host.provisioning.registration import ApiRegistrar, DatabaseRegistrar, open_registrar
from server.api.app import create_app
from server.bootstrap import open_context
from server.domain.roles import Role
from server.link.device_secrets import broker_password
from server.link.envelope import Envelope
from server.services import operators
from server.services.context import Actor
from tests.server import world
from tests.server.conftest import sqlite_template  # noqa: F401 - a fixture, found by name

SERVER = "http://testserver"
BROKER = "mqtt://broker.example.org"
PASSWORD = "correct horse battery"


@pytest.fixture
def master_key(monkeypatch) -> bytes:
    key = secrets.token_bytes(32)
    monkeypatch.setenv("GRIDVEND_MASTER_KEY", key.hex())
    monkeypatch.delenv("GRIDVEND_MASTER_KEY_FILE", raising=False)
    return key


@pytest.fixture
def server(sqlite_template, tmp_path: Path, master_key):  # noqa: F811 - the fixture above
    """A migrated database with the test world (vendor AG1 with float, meters), operators
    tech1 (supervisor) and till1 (cashier), and the API app on it."""
    path = tmp_path / "gridvend.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    ctx = open_context(url, master_key=master_key)
    admin = Actor(kind="cli", name="test-admin", role=Role.ADMIN)
    built = world.build(ctx, admin)
    for username, role in (("tech1", Role.SUPERVISOR), ("till1", Role.CASHIER)):
        operators.create_operator(ctx, admin, username=username, password=PASSWORD, role=role)
    with TestClient(create_app(ctx)) as client:
        yield url, built, client
    ctx.dispose()


def registrar(client, user: str = "tech1") -> ApiRegistrar:
    return ApiRegistrar.log_in(SERVER, user, PASSWORD, BROKER, client=client)


def test_registration_issues_a_secret_and_the_broker_login_derived_from_it(server):
    _url, built, client = server
    record = registrar(client).register(built.agent, "HH-0001", "50.00")
    assert record.device_id == "HH-0001"
    assert record.agent_code == "AG1" and record.agent_name == "Village vendor"
    secret = bytes.fromhex(record.secret_hex)
    assert len(secret) == 32
    assert record.broker_user == "HH-0001"
    assert record.broker_password == broker_password(secret)
    assert (record.currency, record.minor_digits) == ("USD", 2)
    assert (record.server_url, record.broker_url) == (SERVER, BROKER)


def test_the_images_credentials_sell_and_an_unregistered_device_is_refused(server, firmware):
    _url, built, client = server
    record = registrar(client).register(built.agent, "HH-0001")
    files = build_device_files(record, ImageSettings(vendor_pin="2468"))
    image = build_image(image_files(firmware, files.as_files()), stock_vfs("4MB"))
    link = json.loads(read_image(image)["link.json"])  # what the handheld will read
    secret = bytes.fromhex(link["secret"])
    sale = {"id": "HH-0001-000001", "meter": built.meter, "amount": 1000, "time": 1_763_700_000}
    wire = Envelope(link["device_id"], 1, 1_763_700_000, "sale", sale).sign(secret).to_wire()
    response = client.post("/api/v1/link", content=wire)
    assert response.status_code == 200, response.text
    (answer,) = response.json()["messages"]
    envelope = Envelope(
        answer["d"], answer["n"], answer["t"], answer["y"], answer["b"], answer["m"]
    )
    assert envelope.verify(secret) and envelope.kind == "result"
    (result,) = envelope.body["results"]
    assert result["id"] == "HH-0001-000001"
    (token,) = result["answer"]["tokens"]
    assert len(token) == 20 and token.isdigit()  # a 20-digit STS credit token

    stranger = Envelope("HH-9999", 1, 1_763_700_000, "sale", {**sale, "id": "HH-9999-000001"})
    response = client.post("/api/v1/link", content=stranger.sign(secrets.token_bytes(32)).to_wire())
    assert response.status_code == 401
    assert response.json()["messages"][0]["b"]["code"] == "unknown_device"

    forged = Envelope("HH-0001", 2, 1_763_700_000, "sale", {**sale, "id": "HH-0001-000002"})
    response = client.post("/api/v1/link", content=forged.sign(secrets.token_bytes(32)).to_wire())
    assert response.status_code == 401


def test_registering_a_name_twice_says_already_registered(server):
    _url, built, client = server
    registrar(client).register(built.agent, "HH-0001")
    with pytest.raises(ProvisioningError) as err:
        registrar(client).register(built.agent, "HH-0001")
    assert err.value.kind == "already_registered"
    assert "HH-0001 is already registered" in str(err.value)


def test_an_unknown_vendor_is_named(server):
    _url, _built, client = server
    with pytest.raises(ProvisioningError) as err:
        registrar(client).register("NOBODY", "HH-0001")
    assert err.value.kind == "agent_not_found"
    assert "vendor NOBODY does not exist" in str(err.value)


def test_a_wrong_password_or_a_cashier_is_not_allowed(server):
    _url, built, client = server
    with pytest.raises(ProvisioningError) as err:
        ApiRegistrar.log_in(SERVER, "tech1", "wrong password!", client=client)
    assert err.value.kind == "not_allowed"
    with pytest.raises(ProvisioningError) as err:
        registrar(client, "till1").register(built.agent, "HH-0001")
    assert err.value.kind == "not_allowed"
    assert "admin or supervisor" in str(err.value)


def test_a_server_that_is_not_there_is_unreachable():
    with pytest.raises(ProvisioningError) as err:
        ApiRegistrar("http://127.0.0.1:9", "token").register("AG1", "HH-0001")
    assert err.value.kind == "server_unreachable"
    assert "cannot reach the server at http://127.0.0.1:9" in str(err.value)


def test_a_bad_device_id_is_refused_before_asking_the_server():
    def no_server(*args, **kwargs):
        raise AssertionError("the server was asked")

    client = httpx.Client(transport=httpx.MockTransport(no_server))
    with pytest.raises(ProvisioningError) as err:
        ApiRegistrar(SERVER, "token", client=client).register("AG1", "HH 0001!")
    assert err.value.kind == "bad_device_id"


def test_on_the_server_machine_the_database_is_used_directly(server):
    url, built, _client = server
    record = DatabaseRegistrar(url, SERVER, BROKER).register(built.agent, "HH-0002", "10")
    assert record.device_id == "HH-0002"
    assert record.broker_password == broker_password(bytes.fromhex(record.secret_hex))
    with pytest.raises(ProvisioningError) as err:
        DatabaseRegistrar(url).register(built.agent, "HH-0002")
    assert err.value.kind == "already_registered"


def test_without_the_master_key_nothing_is_registered(server, monkeypatch):
    url, built, _client = server
    monkeypatch.delenv("GRIDVEND_MASTER_KEY")
    with pytest.raises(ProvisioningError) as err:
        DatabaseRegistrar(url).register(built.agent, "HH-0003")
    assert err.value.kind == "no_master_key"


def test_the_command_line_must_say_where_to_register():
    with pytest.raises(ProvisioningError) as err:
        open_registrar(None, None)
    assert err.value.kind == "no_server"
    with pytest.raises(ProvisioningError) as err:
        open_registrar(SERVER, None)
    assert err.value.kind == "not_allowed" and "--user" in str(err.value)


def test_an_operator_with_a_second_factor_logs_in_with_its_code(server, master_key):
    import time

    from server.services import second_factor, totp

    url, built, client = server
    ctx = open_context(url, master_key=master_key)
    try:
        actor = operators.authenticate(ctx, "tech1", PASSWORD)
        secret = second_factor.begin(ctx, actor).secret
        second_factor.confirm(ctx, actor, totp.code_at(secret, time.time() - 30))
    finally:
        ctx.dispose()

    with pytest.raises(ProvisioningError) as err:  # no code: told how to give one
        ApiRegistrar.log_in(SERVER, "tech1", PASSWORD, BROKER, client=client)
    assert err.value.kind == "not_allowed" and "--totp" in str(err.value)
    with pytest.raises(ProvisioningError) as err:
        ApiRegistrar.log_in(SERVER, "tech1", PASSWORD, BROKER, client=client, totp="000000")
    assert "TOTP code for user tech1 is wrong" in str(err.value)

    asked: list[str] = []

    def ask(user: str) -> str:
        asked.append(user)
        return totp.code_at(secret, time.time())

    registrar = ApiRegistrar.log_in(SERVER, "tech1", PASSWORD, BROKER, client=client, ask_totp=ask)
    assert asked == ["tech1"]
    assert registrar.register(built.agent, "HH-0009").device_id == "HH-0009"
