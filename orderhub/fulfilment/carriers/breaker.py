"""A circuit breaker per carrier account: after `fail_max` failures in a row the account is
"open" and calls fail at once for `reset_seconds`; then one trial call is let through
("half-open"): success closes it, failure opens it again.

Hand-written (about 60 lines) rather than pybreaker because it must read OrderHub's clock (tests
move time), let exactly one trial through while many threads ask at once, and report its state
and last error for the console; pybreaker's time source is fixed and its states are classes.
State lives in the process: each worker learns for itself that a carrier is down, which only
costs `fail_max` failed calls per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderhub.core import clock

FAIL_MAX = 3
RESET_SECONDS = 30.0


class BreakerOpen(Exception):
    """Not calling: the account's carrier failed recently."""


@dataclass
class Breaker:
    fail_max: int = FAIL_MAX
    reset_seconds: float = RESET_SECONDS
    failures: int = 0
    opened_at: datetime | None = None
    trial_running: bool = False
    last_error: str = ""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if clock.now() - self.opened_at >= timedelta(seconds=self.reset_seconds):
            return "half-open"
        return "open"

    def before_call(self) -> None:
        """Raise BreakerOpen unless a call may go out now."""
        with self.lock:
            state = self.state
            if state == "closed":
                return
            if state == "half-open" and not self.trial_running:
                self.trial_running = True
                return
            raise BreakerOpen(f"circuit open after {self.failures} failures: {self.last_error}")

    def succeeded(self) -> None:
        with self.lock:
            self.failures, self.opened_at, self.trial_running = 0, None, False

    def failed(self, error: str) -> None:
        with self.lock:
            self.failures += 1
            self.last_error = error
            if self.trial_running or self.failures >= self.fail_max:
                self.opened_at = clock.now()
            self.trial_running = False


_breakers: dict[int, Breaker] = {}
_registry_lock = threading.Lock()
settings = {"fail_max": FAIL_MAX, "reset_seconds": RESET_SECONDS}  # tests and bench tune these


def for_account(account_id: int) -> Breaker:
    with _registry_lock:
        if account_id not in _breakers:
            _breakers[account_id] = Breaker(fail_max=settings["fail_max"],
                                            reset_seconds=settings["reset_seconds"])
        return _breakers[account_id]


def reset_all() -> None:
    with _registry_lock:
        _breakers.clear()
