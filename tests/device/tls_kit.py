"""TLS for the device's link tests: a throwaway CA and server certificate, a Mosquitto with
a TLS listener, and an HTTPS server answering the link's POSTs.

The certificates are made here with the `cryptography` package (a dependency of the
server, whose own CA tool is server/link/tls.py); nothing is kept after the test. Tests
never use a broker already running on the machine.
"""

from __future__ import annotations

import datetime
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certs:
    """Files of one throwaway CA and a server certificate it signed."""

    ca_der: Path  # what the handheld gets as /ca.der
    ca_pem: Path
    cert_pem: Path  # the server's, for "localhost"
    key_pem: Path


def make_certs(folder: Path, names: tuple[str, ...] = ("localhost",)) -> Certs:
    """A new CA and a server certificate for names (DNS names) and 127.0.0.1, in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"test CA {folder.name}")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    certs = Certs(
        folder / "ca.der", folder / "ca.pem", folder / "server.pem", folder / "server.key"
    )
    certs.ca_der.write_bytes(ca.public_bytes(serialization.Encoding.DER))
    certs.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certs.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certs.key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        try:
            sock.connect(("127.0.0.1", port))
            return True
        except OSError:
            return False


def find_mosquitto() -> str | None:
    """The broker binary: $GRIDVEND_MOSQUITTO, PATH, or Debian's /usr/sbin."""
    for candidate in (
        os.environ.get("GRIDVEND_MOSQUITTO"),
        shutil.which("mosquitto"),
        "/usr/sbin/mosquitto",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class TlsMosquitto:
    """A Mosquitto of the test's own with one TLS listener on 127.0.0.1 (any client id and
    login accepted: what is tested here is the TLS, not the broker's ACL)."""

    def __init__(self, certs: Certs, binary: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gridvend-tls-mqtt-"))
        self.port = free_port()
        conf = (
            "per_listener_settings false\n"
            "allow_anonymous true\n"
            "persistence false\n"
            f"listener {self.port} 127.0.0.1\n"
            f"cafile {certs.ca_pem}\n"
            f"certfile {certs.cert_pem}\n"
            f"keyfile {certs.key_pem}\n"
            f"log_dest file {self.root}/log\n"
        )
        if os.geteuid() == 0:  # the broker would switch to the 'mosquitto' user otherwise
            conf += "user root\n"
        (self.root / "mosquitto.conf").write_text(conf)
        self.process = subprocess.Popen(
            [binary, "-c", str(self.root / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not _accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"mosquitto did not start: {self.log()[-2000:]}")
            time.sleep(0.05)

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class HttpsLink:
    """An HTTPS server on 127.0.0.1 answering every POST with {"messages": [the body
    parsed as JSON]}: the link's answer shape, echoing the envelope sent."""

    def __init__(self, certs: Certs) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert_pem, certs.key_pem)
        self.posts: list[tuple[str, bytes]] = []
        posts = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                posts.append((self.path, body))
                answer = json.dumps({"messages": [json.loads(body)]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
