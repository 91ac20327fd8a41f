"""Escalation timers in real worker processes against PostgreSQL: two workers at once send each
step once, and a worker killed and replaced later catches up on exactly the steps that came due
meanwhile, in order. Time is one file every process reads (tests/alerts/clock_plugin.py)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from orderhub.alerts import service
from orderhub.core.db import unit_of_work
from tests.alerts.helpers import actions, declare_jobs, log, make_crew, sent, simulators
from tests.support.processes import finish, start_worker

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 Beijing


def workers(clock_file, *, burst: bool = True, count: int = 1, name: str = "alerts"):
    return [start_worker(burst=burst, name=f"{name}-{n}", ORDERHUB_TEST_CLOCK_FILE=str(clock_file),
                         ORDERHUB_PLUGINS="tests.support.handlers,tests.alerts.clock_plugin",
                         ORDERHUB_OUTBOX_LEASE_SECONDS="20", ORDERHUB_WORKER_POLL_SECONDS="0.2")
            for n in range(count)]


def test_two_workers_and_a_restart_send_every_step_exactly_once(postgres_only, committed,
                                                                fake_clock, tmp_path) -> None:
    clock_file = tmp_path / "now"

    def set_time(moment: datetime) -> None:
        fake_clock.set(moment)
        clock_file.write_text(moment.isoformat())

    set_time(T0)
    declare_jobs()
    crew = make_crew()
    with simulators() as sims:
        with unit_of_work() as s:
            alert_id = service.raise_alert(s, kind="sla_breach", severity="critical",
                                           title="订单 N1 已超时", person_id=crew.agent,
                                           cause_key="test:n1").id
        for moment in (timedelta(0), timedelta(minutes=5, seconds=15),
                       timedelta(minutes=10, seconds=15)):
            set_time(T0 + moment)
            for proc in workers(clock_file, count=2, name=f"pair{moment.seconds}"):
                finish(proc, timeout=300)
        assert [(step, ch) for step, ch, _ in sent(alert_id)] == [(0, "inapp"), (1, "wecom"),
                                                                 (2, "sms")]
        assert len(sims.wecom.received) == 1 and len(sims.sms.received) == 1

        # A long-running worker takes step 3 (supervisor + reassignment) as its minute comes,
        # then is killed without warning.
        (victim,) = workers(clock_file, burst=False, name="victim")
        set_time(T0 + timedelta(minutes=15, seconds=15))
        _wait_for(lambda: len(sent(alert_id)) == 7, victim)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

        # Nobody runs while step 4 (manager) comes due; two new workers catch up, once.
        set_time(T0 + timedelta(minutes=31))
        for proc in workers(clock_file, count=2, name="after"):
            finish(proc, timeout=300)

    steps = [(step, ch, who) for step, ch, who in sent(alert_id)]
    assert Counter(steps).most_common(1)[0][1] == 1  # no message twice
    assert steps[3:] == [(3, "inapp", crew.supervisor), (3, "wecom", crew.supervisor),
                         (3, "sms", crew.supervisor), (0, "inapp", crew.backup),
                         (4, "inapp", crew.manager), (4, "wecom", crew.manager),
                         (4, "sms", crew.manager)]
    assert len(sims.wecom.received) == 3 and len(sims.sms.received) == 3
    assert actions(alert_id).count("reassigned") == 1
    escalated = [e.details["step"] for e in log(alert_id) if e.action == "escalated"]
    assert escalated == [1, 2, 3, 4]


def _wait_for(condition, proc, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early:\n{proc.communicate()[0]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"worker never got there:\n{proc.communicate()[0]}")
        time.sleep(0.1)
