"""What Mosquitto needs to let each handheld use its own topics and nothing else.

- the password file, in Mosquitto's own PBKDF2-SHA512 format ($7$: iterations, salt and
  hash in base64; what `mosquitto_passwd` writes): one line per device, its password
  derived from its secret (device_secrets.broker_password), plus the server's user;
- the ACL: the server user reads every uplink and writes every downlink; every other user is
  a handheld named by its device id, which may only publish gridvend/<id>/up and read
  gridvend/<id>/down;
- a configuration with two listeners: one for handhelds, where the client id is forced to
  the user name (no device can take over another's session), and a local one for servers;
  with TLS files (server/link/tls.py), the handhelds' listener speaks TLS.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from server.link import topics

SERVER_USER = "gridvend-server"
PBKDF2_ITERATIONS = 101  # mosquitto_passwd's own default for $7$
_SALT_BYTES = 12


def password_hash(
    password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS
) -> str:
    """A Mosquitto password file hash: $7$<iterations>$<salt b64>$<PBKDF2-SHA512 b64>."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_file(users: dict[str, str]) -> str:
    """The password file for {user: clear password}, sorted by user."""
    for user in users:
        if not user or ":" in user or any(ch.isspace() for ch in user):
            raise ValueError(f"user name {user!r} cannot go into a Mosquitto password file")
    return "".join(f"{user}:{password_hash(users[user])}\n" for user in sorted(users))


def acl_file(server_user: str = SERVER_USER) -> str:
    """The ACL: the server's user reads all uplinks and writes all downlinks; each handheld
    (user = device id) its own two topics only."""
    p = topics.PREFIX
    return (
        "# Written by `gridvend broker config`: the device link's access rules.\n"
        f"user {server_user}\n"
        f"topic read {p}/+/up\n"
        f"topic write {p}/+/down\n"
        "\n"
        "# Every other user is a handheld named by its device id.\n"
        f"pattern write {p}/%u/up\n"
        f"pattern read {p}/%u/down\n"
    )


@dataclass(frozen=True)
class TlsFiles:
    """The TLS listener's files: the CA certificate, the server certificate and its key
    (`gridvend broker certs` writes them: ca.pem, server.pem, server.key)."""

    cafile: Path
    certfile: Path
    keyfile: Path

    @classmethod
    def in_dir(cls, folder: Path) -> "TlsFiles":
        return cls(folder / "ca.pem", folder / "server.pem", folder / "server.key")


@dataclass(frozen=True)
class Listeners:
    """Where the broker listens: handhelds on one port, server processes on a local one.

    With `tls`, the handhelds' listener speaks TLS only (port 8883 by convention), and
    `plain_device_port` may keep a plain one beside it while handhelds move over; the
    server processes' listener stays plain on the loopback unless `server_tls` (then a
    server process elsewhere can reach it: bind it wider with `server_bind`)."""

    device_port: int = 1883
    device_bind: str = "0.0.0.0"
    server_port: int = 1884
    server_bind: str = "127.0.0.1"
    tls: TlsFiles | None = None
    server_tls: bool = False
    plain_device_port: int | None = None


def mosquitto_conf(
    password_path: Path, acl_path: Path, data_dir: Path, listeners: Listeners | None = None
) -> str:
    """A mosquitto.conf using the two files, with persistence (sessions and queued
    messages survive a broker restart)."""
    listeners = listeners or Listeners()
    if listeners.server_tls and listeners.tls is None:
        raise ValueError("a TLS listener for the server processes needs the TLS files")
    tls = _tls_lines(listeners.tls) if listeners.tls is not None else ""
    text = (
        "# Written by `gridvend broker config`.\n"
        "per_listener_settings false\n"
        "allow_anonymous false\n"
        f"password_file {password_path}\n"
        f"acl_file {acl_path}\n"
        "persistence true\n"
        f"persistence_location {data_dir}/\n"
        "autosave_interval 10\n"
        "max_queued_messages 5000\n"
        "set_tcp_nodelay true\n"  # answers go out at once, not after the next TCP ACK
        "\n"
        "# Handhelds: the client id is forced to the user name (the device id).\n"
        f"listener {listeners.device_port} {listeners.device_bind}\n"
        "use_username_as_clientid true\n"
        f"{tls}"
    )
    if listeners.plain_device_port is not None:
        text += (
            "\n# Handhelds without TLS yet (plain MQTT), the same rules.\n"
            f"listener {listeners.plain_device_port} {listeners.device_bind}\n"
            "use_username_as_clientid true\n"
        )
    text += (
        "\n# Server processes, each with its own client id.\n"
        f"listener {listeners.server_port} {listeners.server_bind}\n"
    )
    if listeners.server_tls:
        text += tls
    return text


def _tls_lines(files: TlsFiles) -> str:
    return (
        f"cafile {files.cafile.resolve()}\n"
        f"certfile {files.certfile.resolve()}\n"
        f"keyfile {files.keyfile.resolve()}\n"
    )
