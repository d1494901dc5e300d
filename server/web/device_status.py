"""Handheld status for the pages, from each handheld's last hello over the device link.

The link (server/link) stores a hello's status fields as the device's `last_status` and the
time of every accepted message as `last_seen_at`; this reads them for display, with the
vendor and offline allowance. No business rule is applied here. (A status list in
server/services/devices.py would be the place for this read; there is none yet.)
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from server.domain.roles import Permission
from server.services.context import Actor, ServiceContext
from server.storage.schema import Agent, Device, DeviceLink
from server.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class HandheldStatus:
    """One handheld as its last hello described it (None: never said, or not reported)."""

    name: str
    agent_code: str
    enabled: bool
    has_secret: bool
    offline_allowance: Decimal
    last_seen_at: datetime | None
    firmware: str | None
    battery_percent: int | None
    paper: str | None
    queue_depth: int | None  # sales in its journal still waiting for an answer
    signal_bars: int | None  # 0 to 5
    free_heap: int | None  # bytes
    transport: str | None  # "mqtt" or "http"

    def silent_since(self, now: datetime, after: timedelta) -> bool:
        """Not heard from for `after` (or never)."""
        return self.last_seen_at is None or now - self.last_seen_at >= after


def _status_fields(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def statuses(ctx: ServiceContext, actor: Actor) -> list[HandheldStatus]:
    """Every registered handheld with what its last hello said, by name."""
    actor.require(Permission.VIEW)

    def work(uow: UnitOfWork) -> list[HandheldStatus]:
        rows = uow.session.execute(
            select(Device, Agent.code, DeviceLink.last_status, DeviceLink.last_seen_at)
            .join(Agent, Agent.id == Device.agent_id)
            .outerjoin(DeviceLink, DeviceLink.device_id == Device.id)
            .order_by(Device.name)
        )
        money = ctx.currency.to_decimal
        found = []
        for device, code, last_status, last_seen_at in rows:
            said = _status_fields(last_status)
            found.append(
                HandheldStatus(
                    name=device.name,
                    agent_code=code,
                    enabled=device.enabled,
                    has_secret=device.secret is not None,
                    offline_allowance=money(device.offline_allowance),
                    last_seen_at=last_seen_at,
                    firmware=_text(said.get("fw")),
                    battery_percent=_int(said.get("bat")),
                    paper=_text(said.get("paper")),
                    queue_depth=_int(said.get("queue")),
                    signal_bars=_int(said.get("sig")),
                    free_heap=_int(said.get("heap")),
                    transport=_text(said.get("tr")),
                )
            )
        return found

    return ctx.transaction(work, read_only=True)


def silent(handhelds: list[HandheldStatus], now: datetime, minutes: int) -> list[HandheldStatus]:
    """The enabled ones not heard from for `minutes` (or never), the longest silent first."""
    after = timedelta(minutes=minutes)
    quiet = [h for h in handhelds if h.enabled and h.silent_since(now, after)]
    return sorted(quiet, key=lambda h: (h.last_seen_at is not None, h.last_seen_at or now))


def queued_sales(handhelds: list[HandheldStatus]) -> int:
    """Sales the enabled handhelds last reported holding unanswered (queue depths, summed)."""
    return sum(h.queue_depth or 0 for h in handhelds if h.enabled)
