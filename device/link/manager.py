"""The link manager: the one place on the handheld that owns the connection to the server.

It is the link object the sale service talks to (link/interface.py: submit, acknowledge,
online) and one asyncio task, run(), that keeps a session open:

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
import time

from journal import records as R

from link.allowance import OfflineAllowance
from link.envelope import EnvelopeError, open_downlink, seal
from link.http_session import HttpSession
from link.mqtt_session import MqttSession

try:
    from micropython import const
except ImportError:

    def const(value):
        return value


BATCH = const(10)  # sales per batch message (a result for 10 fits the heap well)
WINDOW = const(6)  # batches on the way at once (a slow link is used while answers travel)
ANSWER_MS = const(30000)  # a sale unanswered this long is sent again
BACKOFF_MIN_MS = const(1000)
BACKOFF_MAX_MS = const(60000)
HELLO_EVERY_MS = const(300000)  # status (and config back) every five minutes
KEEPALIVE_S = const(60)
PUBACK_MS = const(15000)  # an uplink the broker has not acknowledged by then: link dead
MQTT_FAILS = const(3)  # failed MQTT sessions in a row before trying HTTP
HTTP_FOR_MS = const(600000)  # then HTTP for ten minutes before MQTT again
POLL_WAIT_S = const(20)  # HTTP long-poll
HEALTHY_MS = const(120000)  # the task is stuck when it has not run for this long
ACKS_PER_MESSAGE = const(20)
# Seconds from the Unix epoch to the device's: the ESP32 counts from 2000.
EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0


class LinkManager:
    """The real link. mqtt: {"host", "port", "user", "password", "prefix"} or None;
    http: {"host", "port", "path"} or None; bearer: link/bearer.py; state: LinkState."""

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
        self.problem = None  # the last error code the server sent, for the status screen
        self.heartbeat = time.ticks_ms()
        self.sent = 0
        self.sent_kinds = {}  # message type -> how many sent (status, tests, benchmarks)
        self.received = 0
        self.rejected = 0
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
        self._ready = False

    # ---- the link interface (vend/sales.py calls these) ----

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

    def poll(self):
        """Nothing to do: answers are delivered by the link's own task as they arrive."""
        return 0

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
        return time.ticks_diff(time.ticks_ms(), self.heartbeat) < HEALTHY_MS

    # ---- the task ----

    async def run(self):
        """Keep a session to the server open, forever."""
        self.beat()
        self.allowance.rebuild(self.journal)
        self._ready = True
        backoff = BACKOFF_MIN_MS
        while True:
            self.beat()
            session = None
            try:
                await self.bearer.up()
                self.beat()
                session = self._choose()
                await self._serve(session)
            except OSError as exc:
                self._failed(session, exc)
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
            await self._sleep(wait)

    def beat(self):
        self.heartbeat = time.ticks_ms()

    async def _sleep(self, ms):
        while ms > 0:
            step = min(ms, 1000)
            await asyncio.sleep_ms(step)
            ms -= step
            self.beat()

    def _choose(self):
        now = time.ticks_ms()
        if self._http_since is not None and time.ticks_diff(now, self._http_since) > HTTP_FOR_MS:
            self._http_since = None
            self._mqtt_fails = 0
        if self.mqtt is not None and (self.http is None or self._mqtt_fails < MQTT_FAILS):
            m = self.mqtt
            address = self._address(m["host"], m["port"])
            return MqttSession(
                self.device, m["user"], m["password"], address, m["prefix"], KEEPALIVE_S
            )
        if self.http is None:
            raise OSError("no server configured")
        h = self.http
        return HttpSession(h["host"], self._address(h["host"], h["port"]), h["path"])

    def _address(self, host, port):
        ip = self._addresses.get(host)
        if ip is None:
            import socket

            ip = socket.getaddrinfo(host, port)[0][-1][0]
            self._addresses[host] = ip
        return (ip, port)

    def _failed(self, session, exc):
        if session is not None and session.name == "mqtt":
            self._mqtt_fails += 1
            if self._mqtt_fails >= MQTT_FAILS and self.http is not None:
                self._http_since = time.ticks_ms()
            if self._mqtt_fails % 5 == 0:
                self._addresses = {}  # the name may point elsewhere now
        if not self.bearer.is_up():
            self.bearer.down()

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
        await self._send(session, "hello", self._hello(session))
        if mqtt:
            self._mqtt_fails = 0
            self._http_since = None
        poller = None if mqtt else asyncio.create_task(self._poll(session))
        now = time.ticks_ms()
        last_rx = last_ping = last_hello = last_acks = now
        seen = 0
        try:
            while True:
                self.beat()
                if not self.bearer.is_up():
                    raise OSError("network down")
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
                if time.ticks_diff(now, last_hello) > HELLO_EVERY_MS:
                    await self._send(session, "hello", self._hello(session))
                    last_hello = now
                if mqtt:
                    got = session.bytes_received()
                    if got != seen:
                        seen, last_rx = got, now
                    if time.ticks_diff(now, last_ping) > KEEPALIVE_S * 500:
                        session.ping()
                        last_ping = now
                    if time.ticks_diff(now, last_rx) > KEEPALIVE_S * 1500:
                        raise OSError("mqtt: the broker went silent")
                    for sent in self._unacked.values():
                        if time.ticks_diff(now, sent) > PUBACK_MS:
                            raise OSError("mqtt: no PUBACK")
                await self._pause(busy or self._inflight or self._unacked)
        finally:
            if poller is not None:
                poller.cancel()

    async def _pause(self, waiting):
        """10 ms while answers are due; else up to 50 ms, cut short by a new sale."""
        if waiting:
            await asyncio.sleep_ms(10)
            return
        for _ in range(5):
            if self._urgent:
                return
            await asyncio.sleep_ms(10)

    async def _poll(self, session):
        """HTTP only: wait for downlinks the server has for us (config changes...)."""
        try:
            while True:
                wire = self._seal("poll", {"after": self._down_hi, "wait": POLL_WAIT_S})
                for message in await session.post(wire, POLL_WAIT_S):
                    self._downlink(message)
        except OSError as exc:
            self._poll_error = exc

    async def _work(self, session):
        """Send what is waiting, most urgent first; True if anything went."""
        busy = False
        urgent = self._urgent
        self._urgent = []
        for sale in urgent:
            seq = self.listener.seq_of(sale["id"])
            if self.journal.state(seq) == R.PENDING and seq not in self._inflight:
                self._inflight[seq] = time.ticks_ms()
                await self._send(session, "sale", self._wire_sale(sale))
                busy = True
        if self._lookup is not None:
            meter, self._lookup = self._lookup, None
            await self._send(session, "lookup", {"meter": meter})
        syncing = await self._backlog(session)
        # Acknowledgements wait for a full message, or for the sales to be sent first.
        if self._report or len(self._acks) >= ACKS_PER_MESSAGE or (self._acks and not syncing):
            ids = self._acks[:ACKS_PER_MESSAGE]
            self._acks = self._acks[ACKS_PER_MESSAGE:]
            self._report = False
            await self._send(session, "ack", {"ids": ids, "off": self.allowance.report()})
            busy = True
        return syncing or busy

    async def _backlog(self, session):
        """The journal's unanswered sales, oldest first, BATCH at a time, WINDOW in flight."""
        now = time.ticks_ms()
        for seq in list(self._inflight):
            state = self.journal.state(seq)
            if state != R.PENDING or time.ticks_diff(now, self._inflight[seq]) > ANSWER_MS:
                del self._inflight[seq]
        room = WINDOW * BATCH - len(self._inflight)
        if room < BATCH:
            return False
        batch = []
        for seq in self.journal.awaiting_answer():
            if seq not in self._inflight:
                batch.append(seq)
                if len(batch) == BATCH:
                    break
        if not batch:
            return False
        sales = []
        for seq in batch:
            sale = self.journal.sale(seq)
            sale["id"] = self.listener.sale_id(seq)
            sales.append(self._wire_sale(sale))
            self._inflight[seq] = now
        sale = None
        if len(sales) == 1:
            await self._send(session, "sale", sales[0])
        else:
            await self._send(session, "batch", {"sales": sales})
        sales = None
        gc.collect()
        return True

    def _wire_sale(self, sale):
        return {
            "id": sale["id"],
            "meter": sale["meter"],
            "amount": sale["amount"],
            "time": sale["time"] + EPOCH,
            "vendor": sale["vendor"],
            "off": 1 if sale.get("off") else 0,
        }

    def _hello(self, session):
        status = self.status() if self.status is not None else {}
        return {
            "fw": self.firmware,
            "bat": status.get("battery"),
            "paper": status.get("paper"),
            "queue": len(self.journal.open_sales()),
            "heap": gc.mem_free(),
            "sig": self.bearer.signal(),
            "tr": session.name,
            "off": self.allowance.report(),
        }

    def _seal(self, kind, body):
        seq = self.state.next_seq()
        return seal(self.secret, self.device, seq, time.time() + EPOCH, kind, body)

    async def _send(self, session, kind, body):
        wire = self._seal(kind, body)
        self.sent += 1
        self.sent_kinds[kind] = self.sent_kinds.get(kind, 0) + 1
        if session.name == "mqtt":
            self._pid = self._pid % 65535 + 1
            self._unacked[self._pid] = time.ticks_ms()
            session.publish_nowait(wire, self._pid)
            return
        for message in await session.post(wire):
            self._downlink(message)

    # ---- what the server sends ----

    def _downlink(self, data):
        try:
            env, signed = open_downlink(data, self.secret, self.device)
        except EnvelopeError as exc:
            self.rejected += 1
            if exc.code == "bad_mac":
                self.problem = "bad_mac"
            return
        body = env["b"]
        if not signed:  # only an error can be unsigned: show it, change nothing
            self.problem = body.get("code")
            return
        self.received += 1
        if env["n"] > self._down_hi:
            self._down_hi = env["n"]
        kind = env["y"]
        off = body.get("off")
        if off is not None:  # the snapshot first: it must never be older than an answer
            lowered = off[0] < self.state.snapshot[1]
            if self.state.take_snapshot(env["n"], off[0], off[1]) and lowered:
                self._report = True  # the server may give the surplus back once it knows
        if kind == "result":
            self.problem = None
            for item in body.get("results", ()):
                self._result(item)
        elif kind == "ack":
            for sale_id in body.get("ids", ()):
                if self.listener is not None:
                    self.listener.on_acknowledged(sale_id)
        elif kind == "config":
            self.problem = None
            self._set_clock(body.get("now"))
            if self.on_config is not None:
                self.on_config(body)
        elif kind == "time":
            self._set_clock(body.get("now"))
        elif kind == "lookup":
            on_customer = getattr(self.listener, "on_customer", None)
            if on_customer is not None and body.get("name"):
                on_customer(body["meter"], body["name"])
        elif kind == "error":
            code = body.get("code")
            if code != "replayed":  # a copy we sent twice: nothing to show
                self.problem = code

    def _result(self, item):
        listener = self.listener
        sale_id = item.get("id")
        seq = listener.seq_of(sale_id) if listener is not None and sale_id else None
        if seq is None:
            return
        was_pending = self.journal.state(seq) == R.PENDING
        if "answer" in item:
            listener.on_answer(sale_id, item["answer"])
        else:
            listener.on_refused(sale_id, item.get("refused") or item.get("code") or "?")
        self._inflight.pop(seq, None)
        if was_pending and self.journal.state(seq) != R.PENDING and item.get("off"):
            self.allowance.settled(item.get("amount", 0))

    def _set_clock(self, now):
        if not isinstance(now, int) or now < EPOCH:
            return
        local = now - EPOCH
        if abs(time.time() - local) < 60:
            return
        import machine

        tm = time.gmtime(local)
        machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
