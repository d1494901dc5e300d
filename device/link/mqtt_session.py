"""One MQTT session over micropython-lib's umqtt.simple: protocol only, no policy.

umqtt.simple speaks MQTT and raises when anything goes wrong; reconnecting is the link
manager's business (as umqtt.robust puts policy in a subclass). What this adds:
- every socket it opens has a timeout, including after check_msg() (umqtt.simple makes
  the socket blocking forever there; a dead GPRS link would then hang the handheld until
  the watchdog bites): sockets come from _Sockets, whose setblocking(True) is a timeout;
- publish_nowait(): a QoS 1 PUBLISH that does not wait for its PUBACK, so several batches
  can be on the way over a slow link; their PUBACKs are read by receive();
- the server's address is given as an IP (the manager looks DNS up once), so umqtt's own
  getaddrinfo on every connect costs nothing;
- a persistent session (clean_session=False) and QoS 1 both ways: answers the server sends
  while the handheld is away wait at the broker.
"""

import struct

_PUBACK = 0x40


class _TimedSocket:
    """A socket whose blocking mode always has a timeout; counts bytes it receives."""

    def __init__(self, sock, timeout_s):
        self._sock = sock
        self._timeout = timeout_s
        self.received = 0
        sock.settimeout(timeout_s)

    def connect(self, addr):
        self._sock.connect(addr)

    def setblocking(self, flag):
        self._sock.settimeout(self._timeout if flag else 0)

    def read(self, n):
        data = self._sock.read(n)
        if data:
            self.received += len(data)
        return data

    def write(self, buf, n=None):
        if n is None:
            return self._sock.write(buf)
        return self._sock.write(buf, n)

    def close(self):
        self._sock.close()


class _Sockets:
    """What umqtt.simple calls its `socket` module: sockets with our timeout."""

    def __init__(self, timeout_s):
        self.timeout_s = timeout_s

    def socket(self, *args):
        import socket  # here, not at the top: only a device with a network has it

        return _TimedSocket(socket.socket(*args), self.timeout_s)

    def getaddrinfo(self, host, port, *args):
        import socket

        return socket.getaddrinfo(host, port, *args)


class MqttSession:
    """A device's MQTT session: uplinks on <prefix>/<id>/up, downlinks from .../down."""

    name = "mqtt"

    def __init__(self, device, user, password, address, prefix, keepalive_s=60, timeout_s=8):
        self.device = device
        self.user = user
        self.password = password
        self.address = address  # (ip, port): DNS was looked up by the manager
        self.up_topic = (prefix + "/" + device + "/up").encode()
        self.down_topic = (prefix + "/" + device + "/down").encode()
        self.keepalive_s = keepalive_s
        self.timeout_s = timeout_s
        self.client = None
        self.inbox = []
        self.unacked = {}  # packet id -> ticks sent, for publish_nowait

    def open(self):
        """Connect and subscribe (blocking, bounded by the socket timeout); OSError on failure."""
        from umqtt import simple

        simple.socket = _Sockets(self.timeout_s)
        client = simple.MQTTClient(
            self.device,
            self.address[0],
            port=self.address[1],
            user=self.user,
            password=self.password,
            keepalive=self.keepalive_s,
        )
        client.set_callback(self._arrived)
        self.client = client
        self.unacked = {}
        try:
            client.connect(clean_session=False)
            client.subscribe(self.down_topic, qos=1)
        except (OSError, AssertionError, IndexError, simple.MQTTException) as exc:
            self.close()
            raise OSError("mqtt: " + repr(exc)) from None

    def _arrived(self, topic, message):
        self.inbox.append(message)

    def publish_nowait(self, wire, pid):
        """PUBLISH wire at QoS 1 with packet id pid (1-65535); the PUBACK comes later."""
        topic = self.up_topic
        size = 2 + len(topic) + 2 + len(wire)
        head = bytearray(5)
        head[0] = 0x32  # PUBLISH, QoS 1
        i = 1
        while size > 0x7F:
            head[i] = (size & 0x7F) | 0x80
            size >>= 7
            i += 1
        head[i] = size
        # One write for the whole packet: in pieces, Nagle's algorithm would hold the later
        # ones back until the first is acknowledged (tens of ms on every message).
        packet = bytes(head[: i + 1]) + struct.pack("!H", len(topic)) + topic
        self.client.sock.write(packet + struct.pack("!H", pid) + wire)

    def receive(self):
        """Every downlink that has arrived (non-blocking), and the PUBACKs read on the way.

        Returns (messages, acked packet ids); OSError when the session broke."""
        client = self.client
        acked = []
        try:
            while True:
                before = len(self.inbox)
                op = client.check_msg()
                if op == _PUBACK:  # ours, from publish_nowait: length byte, then packet id
                    rest = client.sock.read(3)
                    acked.append(rest[1] << 8 | rest[2])
                    continue
                if op is None and len(self.inbox) == before:
                    break
        except (OSError, AssertionError, IndexError, TypeError) as exc:
            raise OSError("mqtt: " + repr(exc)) from None
        messages = self.inbox
        self.inbox = []
        return messages, acked

    def ping(self):
        """Keep the session alive (the PINGRESP is read by receive())."""
        self.client.ping()

    def bytes_received(self):
        return self.client.sock.received if self.client is not None else 0

    def close(self):
        if self.client is not None and self.client.sock is not None:
            try:  # noqa: SIM105 - MicroPython has no contextlib
                self.client.sock.close()
            except OSError:
                pass  # already broken: nothing to close
        self.client = None
