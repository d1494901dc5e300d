"""What every service needs: units of work, the security module, the clock, the currency."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.domain.errors import Unavailable
from server.domain.money import Currency
from server.domain.roles import Permission, Role, require
from server.security.module import SecurityModule
from server.storage.database import is_retryable
from server.storage.unit_of_work import UnitOfWork

T = TypeVar("T")


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who is asking: an operator, a point-of-sale client, a device, or the local CLI."""

    kind: str  # "operator" | "pos" | "device" | "cli"
    name: str
    role: Role
    id: int | None = None
    agent_id: int | None = None  # the float a POS client or device sells from

    @property
    def ref(self) -> str:
        """A stable name for audit trails and for scoping request ids: 'operator:3'."""
        return f"{self.kind}:{self.id if self.id is not None else self.name}"

    def require(self, permission: Permission) -> None:
        """Raise Forbidden unless this actor's role allows `permission`."""
        require(self.role, permission)


class ExpiringCache:
    """A dict whose entries are forgotten `ttl` seconds after they were put in."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[object, tuple[float, object]] = {}

    def get(self, key: object) -> object | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: object, value: object) -> None:
        if len(self._entries) > 10_000:  # bounded: drop everything rather than grow forever
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._entries.clear()


class ServiceContext:
    """Shared by all requests of a process; holds no state of the business itself."""

    def __init__(
        self,
        engine: Engine,
        session_factory: sessionmaker[Session],
        *,
        currency: Currency,
        timezone: str = "UTC",
        security: SecurityModule | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.session_factory = session_factory
        self.currency = currency
        self.timezone: tzinfo = ZoneInfo(timezone)
        self._security = security
        self.clock = clock
        self._account_ids: dict[str, int] = {}
        # Values that never change once stored (tariff terms, sealed vending keys): safe to
        # keep for the life of the process, whatever other processes do.
        self.immutable: dict[tuple[object, ...], object] = {}
        # Answers that may be a little stale (API key checks): kept for `ttl` seconds.
        self.recent = ExpiringCache(ttl=30.0)

    @property
    def security(self) -> SecurityModule:
        """The security module; absent when this process was started without a master key."""
        if self._security is None:
            raise Unavailable(
                "no_master_key",
                "this needs the vending keys, but no master key was given "
                "(set GRIDVEND_MASTER_KEY_FILE)",
            )
        return self._security

    def now(self) -> datetime:
        """The current time in UTC (from the injected clock)."""
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now.astimezone(UTC)

    def month_of(self, when: datetime) -> int:
        """YYYYMM of `when` in the installation's time zone: block tariffs reset monthly."""
        local = when.astimezone(self.timezone)
        return local.year * 100 + local.month

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work (one transaction)."""
        return UnitOfWork(self.session_factory, self._account_ids, read_only=read_only)

    def transaction(
        self, work: Callable[[UnitOfWork], T], *, read_only: bool = False, attempts: int = 8
    ) -> T:
        """Run `work` in a unit of work, again from the start after a deadlock or
        serialization failure; `work` commits what it wants kept."""
        for attempt in range(1, attempts + 1):
            try:
                with self.unit_of_work(read_only=read_only) as uow:
                    return work(uow)
            except Exception as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        """Close every pooled database connection."""
        self.engine.dispose()
