"""umqtt comes from the package registry, pinned by hash, cached, and works offline from the
cache; a tampered archive or an unreachable registry is refused with a clear sentence."""

import hashlib
import json
import tarfile
from pathlib import Path

import httpx
import pytest

from host.provisioning import packages
from host.provisioning.errors import ProvisioningError

ROOT = Path(__file__).resolve().parents[2]


def no_network(*args, **kwargs):
    raise httpx.ConnectError("network is unreachable (test)")


def test_every_pinned_package_is_micropython_lib_under_mit_with_a_sha256():
    index, pinned = packages.pinned()
    assert index == "https://pypi.org/pypi"
    assert {p.name for p in pinned} == {"micropython-umqtt.simple", "micropython-umqtt.robust"}
    for package in pinned:
        assert package.license == "MIT"
        assert len(package.sha256) == 64 and int(package.sha256, 16) >= 0
        assert package.filename.endswith(".tar.gz")
        assert all(path.startswith("lib/umqtt/") for path in package.files.values())


def test_the_cached_archives_are_the_pinned_ones_by_the_micropython_developers(cache_dir):
    _index, pinned = packages.pinned()
    for package in pinned:
        data = packages.cached_archive(package, cache_dir)
        assert data is not None and hashlib.sha256(data).hexdigest() == package.sha256
        with tarfile.open(packages.archive_path(package, cache_dir)) as tar:
            info = next(m for m in tar.getmembers() if m.name.endswith("/PKG-INFO"))
            text = tar.extractfile(info).read().decode()
        assert "Author: MicroPython Developers" in text and "License: MIT" in text


def test_with_a_filled_cache_no_network_is_needed(cache_dir, monkeypatch):
    monkeypatch.setattr(httpx.Client, "get", no_network)
    files = packages.registry_sources(cache_dir)
    assert set(files) == {"lib/umqtt/simple.py", "lib/umqtt/robust.py"}


def test_an_empty_cache_and_no_registry_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(httpx.Client, "get", no_network)
    with pytest.raises(ProvisioningError) as err:
        packages.registry_sources(tmp_path / "empty-cache")
    assert err.value.kind == "registry_unreachable"
    assert "micropython-umqtt.simple 1.3.4" in str(err.value)
    assert str(tmp_path / "empty-cache" / "packages") in str(err.value)


def test_a_tampered_cached_archive_is_not_used(cache_dir, monkeypatch):
    _index, pinned = packages.pinned()
    path = packages.archive_path(pinned[0], cache_dir)
    path.write_bytes(path.read_bytes() + b"tampered")
    assert packages.cached_archive(pinned[0], cache_dir) is None
    monkeypatch.setattr(httpx.Client, "get", no_network)
    with pytest.raises(ProvisioningError) as err:
        packages.registry_sources(cache_dir)  # it would have to fetch it again
    assert err.value.kind == "registry_unreachable"


def test_a_download_that_differs_from_the_lock_is_refused(tmp_path, monkeypatch):
    _index, pinned = packages.pinned()
    package = pinned[0]

    def fake_get(self, url):
        request = httpx.Request("GET", url)
        if url.endswith("/json"):
            files = [{"filename": package.filename, "url": "https://files.example/x.tar.gz"}]
            body = json.dumps({"releases": {package.version: files}}).encode()
            return httpx.Response(200, content=body, request=request)
        return httpx.Response(200, content=b"not the archive", request=request)

    monkeypatch.setattr(httpx.Client, "get", fake_get)
    with pytest.raises(ProvisioningError) as err:
        packages.fetch_archive(package, "https://pypi.example", tmp_path)
    assert err.value.kind == "package_hash_mismatch"
    assert not packages.archive_path(package, tmp_path).exists()  # nothing cached


def test_no_micropython_lib_source_is_in_the_repository():
    names = {p.name for p in ROOT.rglob("*.py") if ".venv" not in p.parts}
    assert "simple.py" not in names and "robust.py" not in names
