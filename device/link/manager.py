"""The link manager: the one place on the handheld that owns the connection to the server.

It is the link object the sale service talks to (submit, acknowledge, online: see
link/__init__.py) and one asyncio task, run(), that keeps a session open (Session, at
the end of this file: MQTT or HTTP, with or without TLS):

    bearer up (Wi-Fi or PPP) -> session (MQTT, or HTTP when MQTT is not configured or keeps
    failing) -> hello -> send acks, new sales, then the journal's queued sales in batches,
    in order, a few batches in flight -> answers journaled as they come -> ...

Being offline is normal: every failure ends the session, the task waits (backoff 1 s
doubling to 60 s, with jitter) and starts again. Nothing here blocks the vend flow, and
the flow never retries: the journal is the queue, so after a reboot or a reconnect the
sales still waiting for an answer are simply sent again (the server answers a sale id it
knows with the same answer). The server's address is looked up once.
"""

import asyncio
import gc
import json
import time

from journal import records as R
from micropython import const

from link.allowance import OfflineAllowance
from link.envelope import EnvelopeError, open_downlink, seal

# Public: tests shorten these (on the device, const() puts the values in the code).
BATCH = const(10)  # sales per batch message (a result for 10 fits the heap well)
ANSWER_MS = const(30000)  # a sale unanswered this long is sent again
BACKOFF_MIN_MS = const(1000)
BACKOFF_MAX_MS = const(60000)
KEEPALIVE_S = const(60)
PUBACK_MS = const(15000)  # an uplink the broker has not acknowledged by then: link dead
HTTP_FOR_MS = const(600000)  # after MQTT failed _MQTT_FAILS times: HTTP for ten minutes
POLL_WAIT_S = const(20)  # HTTP long-poll
_WINDOW = const(6)  # batches on the way at once (a slow link is used while answers travel)
_HELLO_EVERY_MS = const(300000)  # status (and config back) every five minutes
_MQTT_FAILS = const(3)  # failed MQTT sessions in a row before trying HTTP
_HEALTHY_MS = const(120000)  # the task is stuck when it has not run for this long
_ACKS = const(20)  # acknowledgements per message
# Seconds from the Unix epoch to the device's: the ESP32 counts from 2000.
EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0


