"""Handlers for worker subprocesses started by tests (ORDERHUB_PLUGINS=tests.support.handlers).

test.slow  — writes a side-effect row, touches $ORDERHUB_TEST_SIGNAL_FILE, then sleeps
             $ORDERHUB_TEST_HANDLER_SLEEP seconds: the test kills or stops the worker meanwhile.
test.drain — writes a side-effect row, nothing else (many workers draining one queue).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy.orm import Session

from orderhub.core import outbox
from orderhub.core.models import OutboxEvent
from tests.support.tables import side_effects


def _write_side_effect(session: Session, event: OutboxEvent) -> None:
    session.execute(side_effects.insert().values(event_id=event.id, pid=os.getpid()))


@outbox.handler("test.slow", name="tests.support.slow")
def slow(session: Session, event: OutboxEvent) -> None:
    _write_side_effect(session, event)
    signal_file = os.environ.get("ORDERHUB_TEST_SIGNAL_FILE")
    if signal_file:
        Path(signal_file).touch()
    time.sleep(float(os.environ.get("ORDERHUB_TEST_HANDLER_SLEEP", "0")))


@outbox.handler("test.drain", name="tests.support.drain")
def drain(session: Session, event: OutboxEvent) -> None:
    _write_side_effect(session, event)
