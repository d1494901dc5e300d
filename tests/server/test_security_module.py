"""The security module: keys sealed at rest, never shown, and a wrong master key refused."""

import secrets

import pytest

from server.bootstrap import open_context
from server.domain.errors import InvalidInput, Unavailable
from server.security import MasterKeyError, load_master_key, write_new_master_key
from server.security.sealing import SealError, seal, unseal
from server.security.software_module import SoftwareSecurityModule
from server.services import supply_groups
from server.storage.schema import VendingKey
from tests.server import world


def test_sealed_secrets_open_only_with_the_same_key_and_label():
    key = secrets.token_bytes(32)
    blob = seal(key, b"secret", "label-a")
    assert unseal(key, blob, "label-a") == b"secret"
    with pytest.raises(SealError):
        unseal(key, blob, "label-b")
    with pytest.raises(SealError):
        unseal(secrets.token_bytes(32), blob, "label-a")
    with pytest.raises(SealError):
        unseal(key, blob[:-1] + bytes([blob[-1] ^ 1]), "label-a")


def test_the_stored_vending_key_is_not_the_key(ctx, admin):
    world.build(ctx, admin)
    with ctx.unit_of_work() as uow:
        sealed = uow.session.query(VendingKey).one().sealed
    assert world.VENDING_KEY not in sealed and world.VENDING_KEY.hex().encode() not in sealed


def test_the_module_never_shows_a_key():
    module = SoftwareSecurityModule(b"k" * 32)
    assert "k" * 8 not in repr(module)
    with pytest.raises(InvalidInput) as refused:
        module.seal_vending_key(world.VENDING_KEY + b"\x01", sgc=1, krn=1, dkga=2)
    assert world.VENDING_KEY.hex() not in refused.value.message


def test_a_database_refuses_a_different_master_key(db_url, master_key, clock):
    first = open_context(db_url, master_key=master_key, clock=clock)
    first.dispose()
    with pytest.raises(Unavailable, match="does not match"):
        open_context(db_url, master_key=secrets.token_bytes(32), clock=clock)


def test_without_a_master_key_the_server_refuses_to_start(db_url, monkeypatch):
    monkeypatch.delenv("GRIDVEND_MASTER_KEY", raising=False)
    monkeypatch.delenv("GRIDVEND_MASTER_KEY_FILE", raising=False)
    with pytest.raises(MasterKeyError, match="no master key"):
        open_context(db_url, need_keys=True)


def test_master_key_files_are_made_private_and_read_back(tmp_path):
    path = tmp_path / "master.key"
    write_new_master_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(load_master_key({"GRIDVEND_MASTER_KEY_FILE": str(path)})) == 32
    with pytest.raises(MasterKeyError, match="64 hex digits"):
        load_master_key({"GRIDVEND_MASTER_KEY": "abcd"})


def test_a_vend_for_a_key_revision_never_imported_says_what_to_do(ctx, admin):
    from server.services import meters
    from server.services.vending import VendRequest, vend

    world.build(ctx, admin)
    meters.add_meter(ctx, admin, number=world.pan(7), sgc=world.SGC, tariff="flat", krn=3)
    with pytest.raises(Unavailable, match="import it with `gridvend keys import`"):
        vend(ctx, admin, VendRequest("r", world.pan(7), 500, agent_code="AG1"))


def test_the_same_key_revision_cannot_be_imported_twice(ctx, admin):
    world.build(ctx, admin)
    with pytest.raises(Exception, match="already has a vending key"):
        supply_groups.import_vending_key(
            ctx, admin, sgc=world.SGC, krn=1, vending_key=world.VENDING_KEY_2
        )


def test_secrets_of_other_kinds_open_only_for_their_purpose_and_label():
    master = secrets.token_bytes(32)
    module = SoftwareSecurityModule(master)
    blob = module.seal_secret("totp secrets", "operator:1", b"JBSWY3DPEHPK3PXP")
    assert b"JBSWY3DPEHPK3PXP" not in blob
    assert module.open_secret("totp secrets", "operator:1", blob) == b"JBSWY3DPEHPK3PXP"
    assert SoftwareSecurityModule(master).open_secret("totp secrets", "operator:1", blob)
    with pytest.raises(SealError):
        module.open_secret("device secrets", "operator:1", blob)
    with pytest.raises(SealError):
        module.open_secret("totp secrets", "operator:2", blob)
    with pytest.raises(SealError):
        SoftwareSecurityModule(secrets.token_bytes(32)).open_secret(
            "totp secrets", "operator:1", blob
        )
    with pytest.raises(SealError):  # never the master key itself: a vending key's seal differs
        unseal(master, blob, "operator:1")
    with pytest.raises(ValueError, match="purpose"):
        module.seal_secret("Totp/../x", "operator:1", b"x")


def test_device_secrets_sealed_before_the_seam_still_open():
    # Device secrets were sealed under HMAC(master, "gridvend device secrets v1") before the
    # module had seal_secret; the "device secrets" purpose must derive that same key.
    from server.link.device_secrets import DeviceSecrets

    master = secrets.token_bytes(32)
    old = DeviceSecrets(master).seal(7, b"s" * 32)
    module = SoftwareSecurityModule(master)
    assert module.open_secret("device secrets", "gridvend-device-secret:id=7", old) == b"s" * 32