class LinkManager:
    """The real link. mqtt: {"host", "port", "user", "password", "prefix", "tls"} or None;
    http: {"host", "port", "path", "tls"} or None ("tls": an ssl.SSLContext, or absent);
    bearer: link/bearer.py; state: LinkState."""

    def __init__(self, device, secret, journal, state, bearer, mqtt=None, http=None):
        self.device = device
        self.secret = secret
        self.journal = journal
        self.state = state
        self.bearer = bearer
        self.mqtt = mqtt
        self.http = http
        self.listener = None  # the sale service (vend/sales.py) sets itself here
        self.allowance = OfflineAllowance(state)
        self.firmware = ""
        self.status = None  # a function returning {"battery", "paper"}, from main.py
        self.on_config = None  # called with a config body (main.py applies settings)
        self.problem = None  # the last error code the server sent, or "tls": status screen
        self.heartbeat = time.ticks_ms()
        self.sent = 0
        self.sent_kinds = {}  # message type -> how many sent (status, tests, benchmarks)
        self._online = False
        self._urgent = []  # sale dicts to send at once (new sales, "send again")
        self._acks = []  # sale ids to acknowledge
        self._inflight = {}  # seq -> ticks_ms when sent
        self._unacked = {}  # MQTT packet id -> ticks_ms when published
        self._pid = 0
        self._down_hi = 0
        self._lookup = None
        self._report = False  # send the offline report (after a lowered ceiling)
        self._addresses = {}  # host -> ip: DNS looked up once
        self._mqtt_fails = 0
        self._http_since = None
        self._poll_error = None

    # ---- the link interface (vend/sales.py and main.py call these) ----

    def submit(self, sale):
        """A journaled sale to send (again): now if online, else when the link returns."""
        seq = self.listener.seq_of(sale["id"]) if self.listener else None
        if seq is None:
            return
        if sale.get("off"):
            self.allowance.taken(seq, sale["amount"])
        if self._online and len(self._urgent) < 8:  # offline: the sync sends it in a batch
            self._urgent.append(sale)

    def acknowledge(self, sale_id):
        """Tell the server the sale is complete on the handheld (sent with the next batch)."""
        if sale_id not in self._acks and len(self._acks) < 100:
            self._acks.append(sale_id)

    def online(self):
        """Whether a session with the server is up."""
        return self._online

    # main.py polls every link each tick; answers here come from the link's own task, so
    # there is nothing to do (an alias costs no function object).
    poll = online

    def offline_room(self):
        """What may still be sold offline, in minor units (link/allowance.py)."""
        return self.allowance.room()

    def lookup(self, meter):
        """Ask for the customer behind a meter (answer: listener.on_customer)."""
        if self._online:
            self._lookup = meter

    def healthy(self):
        """False when the link task has not run for a long time (main.py then stops feeding
        the watchdog, and the device restarts)."""
        return time.ticks_diff(time.ticks_ms(), self.heartbeat) < _HEALTHY_MS

    # ---- the task ----

    async def run(self):
        """Keep a session to the server open, forever."""
        self.heartbeat = time.ticks_ms()
        self.allowance.rebuild(self.journal)
        backoff = BACKOFF_MIN_MS
        while True:
            self.heartbeat = time.ticks_ms()
            session = None
            try:
                await self.bearer.up()
                self.heartbeat = now = time.ticks_ms()
                since = self._http_since
                if since is not None and time.ticks_diff(now, since) > HTTP_FOR_MS:
                    self._http_since = None
                    self._mqtt_fails = 0
                use = self.mqtt
                if use is None or (self.http is not None and self._mqtt_fails >= _MQTT_FAILS):
                    use = self.http
                if use is None:
                    raise OSError("no server")
                host = use["host"]
                ip = self._addresses.get(host)
                if ip is None:
                    import socket

                    ip = socket.getaddrinfo(host, use["port"])[0][-1][0]
                    self._addresses[host] = ip
                session = Session(self.device, use, (ip, use["port"]), KEEPALIVE_S)
                await self._serve(session)
            except OSError as exc:
                if str(exc)[:4] == "tls:":
                    self.problem = "tls"  # the server's certificate: wrong CA or name
                if session is not None and session.name == "mqtt":
                    self._mqtt_fails += 1
                    if self._mqtt_fails >= _MQTT_FAILS and self.http is not None:
                        self._http_since = time.ticks_ms()
                    if self._mqtt_fails % 5 == 0:
                        self._addresses = {}  # the name may point elsewhere now
                if not self.bearer.is_up():
                    self.bearer.down()
            except Exception as exc:  # a bug here must not stop the sales: log, go on
                import sys

                sys.print_exception(exc)
                self.problem = "link_bug"
            finally:  # also when the task is cancelled
                self._online = False
                if session is not None and session.name == "mqtt":
                    session.close()
            wait = backoff + time.ticks_ms() % (backoff // 2 + 1)
            backoff = min(backoff * 2, BACKOFF_MAX_MS)
            while wait > 0:  # in steps, so the heartbeat goes on
                await asyncio.sleep_ms(min(wait, 1000))
                wait -= 1000
                self.heartbeat = time.ticks_ms()

    # ---- one session ----

    async def _serve(self, session):
        mqtt = session.name == "mqtt"
        if mqtt:
            session.open()
            self._unacked = {}
        self._online = True
        self._inflight = {}
        self._poll_error = None
        if self.listener is not None:
            self.listener.unacknowledged_done()  # acks lost with the last session, again
        poller = None
        now = time.ticks_ms()
        last_rx = last_ping = last_acks = now
        last_hello = None  # the hello goes first
        seen = 0
        try:
            while True:
                self.heartbeat = now
                if last_hello is None or time.ticks_diff(now, last_hello) > _HELLO_EVERY_MS:
                    status = self.status() if self.status is not None else {}
                    hello = {
                        "fw": self.firmware,
                        "bat": status.get("battery"),
                        "paper": status.get("paper"),
                        "queue": len(self.journal.open_sales()),
                        "heap": gc.mem_free(),
                        "sig": self.bearer.signal(),
                        "tr": session.name,
                        "off": self.allowance.report(),
                    }
                    await self._send(session, "hello", hello)
                    if last_hello is None:
                        if mqtt:
                            self._mqtt_fails = 0
                            self._http_since = None
                        else:
                            poller = asyncio.create_task(self._poll(session))
                    last_hello = now
                if not self.bearer.is_up():
                    raise OSError("net down")
                if mqtt:
                    messages, acked = session.receive()
                    for pid in acked:
                        self._unacked.pop(pid, None)
                    for message in messages:
                        self._downlink(message)
                elif self._poll_error is not None:
                    raise self._poll_error
                busy = await self._work(session)
                now = time.ticks_ms()
                if not busy and time.ticks_diff(now, last_acks) > ANSWER_MS:
                    # Acknowledgements whose confirmation never came: send them again.
                    if self.listener is not None:
                        self.listener.unacknowledged_done()
                    last_acks = now
                if mqtt:
                    if session.received != seen:
                        seen, last_rx = session.received, now
                    if time.ticks_diff(now, last_ping) > KEEPALIVE_S * 500:
                        session.client.ping()  # its PINGRESP is read by receive()
                        last_ping = now
                    if time.ticks_diff(now, last_rx) > KEEPALIVE_S * 1500:
                        raise OSError("mqtt quiet")  # the broker went silent
                    for sent in self._unacked.values():
                        if time.ticks_diff(now, sent) > PUBACK_MS:
                            raise OSError("no PUBACK")
                # 10 ms while answers are due; else up to 50 ms, cut short by a new sale.
                if busy or self._inflight or self._unacked:
                    await asyncio.sleep_ms(10)
                else:
                    for _ in range(5):
                        if self._urgent:
                            break
                        await asyncio.sleep_ms(10)
                now = time.ticks_ms()
        finally:
            if poller is not None:
                poller.cancel()

    async def _poll(self, session):
        """HTTP only: wait for downlinks the server has for us (config changes...)."""
        try:
            while True:
                body = {"after": self._down_hi, "wait": POLL_WAIT_S}
                wire = seal(self.secret, self.device, self.state.next_seq(),
                            time.time() + EPOCH, "poll", body)  # fmt: skip
                for message in await session.post(wire, POLL_WAIT_S):
                    self._downlink(message)
        except OSError as exc:
            self._poll_error = exc

    async def _work(self, session):
        """Send what is waiting, most urgent first; True if anything went.

        First new sales, one by one; then the journal's unanswered sales, oldest first,
        BATCH at a time with _WINDOW batches in flight; then acknowledgements, which wait
        for a full message or for the sales to be sent first."""
        busy = False
        now = time.ticks_ms()
        journal = self.journal
        inflight = self._inflight
        urgent = self._urgent
        self._urgent = []
        for sale in urgent:
            seq = self.listener.seq_of(sale["id"])
            if journal.state(seq) == R.PENDING and seq not in inflight:
                inflight[seq] = now
                await self._send(session, "sale", _wire(sale))
                busy = True
        urgent = None
        if self._lookup is not None:
            meter, self._lookup = self._lookup, None
            await self._send(session, "lookup", {"meter": meter})
        for seq in list(inflight):
            if journal.state(seq) != R.PENDING or time.ticks_diff(now, inflight[seq]) > ANSWER_MS:
                del inflight[seq]
        batch = []
        if _WINDOW * BATCH - len(inflight) >= BATCH:
            for seq in journal.awaiting_answer():
                if seq not in inflight:
                    sale = journal.sale(seq)
                    sale["id"] = self.listener.sale_id(seq)
                    batch.append(_wire(sale))
                    inflight[seq] = now
                    if len(batch) == BATCH:
                        break
            sale = None
        syncing = bool(batch)
        if len(batch) == 1:
            await self._send(session, "sale", batch[0])
        elif batch:
            await self._send(session, "batch", {"sales": batch})
        batch = None
        if syncing:
            gc.collect()
        acks = self._acks
        if self._report or len(acks) >= _ACKS or (acks and not syncing):
            self._acks = acks[_ACKS:]
            self._report = False
            await self._send(session, "ack", {"ids": acks[:_ACKS], "off": self.allowance.report()})
            busy = True
        return syncing or busy

    async def _send(self, session, kind, body):
        wire = seal(
            self.secret, self.device, self.state.next_seq(), time.time() + EPOCH, kind, body
        )
        self.sent += 1
        self.sent_kinds[kind] = self.sent_kinds.get(kind, 0) + 1
        if session.name == "mqtt":
            self._pid = self._pid % 65535 + 1
            self._unacked[self._pid] = time.ticks_ms()
            session.publish(wire, self._pid)
            return
        for message in await session.post(wire):
            self._downlink(message)

    # ---- what the server sends ----

    def _downlink(self, data):
        try:
            env, signed = open_downlink(data, self.secret, self.device)
        except EnvelopeError as exc:
            if exc.code == "bad_mac":
                self.problem = "bad_mac"
            return
        body = env["b"]
        if not signed:  # only an error can be unsigned: show it, change nothing
            self.problem = body.get("code")
            return
        n = env["n"]
        if n > self._down_hi:
            self._down_hi = n
        kind = env["y"]
        off = body.get("off")
        if off is not None:  # the snapshot first: it must never be older than an answer
            lowered = off[0] < self.state.snapshot[1]
            if self.state.take_snapshot(n, off[0], off[1]) and lowered:
                self._report = True  # the server may give the surplus back once it knows
        listener = self.listener
        if kind == "result":
            self.problem = None
            for item in body.get("results", ()):
                sale_id = item.get("id")
                seq = listener.seq_of(sale_id) if listener is not None and sale_id else None
                if seq is None:
                    continue
                was_pending = self.journal.state(seq) == R.PENDING
                if "answer" in item:
                    listener.on_answer(sale_id, item["answer"])
                else:
                    listener.on_refused(sale_id, item.get("refused") or item.get("code") or "?")
                self._inflight.pop(seq, None)
                if was_pending and self.journal.state(seq) != R.PENDING and item.get("off"):
                    self.allowance.settled(item.get("amount", 0))
        elif kind == "ack":
            for sale_id in body.get("ids", ()):
                if listener is not None:
                    listener.on_acknowledged(sale_id)
        elif kind == "lookup":
            on_customer = getattr(listener, "on_customer", None)
            if on_customer is not None and body.get("name"):
                on_customer(body["meter"], body["name"])
        elif kind == "error":
            code = body.get("code")
            if code != "replayed":  # a copy we sent twice: nothing to show
                self.problem = code
        elif kind == "config" or kind == "time":
            if kind == "config":
                self.problem = None
                if self.on_config is not None:
                    self.on_config(body)
            now = body.get("now")  # the server's clock: set ours when a minute apart
            if isinstance(now, int) and now >= EPOCH and abs(time.time() - now + EPOCH) >= 60:
                import machine

                tm = time.gmtime(now - EPOCH)
                machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))


