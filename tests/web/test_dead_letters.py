"""Dead letters in the console: listed for ops, retried with a form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from orderhub.core import outbox
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from tests.web.conftest import add_order, csrf_from, log_in


def _dead_event(order_no: str) -> int:
    with unit_of_work() as session:
        event = outbox.emit(session, "order.paid", aggregate_type="order", aggregate_id=1,
                            payload={"order_no": order_no})
        event.status, event.attempts = "dead", 6
        event.last_error = "ConnectError: <platform> did not answer"
        session.flush()
        return event.id


def test_dead_letters_are_listed_and_can_be_retried(client: TestClient) -> None:
    no = add_order()
    event_id = _dead_event(no)
    log_in(client, "olga", "ops")
    page = client.get("/dead-letters").text
    assert "买家已付款" in page and "order.paid" in page
    assert "ConnectError: &lt;platform&gt; did not answer" in page
    assert f'href="/orders/{no}"' in page and ">6<" in page

    token = csrf_from(client, "/dead-letters")
    done = client.post(f"/dead-letters/{event_id}/retry", data={"csrf_token": token})
    assert done.status_code == 200 and f"事件 {event_id} 已重新排队" in done.text
    assert "没有死信" in done.text
    with unit_of_work() as session:
        assert session.get(OutboxEvent, event_id).status == "pending"

    again = client.post(f"/dead-letters/{event_id}/retry", data={"csrf_token": token})
    assert "message-error" in again.text and "not dead" in again.text


def test_retry_needs_the_csrf_token(client: TestClient) -> None:
    event_id = _dead_event(add_order())
    log_in(client, "olga", "ops")
    assert client.post(f"/dead-letters/{event_id}/retry", data={}).status_code == 403
    with unit_of_work() as session:
        assert session.get(OutboxEvent, event_id).status == "dead"


def test_dead_letters_are_for_ops_only(client: TestClient) -> None:
    log_in(client, "mei", "cs")
    assert 'href="/dead-letters"' not in client.get("/orders").text
    refused = client.get("/dead-letters")
    assert refused.status_code == 403 and "客服" in refused.text
