"""What the messaging simulators (WeCom, DingTalk, Aliyun SMS) share: a record of what they
received, the same Faults as the platform simulators, and the same HTTP server plumbing.

A service module subclasses `ServiceSim`, checks keys and signatures exactly as the real
service does, answers in its real shapes, and calls `self.accept(...)` for what got through.
Control endpoints under /_sim/: GET received, POST faults, POST reset.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from orderhub.core import clock
from orderhub.sim.platform import Faults, HttpServing, SimRequest, SimResponse


class ServiceSim(HttpServing, ABC):
    name = "service"

    def __init__(self, *, now: Callable[[], datetime] = clock.now, per_minute: int = 0) -> None:
        # The service's own clock: clock.now by default, so a test's fake clock moves both ends.
        self.now = now
        self.per_minute = per_minute  # the service's own rate limit (0 = none)
        self._recent: deque[datetime] = deque()
        self.faults = Faults()
        self.received: list[dict[str, Any]] = []  # what the service accepted, in order
        self.refused: Counter[str] = Counter()  # refusals by reason (bad key, throttled, …)
        self.calls = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @abstractmethod
    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one call (faults already applied)."""

    @abstractmethod
    def throttled(self, request: SimRequest) -> SimResponse:
        """The service's answer when called too often."""

    def accept(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(record)

    def refuse(self, reason: str, response: SimResponse) -> SimResponse:
        with self._lock:
            self.refused[reason] += 1
        return response

    def within_rate(self) -> bool:
        """The service's sliding one-minute limit, on its own clock."""
        if not self.per_minute:
            return True
        now = self.now()
        with self._lock:
            while self._recent and self._recent[0] <= now - timedelta(minutes=1):
                self._recent.popleft()
            if len(self._recent) >= self.per_minute:
                return False
            self._recent.append(now)
            return True

    def dispatch(self, request: SimRequest) -> SimResponse:
        if request.path.startswith("/_sim/"):
            return self._control(request)
        with self._lock:
            self.calls += 1
            fault = self._take_fault(self.calls)
        if self.faults.slow_seconds:
            time.sleep(self.faults.slow_seconds)
        if fault == "throttle":
            return self.refuse("throttled", self.throttled(request))
        if fault == "error":
            return self.refuse("error", SimResponse(502, "<html><body>502 Bad Gateway</body></html>"))
        if fault == "timeout":
            self.refused["timeout"] += 1
            time.sleep(self.faults.hang_seconds)
        return self.handle(request)

    def _take_fault(self, call_no: int) -> str | None:
        f = self.faults
        for name, kind in (("errors", "error"), ("timeouts", "timeout"), ("throttle", "throttle")):
            if getattr(f, name) > 0:
                setattr(f, name, getattr(f, name) - 1)
                return kind
        if f.throttle_every and call_no % f.throttle_every == 0:
            return "throttle"
        return None

    def _control(self, request: SimRequest) -> SimResponse:
        action = request.path.removeprefix("/_sim/").strip("/")
        if action == "received":
            with self._lock:
                return SimResponse(200, {"received": list(self.received),
                                         "refused": dict(self.refused), "calls": self.calls})
        if action == "faults" and request.method == "POST":
            try:
                self.faults.update(request.json() or {})
            except (ValueError, TypeError) as exc:
                return SimResponse(400, {"error": str(exc)})
            return SimResponse(200, asdict(self.faults))
        if action == "reset" and request.method == "POST":
            with self._lock:
                self.received.clear()
                self.refused.clear()
                self.faults = Faults()
                self._recent.clear()
            return SimResponse(200, {"reset": True})
        return SimResponse(404, {"error": f"no control action {action!r}",
                                 "actions": ["GET received", "POST faults", "POST reset"]})

