"""MicroPython's `socket` (and `usocket`) for device code on CPython, over real sockets.

So the firmware's link (and micropython-lib's umqtt.simple, which does `import usocket`)
can talk to a real Mosquitto and a real server from a test. Kept as on the ESP32 port:
- sockets are streams: read(n) blocks until n bytes or the end (b"" at the end), and in
  non-blocking mode returns None when nothing is there; write(buf, n) sends all of
  buf[:n]; readinto, readline, recv, send, sendall, setblocking, settimeout;
- settimeout(0) is non-blocking, settimeout(None) blocking; setblocking(True) drops any
  timeout (as settimeout(None)); a timeout raises OSError(ETIMEDOUT), never CPython's
  TimeoutError-only subclass surprises;
- getaddrinfo(host, port) returns [(family, type, proto, canonname, (ip, port))].

`network` is the air between the handheld and the world: set `network.down = True` and
every socket fails (OSError ECONNRESET, as when the GPRS link drops), new connections are
refused; `network.blocked_ports` makes connections to those ports time out (a firewall
that drops MQTT). `network.lookups` counts DNS lookups.
"""

import contextlib
import errno
import socket as _socket
import ssl as _ssl

AF_INET = _socket.AF_INET
SOCK_STREAM = _socket.SOCK_STREAM
SOL_SOCKET = _socket.SOL_SOCKET
SO_REUSEADDR = _socket.SO_REUSEADDR
IPPROTO_TCP = _socket.IPPROTO_TCP


class Network:
    """Fault injection shared by every fake socket."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.down = False
        self.blocked_ports: set[int] = set()
        self.lookups = 0
        self.connects = 0
        self._open: list[socket] = []

    def cut(self) -> None:
        """The link drops: every open socket breaks, new ones fail until `down` is cleared."""
        self.down = True
        for sock in list(self._open):
            sock._break()


network = Network()


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    """[(family, type, proto, canonname, sockaddr)]; OSError when the name does not resolve."""
    network.lookups += 1
    if network.down:
        raise OSError(-202)  # what lwIP's getaddrinfo gives without a link
    try:
        found = _socket.getaddrinfo(host, port, _socket.AF_INET, _socket.SOCK_STREAM)
    except _socket.gaierror:
        raise OSError(-202) from None
    family, kind, proto_, canon, addr = found[0]
    return [(family, kind, proto_, canon, (addr[0], addr[1]))]


class socket:
    """A TCP socket with MicroPython's stream methods."""

    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        self._sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self._timeout = None  # None blocking, 0 non-blocking, else seconds
        self._broken = False
        self._closed = False

    # ---- setup ----

    def connect(self, addr):
        if network.down:
            raise OSError(errno.EHOSTUNREACH, "EHOSTUNREACH")
        if addr[1] in network.blocked_ports:
            raise OSError(errno.ETIMEDOUT, "ETIMEDOUT")
        network.connects += 1
        self._sock.settimeout(self._timeout if self._timeout else None)
        try:
            self._sock.connect(addr)
        except TimeoutError:
            raise OSError(errno.ETIMEDOUT, "ETIMEDOUT") from None
        except OSError as exc:
            raise OSError(exc.errno or errno.ECONNREFUSED, str(exc)) from None
        network._open.append(self)
        self._apply_timeout()

    def settimeout(self, value):
        self._timeout = value
        self._apply_timeout()

    def setblocking(self, flag):
        self.settimeout(None if flag else 0)

    def setsockopt(self, level, option, value):
        self._sock.setsockopt(level, option, value)

    def _apply_timeout(self):
        self._sock.settimeout(0.0 if self._timeout == 0 else self._timeout)

    # ---- streams ----

    def read(self, size=-1):
        """Up to size bytes: all of them unless the end comes first (blocking), or what is
        there (non-blocking: None when nothing is)."""
        self._check()
        if size is None or size < 0:
            size = 1 << 30
        chunks = bytearray()
        while len(chunks) < size:
            try:
                got = self._sock.recv(min(size - len(chunks), 65536))
            except (BlockingIOError, _ssl.SSLWantReadError):  # nothing there (TLS: yet)
                return bytes(chunks) if chunks else None
            except TimeoutError:
                raise OSError(errno.ETIMEDOUT, "ETIMEDOUT") from None
            except OSError as exc:
                raise self._failure(exc) from None
            if not got:
                break
            chunks += got
            if self._timeout == 0:
                continue
        return bytes(chunks)

    def readinto(self, buf, nbytes=None):
        n = len(buf) if nbytes is None else min(nbytes, len(buf))
        data = self.read(n)
        if data is None:
            return None
        buf[: len(data)] = data
        return len(data)

    def readline(self):
        line = bytearray()
        while not line.endswith(b"\n"):
            got = self.read(1)
            if not got:
                break
            line += got
        return bytes(line)

    def recv(self, size):
        self._check()
        try:
            return self._sock.recv(size)
        except BlockingIOError:
            raise OSError(errno.EAGAIN, "EAGAIN") from None
        except TimeoutError:
            raise OSError(errno.ETIMEDOUT, "ETIMEDOUT") from None
        except OSError as exc:
            raise self._failure(exc) from None

    def write(self, buf, size=None):
        """Send buf (or its first size bytes) completely; returns the count. A str goes out
        as its UTF-8 bytes (MicroPython's str has the buffer protocol; umqtt relies on it)."""
        self._check()
        if isinstance(buf, str):
            buf = buf.encode()
        data = bytes(buf if size is None else memoryview(buf)[:size])
        blocking = self._timeout
        try:
            if blocking == 0:
                self._sock.settimeout(5.0)  # a non-blocking write of a small packet completes
            self._sock.sendall(data)
        except TimeoutError:
            raise OSError(errno.ETIMEDOUT, "ETIMEDOUT") from None
        except OSError as exc:
            raise self._failure(exc) from None
        finally:
            self._apply_timeout()
        return len(data)

    send = write
    sendall = write

    def close(self):
        self._closed = True
        if self in network._open:
            network._open.remove(self)
        self._sock.close()

    # ---- faults ----

    def _break(self):
        self._broken = True
        with contextlib.suppress(OSError):  # already closed by the other end
            self._sock.shutdown(_socket.SHUT_RDWR)

    def _check(self):
        if self._broken or network.down:
            raise OSError(errno.ECONNRESET, "ECONNRESET")
        if self._closed:
            raise OSError(errno.EBADF, "EBADF")

    def _failure(self, exc):
        if self._broken or network.down:
            return OSError(errno.ECONNRESET, "ECONNRESET")
        return OSError(exc.errno or errno.EIO, str(exc))
