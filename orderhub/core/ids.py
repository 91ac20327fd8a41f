"""Global order numbers: unique across channels, time-sortable, 20 characters, readable over the phone.

Layout (all upper-case Crockford base32, which has no I, L, O or U to mishear):

    YYMMDD  TTTTTT  NNNN  SSSS
    date    ms of the day (local business time)  node  sequence

The node is leased once per process from the database (a row in number_nodes), so two processes
never share one, and the sequence is a per-process counter: no lock or round trip on the hot
path, and no two processes can ever produce the same number.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from orderhub.core import clock
from orderhub.core.models import NumberNode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NODE_SPACE = 32**4
_SEQ_SPACE = 32**4


def b32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rem = divmod(value, 32)
        chars.append(ALPHABET[rem])
    if value:
        raise ValueError("value does not fit")
    return "".join(reversed(chars))


# Every two-character code: a number below 32**4 (or 32**6) is two (three) look-ups, not a loop.
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]


def _b32_4(value: int) -> str:
    return _PAIRS[value >> 10] + _PAIRS[value & 1023]


def _b32_6(value: int) -> str:
    return _PAIRS[value >> 20] + _PAIRS[(value >> 10) & 1023] + _PAIRS[value & 1023]


def compose(at: datetime, node: int, seq: int, zone: str = "Asia/Shanghai") -> str:
    local = at.astimezone(ZoneInfo(zone))
    ms_of_day = ((local.hour * 60 + local.minute) * 60 + local.second) * 1000 + local.microsecond // 1000
    return local.strftime("%y%m%d") + b32(ms_of_day, 6) + b32(node % _NODE_SPACE, 4) + b32(seq, 4)


class OrderNumbers:
    """Per-process generator. Thread-safe; forks re-lease a node (the pid changes)."""

    def __init__(self, engine: Engine, zone: str = "Asia/Shanghai") -> None:
        self._engine = engine
        self._zone = zone
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._node = 0
        self._last_ms = -1
        self._seq = 0
        # The local date and ms of the day at the start of the last second numbered: a time
        # zone's offset changes on whole seconds, so within one second only the ms move, and
        # the conversion to local time (most of a number's cost) is done once a second.
        self._second: int | None = None
        self._day = ""
        self._second_ms = 0
        self._node_code = ""

    def next(self) -> str:
        with self._lock:
            if self._pid != os.getpid():
                self._prime_locked()
            now = clock.now()
            ms = int(now.timestamp() * 1000)
            if ms < self._last_ms:  # the wall clock stepped back: stay on the last millisecond
                ms = self._last_ms
            if ms == self._last_ms:
                self._seq += 1
                if self._seq >= _SEQ_SPACE:  # a million in one ms: move on to the next ms
                    ms, self._seq = ms + 1, 0
            else:
                self._seq = 0
            self._last_ms = ms
            second, milli = divmod(ms, 1000)
            if second != self._second:
                local = datetime.fromtimestamp(second, tz=now.tzinfo).astimezone(ZoneInfo(self._zone))
                self._day = local.strftime("%y%m%d")
                self._second_ms = ((local.hour * 60 + local.minute) * 60 + local.second) * 1000
                self._second = second
            return self._day + _b32_6(self._second_ms + milli) + self._node_code + _b32_4(self._seq)

    def prime(self) -> None:
        """Lease the node now. On SQLite this must happen outside any open transaction: the
        lease is its own transaction and SQLite has a single writer, so call it at start-up."""
        with self._lock:
            if self._pid != os.getpid():
                self._prime_locked()

    def _prime_locked(self) -> None:
        self._node = self._lease_node()
        self._node_code = b32(self._node % _NODE_SPACE, 4)
        self._pid = os.getpid()
        self._last_ms, self._seq = -1, 0

    def _lease_node(self) -> int:
        # Its own short transaction, outside the caller's: the lease must survive a rollback.
        with self._engine.begin() as conn:
            result = conn.execute(NumberNode.__table__.insert().values(
                host=socket.gethostname()[:255], pid=os.getpid(), leased_at=clock.now()))
            return int(result.inserted_primary_key[0])


_generators: dict[int, OrderNumbers] = {}
_generators_lock = threading.Lock()


def order_numbers(bind: Engine | Connection, zone: str) -> OrderNumbers:
    engine = bind.engine if isinstance(bind, Connection) else bind
    with _generators_lock:
        gen = _generators.get(id(engine))
        if gen is None:
            gen = _generators[id(engine)] = OrderNumbers(engine, zone)
        return gen
