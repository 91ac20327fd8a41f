"""Idempotency-Key on writes: replayed once answered, refused when reused for something else,
and a concurrent duplicate never acts twice."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub import pipeline
from orderhub.api import idempotency
from tests.api.helpers import Api, changed, counts, error_of
from tests.builders import order_payload
from tests.conftest import IS_POSTGRES
from tests.support.postgres import wait_for_lock_waiters


def _bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def test_same_key_and_body_replays_the_first_answer(api: Api) -> None:
    raw = _bytes(order_payload())
    first = api.post("/api/v1/orders", raw=raw, key="sync-0001")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    before = counts()
    again = api.post("/api/v1/orders", raw=raw, key="sync-0001")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert changed(before, counts()) == {}  # no upsert, no raw payload, no event, no audit


def test_same_key_with_another_body_is_refused(api: Api) -> None:
    api.post("/api/v1/orders", order_payload(), key="sync-0002")
    before = counts()
    other = api.post("/api/v1/orders", order_payload(), key="sync-0002")
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert changed(before, counts()) == {}


def test_same_key_on_another_route_is_refused(api: Api) -> None:
    order_no = api.post("/api/v1/orders", order_payload(), key="k-1").json()["order_no"]
    response = api.post(f"/api/v1/orders/{order_no}/cancel", {"reason": "x"}, key="k-1")
    assert response.status_code == 422 and error_of(response)["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_caller(api: Api) -> None:
    payload = order_payload()
    assert api.post("/api/v1/orders", payload, role="ops", key="1").status_code == 201
    theirs = api.post("/api/v1/orders", payload, role="cs", key="1")
    assert theirs.status_code == 200 and "idempotent-replayed" not in theirs.headers


def test_replayed_cancel_answers_200_not_illegal_transition(api: Api) -> None:
    order_no = api.create_order()["order_no"]
    path = f"/api/v1/orders/{order_no}/cancel"
    first = api.post(path, {"reason": "buyer asked"}, key="cancel-1")
    again = api.post(path, {"reason": "buyer asked"}, key="cancel-1")
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert api.post(path, {"reason": "buyer asked"}).status_code == 409  # without the key


def test_a_refused_request_does_not_use_up_its_key(api: Api) -> None:
    payload = order_payload(total="1.234")
    assert api.post("/api/v1/orders", payload, key="retry-me").status_code == 422
    payload["total"] = "379.00"
    assert api.post("/api/v1/orders", payload, key="retry-me").status_code == 201


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_key_must_be_1_to_200_characters(api: Api, key: str) -> None:
    response = api.client.post("/api/v1/orders", json=order_payload(),
                               headers=api.headers(**{"Idempotency-Key": key}))
    assert response.status_code == 422
    assert error_of(response)["details"]["errors"][0]["in"] == "header"


def test_a_duplicate_that_loses_the_race_gets_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The look-up misses a key another request committed a moment later: the unique index
    catches it and nothing the second request did survives."""
    raw = _bytes(order_payload())
    assert api.post("/api/v1/orders", raw=raw, key="race").status_code == 201
    monkeypatch.setattr(idempotency, "_stored", lambda session, who, key: None)
    before = counts()
    response = api.post("/api/v1/orders", raw=raw, key="race")
    assert response.status_code == 409 and error_of(response)["code"] == "idempotency_conflict"
    assert changed(before, counts()) == {}


def test_two_concurrent_requests_with_one_key_act_once(app: FastAPI, api: Api, engine: Engine,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Real concurrency: the first request holds its transaction open until the second has
    arrived. On PostgreSQL the second waits on the unique index and gets 409; SQLite serialises
    writers, so the second runs after the first committed and gets the replay."""
    receive, claimed = pipeline.receive_order, threading.Event()

    def slow_receive(*args: Any, **kwargs: Any) -> Any:
        if not claimed.is_set():  # the first request: its key's row is claimed, not committed
            claimed.set()
            _hold_until_a_request_waits_on_a_lock(engine)
        return receive(*args, **kwargs)

    monkeypatch.setattr(pipeline, "receive_order", slow_receive)
    raw = _bytes(order_payload())
    answers: list[tuple[int, str | None]] = []

    def send(after: threading.Event | None) -> None:
        with TestClient(app) as client:
            if after is not None:
                assert after.wait(timeout=120), "the first request never claimed its key"
            response = client.post("/api/v1/orders", content=raw, headers=api.headers(
                **{"Idempotency-Key": "twin", "Content-Type": "application/json"}))
            answers.append((response.status_code, response.headers.get("idempotent-replayed")))

    threads = [threading.Thread(target=send, args=(after,)) for after in (None, claimed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    second = (409, None) if IS_POSTGRES else (201, "true")
    assert sorted(answers, key=str) == sorted([(201, None), second], key=str)
    assert counts()["orders"] == 1 and counts()["idempotency"] == 1


def _hold_until_a_request_waits_on_a_lock(engine: Engine) -> None:
    """On PostgreSQL, until another backend of this database waits on a lock (the twin on the
    unique index); however slow the machine, the twin then arrives while the key is claimed.
    SQLite shows no waiters: a second is the twin's time to queue for the writer lock."""
    if IS_POSTGRES:
        wait_for_lock_waiters(engine, 1, timeout=120, never="the second request never waited on the key")
    else:
        time.sleep(1.0)
