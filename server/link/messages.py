"""The message types and what each body must hold.

Uplink (handheld -> server):
    hello   status on (re)connect: firmware, battery, paper, queue depth, free heap, signal,
            transport, and its offline snapshot report "off": [n, ceiling, spent, pending]
    sale    one sale: {"id", "meter", "amount", "time", "vendor", "off"}
    batch   queued sales, oldest first: {"sales": [sale, ...]} (at most MAX_BATCH)
    ack     sales finished on the handheld: {"ids": [...], "off": [...]}
    lookup  the customer behind a meter: {"meter"}
    config  ask for the configuration: {}
    time    ask for the time: {}
    poll    HTTP only: downlinks above "after", waiting up to "wait" seconds

Downlink (server -> handheld): result, ack, lookup, config, time, error (see docs).
"""

from dataclasses import dataclass
from typing import Any

from server.domain.money import MAX_MINOR
from server.link.errors import LinkError

MAX_BATCH = 50
MAX_ACKS = 100
MAX_POLL_WAIT_S = 30
MAX_SALE_SEQ = 2**53  # a journal number fits the database's BIGINT (and a JS number)
UPLINK_TYPES = ("hello", "sale", "batch", "ack", "lookup", "config", "time", "poll")


@dataclass(frozen=True)
class SaleOrder:
    """One sale as the handheld journaled it."""

    id: str  # "<device>-<sequence>": the request id the server keeps it under
    meter: str
    amount: int  # minor units, what the customer paid
    time: int  # handheld clock, Unix seconds
    vendor: str  # who sold it on the handheld (its PIN login)
    offline: bool  # accepted without the server: paid from the offline reserve


@dataclass(frozen=True)
class OfflineReport:
    """What the handheld holds of its offline allowance: the newest snapshot it took
    (downlink `seq`, `ceiling`, `spent`) and the total of its offline sales still unanswered."""

    seq: int
    ceiling: int
    spent: int
    pending: int


def sale_orders(device: str, kind: str, body: dict[str, Any]) -> list[SaleOrder]:
    """The sales in a sale or batch body, in order; LinkError("bad_body") when wrong."""
    if kind == "sale":
        return [_sale(device, body, "b")]
    sales = body.get("sales")
    if not isinstance(sales, list) or not 0 < len(sales) <= MAX_BATCH:
        raise LinkError("bad_body", f"sales: a list of 1 to {MAX_BATCH} sales")
    _only(body, {"sales"}, "b")
    orders = [_sale(device, item, f"sales[{i}]") for i, item in enumerate(sales)]
    if len({o.id for o in orders}) != len(orders):
        raise LinkError("bad_body", "sales: an id appears twice")
    return orders


def ack_ids(device: str, body: dict[str, Any]) -> list[str]:
    """The sale ids an ack names (each one of this device's)."""
    _only(body, {"ids", "off"}, "b")
    ids = body.get("ids", [])
    if not isinstance(ids, list) or len(ids) > MAX_ACKS:
        raise LinkError("bad_body", f"ids: a list of at most {MAX_ACKS} sale ids")
    for i, sale_id in enumerate(ids):
        _sale_id(device, sale_id, f"ids[{i}]")
    return list(ids)


def offline_report(body: dict[str, Any]) -> OfflineReport | None:
    """The "off" report in a hello or ack, if there is one."""
    report = body.get("off")
    if report is None:
        return None
    if (
        not isinstance(report, list)
        or len(report) != 4
        or not all(_is_int(v) and 0 <= v <= 2**53 for v in report)
    ):
        raise LinkError("bad_body", "off: [seq, ceiling, spent, pending], whole numbers >= 0")
    return OfflineReport(*report)


def hello_status(body: dict[str, Any]) -> dict[str, Any]:
    """The status fields of a hello, checked and trimmed (stored as the device's last status)."""
    _only(body, {"fw", "bat", "paper", "queue", "heap", "sig", "tr", "off"}, "b")
    status: dict[str, Any] = {}
    for key in ("fw", "paper", "tr"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 16):
            raise LinkError("bad_body", f"{key}: text of at most 16 characters")
        status[key] = value
    for key in ("bat", "queue", "heap", "sig"):
        value = body.get(key)
        if value is not None and (not _is_int(value) or not 0 <= value < 2**31):
            raise LinkError("bad_body", f"{key}: a whole number >= 0")
        status[key] = value
    offline_report(body)
    return status


def lookup_meter(body: dict[str, Any]) -> str:
    """The meter number a lookup asks about."""
    _only(body, {"meter"}, "b")
    return _meter(body.get("meter"), "meter")


def poll_window(body: dict[str, Any]) -> tuple[int, int]:
    """(after, wait seconds) of a poll."""
    _only(body, {"after", "wait"}, "b")
    after, wait = body.get("after", 0), body.get("wait", 0)
    if not _is_int(after) or after < 0:
        raise LinkError("bad_body", "after: the last downlink seq seen")
    if not _is_int(wait) or not 0 <= wait <= MAX_POLL_WAIT_S:
        raise LinkError("bad_body", f"wait: 0 to {MAX_POLL_WAIT_S} seconds")
    return after, wait


def _sale(device: str, item: object, where: str) -> SaleOrder:
    if not isinstance(item, dict):
        raise LinkError("bad_body", f"{where}: a sale object")
    _only(item, {"id", "meter", "amount", "time", "vendor", "off"}, where)
    sale_id = _sale_id(device, item.get("id"), f"{where}.id")
    amount = item.get("amount")
    if not _is_int(amount) or not 0 < amount <= MAX_MINOR:
        raise LinkError("bad_body", f"{where}.amount: minor units above 0")
    when = item.get("time", 0)
    if not _is_int(when) or not 0 <= when < 2**40:
        raise LinkError("bad_body", f"{where}.time: Unix seconds")
    vendor = item.get("vendor", "")
    if not isinstance(vendor, str) or len(vendor) > 16:
        raise LinkError("bad_body", f"{where}.vendor: at most 16 characters")
    offline = item.get("off", 0)
    if offline not in (0, 1):  # True and False are 1 and 0 here, and welcome
        raise LinkError("bad_body", f"{where}.off: 0 or 1")
    return SaleOrder(
        sale_id, _meter(item.get("meter"), f"{where}.meter"), amount, when, vendor, bool(offline)
    )


def _sale_id(device: str, value: object, where: str) -> str:
    # A sale id is the device id, a dash and the journal's sequence number: a device can
    # only ever name its own sales.
    prefix = device + "-"
    if (
        not isinstance(value, str)
        or len(value) > 64
        or not value.startswith(prefix)
        or not value[len(prefix) :].isdigit()
        or not value[len(prefix) :].isascii()
        or int(value[len(prefix) :]) > MAX_SALE_SEQ
    ):
        raise LinkError("bad_body", f"{where}: this device's sale id ({prefix}<number>)")
    return value


def _meter(value: object, where: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 20 or not value.isdigit():
        raise LinkError("bad_body", f"{where}: the meter number's digits")
    if not value.isascii():
        raise LinkError("bad_body", f"{where}: ASCII digits only")
    return value


def _only(body: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise LinkError("bad_body", f"{where}: unknown field(s) {', '.join(unknown)}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
