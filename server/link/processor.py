"""One uplink in, the downlinks it causes out: the link's only door into the services.

The MQTT bridge and the HTTP transport both call `LinkProcessor.handle`. In order:
size and shape (envelope.parse), the topic matches the claimed device, the device is known
and has a secret, the MAC verifies, the device is enabled (a disabled one may still sync its
queued sales and acknowledge them), the type is known, the sequence number is new under the
device's current secret; then the body is checked and the services run. Anything refused is logged
(Python log, and the message log when the device is known) and answered with an error code
the handheld can show; nothing a device sends can crash the process.

An uplink is logged as accepted after it was acted on, in the transaction that numbers its
answers: if the process dies in between, a redelivered copy is acted on again, which is
harmless because every action is idempotent (sale ids, acks, snapshots).
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from server.domain.errors import DomainError, InvalidInput
from server.link import envelope as env_mod
from server.link import messages, outbox
from server.link.answers import answer, refusal_text
from server.link.device_secrets import DeviceSecrets, SealError
from server.link.envelope import Envelope
from server.link.errors import LinkError
from server.link.outbox import Inbound, Reply
from server.services import device_sales, offline
from server.services.context import ServiceContext
from server.services.device_sales import SaleOutcome
from server.services.meter_numbers import pan_of
from server.services.notifier import LogNotifier, Notifier, token_text
from server.storage.repositories.device_link import DeviceLinkRepository, SaleOutcomeRepository
from server.storage.schema import Customer, Device, Tariff
from server.storage.unit_of_work import UnitOfWork

log = logging.getLogger("gridvend.link")

REPLAY_WINDOW = 4096  # uplinks this far below the highest accepted are refused unread
# What a disabled device may still send: its queued sales (those it took offline before it
# was disabled are honoured from its reserve, services/device_sales.py) and their
# acknowledgements (whose offline report lets its reserve go back to the float).
WHILE_DISABLED = ("sale", "batch", "ack")
_LOGGED_PAYLOAD = 2048  # how much of a refused message the log keeps


@dataclass
class Handled:
    """What came of one uplink: the device it was for (None if unreadable), the downlinks
    to deliver to it, and for an HTTP poll the window to wait on."""

    device: str | None
    wires: list[bytes] = field(default_factory=list)
    poll: tuple[int, int] | None = None
    device_id: int | None = None
    error: str | None = None  # the refusal code, when the uplink was refused
    generation: int = 0  # the device's secret generation the uplink was signed under


@dataclass(frozen=True)
class _Verified:
    device: Device
    secret: bytes
    envelope: Envelope


class LinkProcessor:
    """Checks and acts on uplinks for one server process (thread-safe: no shared state
    beyond the secret cache, whose worst race is opening a secret twice)."""

    def __init__(
        self,
        ctx: ServiceContext,
        secrets: DeviceSecrets,
        *,
        notifier: Notifier | None = None,
        fault: Callable[[str], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.secrets = secrets
        self.notifier = notifier or LogNotifier()
        # Test hook: called with a step name ("sold") so a test can fail the process there.
        self._fault = fault or (lambda _step: None)

    def handle(self, data: bytes, *, topic_device: str | None = None) -> Handled:
        """Act on one uplink (wire bytes); never raises for anything the sender did."""
        try:
            verified = self._verify(data, topic_device)
        except _Refused as refused:
            return refused.handled
        device, secret, envelope = verified.device, verified.secret, verified.envelope
        try:
            replies, inbound, poll = self._dispatch(device, envelope, data)
        except LinkError as exc:
            self._reject(device.id, device.name, envelope.kind, exc, data)
            return self._signed_error(device, secret, exc.code, envelope.seq)
        except Exception as exc:  # database away, vending key missing: the device retries
            self._log_failure(device.name, envelope, exc)
            return self._signed_error(device, secret, "server_busy", envelope.seq)
        try:
            wires = outbox.send(self.ctx, device, secret, replies, inbound)
        except Exception as exc:
            self._log_failure(device.name, envelope, exc)
            return Handled(device.name, device_id=device.id, error="server_busy")
        return Handled(device.name, wires, poll, device.id, generation=device.secret_generation)

    def push_config(self, name: str) -> list[bytes]:
        """Make a config downlink for a device now (its allowance or settings changed): it
        waits in the message log for the device's HTTP long-poll; the caller may also
        publish the returned wires over MQTT."""

        def work(uow: UnitOfWork) -> Device | None:
            return uow.devices.by_name(name)

        device = self.ctx.transaction(work, read_only=True)
        if device is None or device.secret is None:
            raise LinkError("unknown_device", name)
        self._offline_upkeep(device, None)
        secret = self.secrets.open(device.id, device.secret)
        return outbox.send(self.ctx, device, secret, [self._config(device)])

    # ---- checks ----

    def _verify(self, data: bytes, topic_device: str | None) -> _Verified:
        try:
            envelope = env_mod.parse(data)
        except LinkError as exc:
            name = env_mod.claimed_device(data) or topic_device
            self._reject(None, name or "?", "?", exc, data)
            raise self._unsigned(name, exc.code, 0) from None
        name = envelope.device
        if topic_device is not None and name != topic_device:
            exc = LinkError("wrong_topic", f"message for {name} on the topic of {topic_device}")
            self._reject(None, topic_device, envelope.kind, exc, data)
            raise self._unsigned(topic_device, exc.code, envelope.seq)
        found = self.ctx.transaction(
            lambda uow: DeviceLinkRepository(uow.session).device_by_name(name), read_only=True
        )
        if found is None:
            exc = LinkError("unknown_device", name)
            self._reject(None, name, envelope.kind, exc, data)
            raise self._unsigned(name, exc.code, envelope.seq)
        device, _agent_status = found
        if device.secret is None:
            exc = LinkError("no_secret", name)
            self._reject(device.id, name, envelope.kind, exc, data)
            raise self._unsigned(name, exc.code, envelope.seq)
        try:
            secret = self.secrets.open(device.id, device.secret)
        except SealError:
            log.error("device %s: its secret does not open with this master key", name)
            exc = LinkError("no_secret", "sealed under another master key")
            raise self._unsigned(name, exc.code, envelope.seq) from None
        if not envelope.verify(secret):
            exc = LinkError("bad_mac", name)
            self._reject(device.id, name, envelope.kind, exc, data)
            raise self._unsigned(name, exc.code, envelope.seq)
        if not device.enabled and envelope.kind not in WHILE_DISABLED:
            exc = LinkError("device_disabled", name)
        elif envelope.kind not in messages.UPLINK_TYPES:
            exc = LinkError("unknown_type", envelope.kind)
        elif not self._fresh(device.id, device.secret_generation, envelope.seq):
            exc = LinkError("replayed", f"seq {envelope.seq}")
        else:
            return _Verified(device, secret, envelope)
        self._reject(device.id, name, envelope.kind, exc, data)
        raise _Refused(self._signed_error(device, secret, exc.code, envelope.seq))

    def _fresh(self, device_id: int, generation: int, seq: int) -> bool:
        def work(uow: UnitOfWork) -> bool:
            links = DeviceLinkRepository(uow.session)
            if seq <= links.in_seq_hi(device_id) - REPLAY_WINDOW:
                return False
            return not links.seen_inbound(device_id, generation, seq)

        return self.ctx.transaction(work, read_only=True)

    # ---- acting ----

    def _dispatch(
        self, device: Device, envelope: Envelope, data: bytes
    ) -> tuple[list[Reply], Inbound, tuple[int, int] | None]:
        kind, body = envelope.kind, envelope.body
        payload = data.decode()
        inbound = Inbound(envelope.seq, kind, payload)
        if kind in ("sale", "batch"):
            orders = messages.sale_orders(device.name, kind, body)
            return self._sales(device, envelope, orders), inbound, None
        if kind == "hello":
            status = messages.hello_status(body)
            report = messages.offline_report(body)
            self._offline_upkeep(device, report)
            status_json = json.dumps(status, sort_keys=True)
            inbound = Inbound(envelope.seq, kind, payload, status_json, _seen(report))
            return [self._config(device)], inbound, None
        if kind == "ack":
            ids = messages.ack_ids(device.name, body)
            report = messages.offline_report(body)
            self._acknowledge(device, ids, report)
            inbound = Inbound(envelope.seq, kind, payload, out_seen=_seen(report))
            return [Reply("ack", {"ids": ids})], inbound, None
        if kind == "lookup":
            meter = messages.lookup_meter(body)
            return [Reply("lookup", self._lookup(meter))], inbound, None
        if kind == "config":
            if body:
                raise LinkError("bad_body", "a config request has an empty body")
            self._offline_upkeep(device, None)
            return [self._config(device)], inbound, None
        if kind == "time":
            return [Reply("time", {"now": outbox.unix_now(self.ctx)})], inbound, None
        after, wait = messages.poll_window(body)  # "poll": the HTTP transport waits
        return [], Inbound(envelope.seq, kind, payload, out_seen=after), (after, wait)

    def _sales(
        self, device: Device, envelope: Envelope, orders: list[messages.SaleOrder]
    ) -> list[Reply]:
        results: list[dict[str, Any]] = []
        trouble: Exception | None = None
        for order in orders:
            try:
                outcome = device_sales.sell(self.ctx, device, order)
            except DomainError as exc:  # not a final answer (vending key missing...)
                trouble = exc
                if exc.code == "device_disabled":
                    continue  # it stays queued on the handheld; the sales after it may not
                break
            self._fault("sold")
            results.append(self._result_item(outcome, order))
            if outcome.new and outcome.receipt is not None:
                self._notify(outcome)
        if any(o.offline for o in orders):
            self._offline_upkeep(device, None)
        replies = [Reply("result", {"results": results}, snapshot=True)] if results else []
        if trouble is not None:
            log.warning("device %s: sale stopped (%s); it will be sent again", device.name, trouble)
            code = trouble.code if trouble.code == "device_disabled" else "server_busy"
            replies.append(outbox.error_reply(code, envelope.seq))
        return replies

    def _result_item(self, outcome: SaleOutcome, order: messages.SaleOrder) -> dict[str, Any]:
        # The amount and offline flag come back with the answer: the handheld then knows how
        # much of its offline allowance the answer frees without reading its journal.
        item: dict[str, Any] = {"id": outcome.sale_ref, "amount": order.amount,
                                "off": int(order.offline)}  # fmt: skip
        if outcome.receipt is None:
            code = outcome.code or "refused"
            item.update(code=code, refused=outcome.reason or code)
        else:
            item["answer"] = answer(outcome.receipt, self._minor_unit())
        return item

    def _offline_upkeep(self, device: Device, report: messages.OfflineReport | None) -> None:
        """Give back surplus the handheld no longer needs, then top the reserve up."""

        def work(uow: UnitOfWork) -> None:
            fresh = uow.devices.by_id(device.id)
            assert fresh is not None
            if report is not None:
                offline.settle(self.ctx, uow, fresh, report)
            offline.replenish(self.ctx, uow, fresh)
            uow.commit()

        self.ctx.transaction(work)

    def _acknowledge(
        self, device: Device, ids: list[str], report: messages.OfflineReport | None
    ) -> None:
        def work(uow: UnitOfWork) -> None:
            SaleOutcomeRepository(uow.session).acknowledge(device.id, ids, self.ctx.now())
            if report is not None:
                fresh = uow.devices.by_id(device.id)
                assert fresh is not None
                offline.settle(self.ctx, uow, fresh, report)
            uow.commit()

        self.ctx.transaction(work)

    def _lookup(self, meter: str) -> dict[str, Any]:
        try:
            pan = pan_of(meter)
        except InvalidInput:
            return {"meter": meter, "name": None, "code": "invalid_meter_number"}

        def work(uow: UnitOfWork) -> dict[str, Any]:
            found = uow.meters.by_pan(pan)
            if found is None:
                return {"meter": meter, "name": None, "code": "meter_not_found"}
            customer = uow.customers.by_id(found.customer_id) if found.customer_id else None
            if found.state != "active":
                return {"meter": meter, "name": None, "code": "meter_blocked"}
            return {"meter": meter, "name": customer.name[:24] if customer else None}

        return self.ctx.transaction(work, read_only=True)

    def _config(self, device: Device) -> Reply:
        def work(uow: UnitOfWork) -> dict[str, Any]:
            state = DeviceLinkRepository(uow.session).state(device.id)
            settings = json.loads(state.settings) if state and state.settings else {}
            tariffs = uow.session.scalars(select(Tariff.name).order_by(Tariff.name)).all()
            fresh = uow.devices.by_id(device.id)
            assert fresh is not None
            return {
                **settings,
                "allow": fresh.offline_allowance,
                "tariffs": list(tariffs)[:20],
                "now": outbox.unix_now(self.ctx),
            }

        return Reply("config", self.ctx.transaction(work, read_only=True), snapshot=True)

    def _notify(self, outcome: SaleOutcome) -> None:
        receipt = outcome.receipt
        assert receipt is not None
        if not receipt.customer_account:
            return

        def phone_of(uow: UnitOfWork) -> str:
            return (
                uow.session.scalar(
                    select(Customer.phone).where(Customer.account_no == receipt.customer_account)
                )
                or ""
            )

        phone = self.ctx.transaction(phone_of, read_only=True)
        if phone:
            item = answer(receipt, self._minor_unit())
            tokens = item["key_change"] + item["tokens"]
            text = token_text(receipt.meter, tokens, item["kwh_tenths"], masked=False)
            try:
                self.notifier.send(phone, text)
            except Exception as exc:  # an SMS that fails never fails the sale
                log.warning("SMS for sale %s not sent: %s", outcome.sale_ref, type(exc).__name__)

    def _minor_unit(self) -> int:
        return self.ctx.currency.minor_unit

    # ---- refusing ----

    def _unsigned(self, name: str | None, code: str, re: int) -> "_Refused":
        wire = outbox.unsigned_error(self.ctx, name or "?", code, re)
        return _Refused(Handled(name, [wire], error=code))

    def _signed_error(self, device: Device, secret: bytes, code: str, re: int) -> Handled:
        try:
            wires = outbox.send(self.ctx, device, secret, [outbox.error_reply(code, re)])
        except Exception as exc:
            log.error("device %s: cannot even send an error (%s)", device.name, type(exc).__name__)
            wires = []
        return Handled(device.name, wires, device_id=device.id, error=code)

    def _reject(
        self, device_id: int | None, name: str, kind: str, exc: LinkError, data: bytes
    ) -> None:
        log.warning("refused a message from %s: %s", name, exc)
        if device_id is None:
            return  # strangers go to the process log only: they must not fill the database
        payload = data[:_LOGGED_PAYLOAD].decode("utf-8", "replace")

        def work(uow: UnitOfWork) -> None:
            DeviceLinkRepository(uow.session).record_reject(
                device_id, name, kind, exc.code, payload, self.ctx.now()
            )
            uow.commit()

        try:
            self.ctx.transaction(work)
        except Exception as failure:
            log.error("could not log a refused message: %s", type(failure).__name__)

    def _log_failure(self, name: str, envelope: Envelope, exc: Exception) -> None:
        if isinstance(exc, DomainError):
            log.warning("device %s %s #%d: %s", name, envelope.kind, envelope.seq, exc.code)
        else:  # by type only: an exception's text could quote the data it was given
            log.error(
                "device %s %s #%d failed: %s",
                name,
                envelope.kind,
                envelope.seq,
                type(exc).__name__,
                exc_info=exc,
            )


def _seen(report: messages.OfflineReport | None) -> int | None:
    # The snapshot a device reports came in a downlink it holds.
    return report.seq if report is not None else None


class _Refused(Exception):
    def __init__(self, handled: Handled) -> None:
        super().__init__(handled.error)
        self.handled = handled


__all__ = ["Handled", "LinkProcessor", "refusal_text"]