def _wire(sale):
    """A sale as the server takes it (its time in Unix seconds)."""
    return {
        "id": sale["id"],
        "meter": sale["meter"],
        "amount": sale["amount"],
        "time": sale["time"] + EPOCH,
        "vendor": sale["vendor"],
        "off": 1 if sale.get("off") else 0,
    }


# ---- one session with the server ----
#
# One session with the server: MQTT over micropython-lib's umqtt.simple, or HTTP.
#
# MQTT (settings with "user"): umqtt.simple speaks the protocol and raises when anything
# goes wrong; reconnecting is the link manager's business. This adds:
# - every socket has a timeout, including after check_msg() (umqtt.simple makes the socket
#   blocking forever there; a dead GPRS link would then hang the handheld until the
#   watchdog bites). The session is umqtt's `socket` module and its socket: socket()
#   opens ours, setblocking(True) is a timeout, and received bytes are counted;
# - TLS, when the settings carry an ssl.SSLContext ("tls"): the socket is wrapped right
#   after it connects, with the server's name checked against its certificate. umqtt
#   never sees it, so it works the same with any umqtt version (1.3.4's own ssl option
#   would not check the certificate);
# - publish(): a QoS 1 PUBLISH that does not wait for its PUBACK, so several batches can
#   be on the way over a slow link; their PUBACKs are read by receive();
# - the server's address is given as an IP (the manager looks DNS up once): getaddrinfo()
#   here answers it without a lookup;
# - a persistent session (clean_session=False) and QoS 1 both ways: answers the server
#   sends while the handheld is away wait at the broker.
#
# HTTP (settings with "path"), where MQTT is blocked: post() an envelope, the answers come
# back in the response; a "poll" envelope asks the server to hold the request until a
# downlink is there. HTTP/1.0, one connection per request: connecting and sending are
# short blocking calls bounded by the timeout; the answer is read without blocking, so
# the keypad and printer tasks keep running while the server holds a long-poll open.
#
# A TLS handshake that fails (wrong CA, wrong name) raises OSError("tls: ..."): the manager
# shows "tls" on the status screen. One class for both transports: each class costs the
# heap ~110 bytes before its methods.


