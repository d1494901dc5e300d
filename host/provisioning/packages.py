"""micropython-lib packages for the image (umqtt), from the package registry, pinned and cached.

packages.lock.json pins each package: name, version, the registry's file name and its
SHA-256, and which files of the archive go where in the image. fetch() asks the
registry (PyPI's JSON API) where that file is, downloads it once into the cache, and
checks the hash every time it is read, so a cached or downloaded archive that differs
from the lock is refused, never used. With the cache filled, no network is needed.
"""

import hashlib
import io
import json
import os
import ssl
import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from host.provisioning.cache_dir import default_cache_dir, write_atomically
from host.provisioning.errors import ProvisioningError

LOCK_FILE = Path(__file__).with_name("packages.lock.json")
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PinnedPackage:
    """One row of packages.lock.json."""

    name: str
    version: str
    filename: str
    sha256: str
    license: str
    files: dict[str, str]  # archive member -> path in the image


def pinned(lock_file: Path = LOCK_FILE) -> tuple[str, list[PinnedPackage]]:
    """The registry index URL and the pinned packages."""
    data = json.loads(lock_file.read_text(encoding="utf-8"))
    index = os.environ.get("GRIDVEND_PYPI_INDEX", data["index"]).rstrip("/")
    rows = [
        PinnedPackage(
            p["name"], p["version"], p["filename"], p["sha256"], p["license"], dict(p["files"])
        )
        for p in data["packages"]
    ]
    return index, rows


def archive_path(package: PinnedPackage, cache_dir: Path) -> Path:
    """Where the package's archive is cached (named by its hash: one file per content)."""
    return cache_dir / "packages" / f"{package.sha256[:16]}-{package.filename}"


def cached_archive(package: PinnedPackage, cache_dir: Path) -> bytes | None:
    """The cached archive if it is there and matches the lock, else None."""
    path = archive_path(package, cache_dir)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == package.sha256 else None


def fetch_archive(package: PinnedPackage, index: str, cache_dir: Path) -> bytes:
    """The package's archive: from the cache, else from the registry (then cached)."""
    data = cached_archive(package, cache_dir)
    if data is not None:
        return data
    where = f"{index}/{package.name}/json"
    try:
        with httpx.Client(
            timeout=TIMEOUT_S, verify=ssl.create_default_context(), follow_redirects=True
        ) as client:
            project = client.get(where)
            project.raise_for_status()
            url = _file_url(project.json(), package)
            response = client.get(url)
            response.raise_for_status()
            data = response.content
    except (httpx.HTTPError, ValueError) as exc:
        raise ProvisioningError(
            "registry_unreachable",
            f"cannot fetch {package.name} {package.version} from {index} ({_reason(exc)}); "
            f"connect to the internet once to fill the cache at {cache_dir / 'packages'}",
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != package.sha256:
        raise ProvisioningError(
            "package_hash_mismatch",
            f"{package.filename} from {index} has SHA-256 {digest}, but packages.lock.json "
            f"pins {package.sha256}: refusing it",
        )
    write_atomically(archive_path(package, cache_dir), data)
    return data


def package_files(package: PinnedPackage, archive: bytes) -> dict[str, bytes]:
    """The files the lock names, read from the archive, keyed by their path in the image."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
        for member_name, image_path in package.files.items():
            try:
                member = tar.getmember(member_name)
            except KeyError:
                raise ProvisioningError(
                    "bad_package", f"{package.filename} has no {member_name}"
                ) from None
            if not member.isfile():
                raise ProvisioningError(
                    "bad_package", f"{package.filename}: {member_name} is not a regular file"
                )
            handle = tar.extractfile(member)
            assert handle is not None  # a regular file always has contents
            out[image_path] = handle.read()
    return out


def registry_sources(cache_dir: Path | None = None) -> dict[str, bytes]:
    """Every pinned package's files (Python source), keyed by path in the image."""
    cache_dir = cache_dir or default_cache_dir()
    index, packages = pinned()
    files: dict[str, bytes] = {}
    for package in packages:
        files.update(package_files(package, fetch_archive(package, index, cache_dir)))
    return files


def _file_url(project: dict, package: PinnedPackage) -> str:
    for entry in project.get("releases", {}).get(package.version, []):
        if entry.get("filename") == package.filename:
            return entry["url"]
    raise ValueError(f"the registry lists no file {package.filename} for {package.version}")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__
