"""What PostgreSQL's own views show the concurrency tests, and a lost connection on demand."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text


def waiting_on_locks(engine: Engine) -> int:
    """Backends of this database waiting on a lock (a row, a unique index entry)."""
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                "WHERE wait_event_type = 'Lock' AND datname = current_database()"))


def wait_for_lock_waiters(engine: Engine, count: int, *, timeout: float, never: str) -> None:
    """Until `count` backends wait on a lock: however slow the machine, they are queued then.
    `never` is the failure's message."""
    deadline = time.monotonic() + timeout
    while waiting_on_locks(engine) < count:
        assert time.monotonic() < deadline, never
        time.sleep(0.02)


def terminate_backend(engine: Engine, pid: int) -> None:
    """Ends another connection's backend, as a database restart or a network cut would."""
    with engine.connect() as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
