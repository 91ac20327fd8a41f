"""The outbox handler that asks again for a waiting order's waybill.

While the carrier is still down the handler raises, so the worker retries the event with its
backoff (30 s, 90 s, 270 s, …) and finally dead-letters it where the console shows it. The
order's wait row keeps the reason people read ("ZTO down, retrying").
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.core import outbox
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers.service import (
    RETRY_TOPIC,
    Report,
    WaybillPending,
    call_all,
    prepare,
    record,
)


@outbox.handler(RETRY_TOPIC, name="carriers.retry_waybill")
def retry_waybill(session: Session, event: OutboxEvent) -> None:
    report = Report()
    jobs = prepare(session, order_ids=[int(event.payload["order_id"])], report=report)
    outcomes = call_all(jobs, max_workers=1)
    if any(o.retryable for o in outcomes):
        raise WaybillPending("; ".join(o.error for o in outcomes if o.retryable))
    record(session, outcomes, report=report, schedule_retry=False)