class Session:
    """A session for device at address (ip, port); settings: the manager's "mqtt" dict
    {"host", "port", "user", "password", "prefix", "tls"} or "http" dict {"host", "port",
    "path", "tls"} ("tls": an ssl.SSLContext, or absent/None for plain TCP)."""

    def __init__(self, device, settings, address, keepalive_s=60, timeout_s=8):
        self.name = "mqtt" if "user" in settings else "http"
        self.device = device
        self.settings = settings
        self.address = address
        self.keepalive_s = keepalive_s
        self.timeout_s = timeout_s
        self.client = None
        self.raw = None  # the TCP socket (MQTT)
        self.io = None  # what is read and written: raw, or raw wrapped in TLS
        self.received = 0  # bytes received (MQTT): the broker is alive while this grows
        self.inbox = []

    def _tls(self, sock):
        tls = self.settings.get("tls")
        if tls is None:
            return sock
        try:
            return tls.wrap_socket(sock, server_hostname=self.settings["host"])
        except OSError as exc:  # CPython's ssl.SSLError is an OSError too
            raise OSError("tls: " + str(exc)) from None

    # ---- MQTT ----

    def open(self):
        """Connect and subscribe (blocking, bounded by the socket timeout); OSError on failure."""
        from umqtt import simple

        s = self.settings
        simple.socket = self  # umqtt's socket.socket() and getaddrinfo() are ours
        client = simple.MQTTClient(
            self.device,
            self.address[0],
            port=self.address[1],
            user=s["user"],
            password=s["password"],
            keepalive=self.keepalive_s,
        )
        client.set_callback(lambda topic, message: self.inbox.append(message))
        self.client = client
        try:
            client.connect(clean_session=False)
            client.subscribe(s["prefix"] + "/" + self.device + "/down", qos=1)
        except OSError:
            self.close()
            raise
        except (AssertionError, IndexError, simple.MQTTException) as exc:
            self.close()
            raise OSError("mqtt: " + repr(exc)) from None

    def socket(self, *args):
        """umqtt.simple: socket.socket()."""
        import socket  # here, not at the top: only a device with a network has it

        self.raw = socket.socket()
        self.raw.settimeout(self.timeout_s)
        return self

    def getaddrinfo(self, host, port, *args):
        """umqtt.simple: socket.getaddrinfo(), answered with the address already known."""
        return [(0, 0, 0, "", self.address)]

    def connect(self, addr):
        self.raw.connect(addr)
        self.io = self._tls(self.raw)

    def setblocking(self, flag):
        """Blocking always has our timeout (TLS reads through raw, so this covers it)."""
        self.raw.settimeout(self.timeout_s if flag else 0)

    def read(self, n):
        data = self.io.read(n)
        if data:
            self.received += len(data)
        return data

    def write(self, buf, n=None):
        return self.io.write(buf if n is None else memoryview(buf)[:n])

    def publish(self, wire, pid):
        """PUBLISH wire to <prefix>/<device>/up at QoS 1 with packet id pid (1-65535);
        the PUBACK comes later, through receive()."""
        topic = self.settings["prefix"] + "/" + self.device + "/up"
        size = 2 + len(topic) + 2 + len(wire)
        head = bytearray(9)
        head[0] = 0x32  # PUBLISH, QoS 1
        i = 1
        while size > 0x7F:
            head[i] = (size & 0x7F) | 0x80
            size >>= 7
            i += 1
        head[i] = size
        head[i + 1] = len(topic) >> 8
        head[i + 2] = len(topic) & 0xFF
        # One write for the whole packet: in pieces, Nagle's algorithm would hold the later
        # ones back until the first is acknowledged (tens of ms on every message).
        self.io.write(bytes(head[: i + 3]) + topic.encode() + bytes((pid >> 8, pid & 0xFF)) + wire)

    def receive(self):
        """Every downlink that has arrived (non-blocking), and the PUBACKs read on the way.

        Returns (messages, acked packet ids); OSError when the session broke."""
        client = self.client
        acked = []
        try:
            while True:
                before = len(self.inbox)
                op = client.check_msg()
                if op == 0x40:  # PUBACK, ours from publish(): length byte, then packet id
                    rest = self.read(3)
                    acked.append(rest[1] << 8 | rest[2])
                    continue
                if op is None and len(self.inbox) == before:
                    break
        except (OSError, AssertionError, IndexError, TypeError) as exc:
            raise OSError("mqtt: " + repr(exc)) from None
        messages = self.inbox
        self.inbox = []
        return messages, acked

    def close(self):
        sock = self.raw if self.io is None else self.io  # closing TLS closes raw too
        if sock is not None:
            try:  # noqa: SIM105 - MicroPython has no contextlib
                sock.close()
            except OSError:
                pass  # already broken: nothing to close
        self.raw = self.io = self.client = None

    # ---- HTTP ----

    async def post(self, wire, wait_s=0):
        """The downlink envelopes (as dicts) in the server's answer to wire.

        OSError when the server cannot be reached or the answer is not the link's; a
        refused message (4xx with an error envelope) is an answer like any other."""
        import socket

        s = self.settings
        sock = socket.socket()
        try:
            sock.settimeout(self.timeout_s)
            sock.connect(self.address)
            sock = self._tls(sock)
            head = (
                "POST " + s["path"] + " HTTP/1.0\r\nHost: " + s["host"]
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(wire)) + "\r\n\r\n"
            )  # fmt: skip
            sock.write(head.encode())
            sock.write(wire)
            sock.setblocking(False)
            limit_s = self.timeout_s + wait_s
            deadline = time.ticks_add(time.ticks_ms(), limit_s * 1000)
            parts = []
            got = 0
            want = -1  # the answer's length once its head is in (-2: until the server closes)
            while got != want:
                chunk = sock.read(512)
                if chunk is None:  # nothing yet
                    if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                        raise OSError("http: late")  # no answer in limit_s
                    await asyncio.sleep_ms(20)
                    continue
                if not chunk:  # the server closed: the answer is complete (HTTP/1.0)
                    break
                parts.append(chunk)
                got += len(chunk)
                if want == -1:
                    # Stop at Content-Length: a TLS server may close without a goodbye.
                    data = b"".join(parts).lower()
                    split = data.find(b"\r\n\r\n")
                    if split > 0:
                        at = data.find(b"content-length:", 0, split)
                        want = (
                            -2 if at < 0 else split + 4 + int(data[at + 15 : data.find(b"\r", at)])
                        )
        finally:
            sock.close()
        data = b"".join(parts)
        parts = None
        split = data.find(b"\r\n\r\n")
        try:
            if not data.startswith(b"HTTP/") or split < 0:
                raise ValueError
            messages = json.loads(data[split + 4 :])["messages"]
            if not isinstance(messages, list):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            # Not the link's answer (a proxy's page, a 404...): "http: <status code>".
            raise OSError("http: " + data[9:12].decode()) from None
        return messages
