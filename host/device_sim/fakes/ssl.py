"""MicroPython's `ssl` for device modules: SSLContext over the fake sockets, real TLS.

MicroPython (1.23+, mbedTLS) and CPython share the API the link uses:
SSLContext(PROTOCOL_TLS_CLIENT), verify_mode = CERT_REQUIRED,
load_verify_locations(cadata=<DER bytes>) and wrap_socket(sock, server_hostname=...).
CPython's wrap_socket takes only its own sockets, so this one wraps the real socket
inside a fake one (host/device_sim/fakes/socket.py) and hands back that fake socket,
now speaking TLS: the handshake, the certificate chain and the host name are CPython's
own checks, as they are mbedTLS's on the device. A failed handshake raises OSError
(CPython's ssl.SSLError is one), as on the device.
"""

import ssl as _ssl

PROTOCOL_TLS_CLIENT = _ssl.PROTOCOL_TLS_CLIENT
CERT_REQUIRED = _ssl.CERT_REQUIRED
CERT_NONE = _ssl.CERT_NONE


class SSLContext(_ssl.SSLContext):
    """CPython's SSLContext; wrap_socket() takes a fake socket and returns it wrapped."""

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    server_hostname=None):  # fmt: skip
        sock._sock = super().wrap_socket(
            sock._sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            server_hostname=server_hostname,
        )
        return sock
