"""Throttling password and code guessing: a sliding window of failures per key, counted
together for the login page and the API's POST /api/v1/auth/token (one LoginThrottle per
app, in app.state.login_throttle).

Kept in this process's memory: with several server processes each counts on its own, so the
limits multiply by the process count but stay bounded. A success clears the key's record.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FailureWindow:
    """At most `limit` failures per key within `window` seconds."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again (0 when it may try now)."""
        with self._lock:
            recent = self._recent(key)
            if len(recent) < self.limit:
                return 0.0
            return max(0.0, recent[0] + self.window - self.clock())

    def fail(self, key: str) -> None:
        """Count one failure for `key`."""
        with self._lock:
            if len(self._failures) > 50_000:  # bounded: an attack on many keys cannot grow it
                self._failures.clear()
            self._recent(key).append(self.clock())

    def succeed(self, key: str) -> None:
        """Forget `key`'s failures."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        entries = self._failures.setdefault(key, deque())
        horizon = self.clock() - self.window
        while entries and entries[0] <= horizon:
            entries.popleft()
        return entries


def code_key(operator_id: int) -> str:
    """The key wrong TOTP codes are counted under: per operator, pages and API together."""
    return f"operator:{operator_id}"


@dataclass
class LoginThrottle:
    """The limits the login pages apply: per username, per client address, per second factor."""

    per_user: FailureWindow = field(default_factory=lambda: FailureWindow(5, 15 * 60))
    per_address: FailureWindow = field(default_factory=lambda: FailureWindow(30, 15 * 60))
    per_code: FailureWindow = field(default_factory=lambda: FailureWindow(5, 15 * 60))

    def password_wait(self, username: str, address: str) -> float:
        """Seconds before this username or address may try a password again."""
        return max(
            self.per_user.retry_after(username.strip().lower()),
            self.per_address.retry_after(address),
        )

    def password_failed(self, username: str, address: str) -> None:
        self.per_user.fail(username.strip().lower())
        self.per_address.fail(address)

    def password_passed(self, username: str) -> None:
        self.per_user.succeed(username.strip().lower())
