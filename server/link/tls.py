"""TLS for the link: a small certificate authority of the installation's own, the broker's
(and HTTPS server's) certificate, and the CA certificate the handhelds check it with.

`gridvend broker certs --out DIR --host NAME...` writes
    ca.pem, ca.der   the CA certificate (PEM for Mosquitto and paho, DER for the handheld)
    ca.key           the CA's private key (0600; only if the CA was made here)
    server.pem       the server certificate (for Mosquitto's TLS listener and `gridvend serve`)
    server.key       its private key (0600)
The handheld gets ca.der in its image (/ca.der) and checks the broker's certificate with it:
it trusts this CA only, not the public ones (it has no store of those).

`GRIDVEND_TLS_CA_FILE` names the CA certificate (PEM or DER) on the server: registration
and secret issue then hand it to provisioning, which puts it in the device's image.
"""

import datetime
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ENV_CA_FILE = "GRIDVEND_TLS_CA_FILE"
CA_DAYS = 3650
SERVER_DAYS = 825  # what browsers and most TLS stacks still accept for a server certificate
RSA_BITS = 2048  # RSA: every TLS stack a handheld may run (mbedTLS) verifies it
LOCAL_NAMES = ("localhost", "127.0.0.1")  # so server processes on the machine can check it


class TlsError(ValueError):
    """A certificate or key that cannot be read or used."""


@dataclass(frozen=True)
class CertFiles:
    """Where `write_certs` put the files."""

    ca_pem: Path
    ca_der: Path
    ca_key: Path | None
    server_pem: Path
    server_key: Path


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def make_ca(name: str = "gridvend link CA", days: int = CA_DAYS) -> tuple[bytes, bytes]:
    """A new self-signed CA: (certificate PEM, private key PEM)."""
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def make_server_cert(
    ca_cert_pem: bytes, ca_key_pem: bytes, hosts: Sequence[str], days: int = SERVER_DAYS
) -> tuple[bytes, bytes]:
    """A server certificate for `hosts` (DNS names or IP addresses), signed by the CA:
    (certificate PEM, private key PEM)."""
    names = _unique([*hosts, *LOCAL_NAMES])
    if not names:
        raise TlsError("a server certificate needs at least one host name")
    ca_cert = load_certificate(ca_cert_pem)
    ca_key = _load_key(ca_key_pem)
    key = _new_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + datetime.timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def write_certs(
    out_dir: Path,
    hosts: Sequence[str],
    *,
    ca_cert: Path | None = None,
    ca_key: Path | None = None,
    days: int = SERVER_DAYS,
) -> CertFiles:
    """Write the CA (made now, or the one given) and a server certificate for `hosts`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if (ca_cert is None) != (ca_key is None):
        raise TlsError("give both the CA certificate and its key, or neither")
    key_path: Path | None = None
    if ca_cert is not None and ca_key is not None:
        ca_pem = to_pem(_read(ca_cert))
        ca_key_pem = _read(ca_key)
        _load_key(ca_key_pem)
    else:
        ca_pem, ca_key_pem = make_ca()
        key_path = out_dir / "ca.key"
        _write_private(key_path, ca_key_pem)
    server_pem, server_key_pem = make_server_cert(ca_pem, ca_key_pem, hosts, days)
    (out_dir / "ca.pem").write_bytes(ca_pem)
    (out_dir / "ca.der").write_bytes(to_der(ca_pem))
    (out_dir / "server.pem").write_bytes(server_pem)
    _write_private(out_dir / "server.key", server_key_pem)
    return CertFiles(
        out_dir / "ca.pem",
        out_dir / "ca.der",
        key_path,
        out_dir / "server.pem",
        out_dir / "server.key",
    )


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes; TlsError when it is neither."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise TlsError(f"not a certificate (PEM or DER): {exc}") from None


def to_der(data: bytes) -> bytes:
    """A certificate (PEM or DER) as DER, what the handheld's TLS takes."""
    return load_certificate(data).public_bytes(serialization.Encoding.DER)


def to_pem(data: bytes) -> bytes:
    """A certificate (PEM or DER) as PEM, what Mosquitto and paho take."""
    return load_certificate(data).public_bytes(serialization.Encoding.PEM)


def ca_der_from_file(path: Path) -> bytes:
    """The CA certificate in a file (PEM or DER), as DER."""
    return to_der(_read(path))


def ca_from_environment(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The installation's CA certificate as DER, when $GRIDVEND_TLS_CA_FILE names one."""
    environ = os.environ if environ is None else environ
    path = environ.get(ENV_CA_FILE)
    return ca_der_from_file(Path(path)) if path else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TlsError(f"{path}: {exc.strerror}") from None


def _load_key(pem: bytes) -> CertificateIssuerPrivateKeyTypes:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise TlsError(f"not an unencrypted PEM private key: {exc}") from None
    return key  # type: ignore[return-value]


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _unique(names: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        name = name.strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)
