"""Typed helpers for the API tests: callers with a role, and row counts to prove nothing changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from orderhub.core.auth import ROLES, create_api_key
from orderhub.core.db import unit_of_work
from orderhub.core.models import AuditEntry, IdempotencyRecord, OutboxEvent, QuarantinedInput
from orderhub.orders.models import Hold, Order, OrderLine, RawPayload
from tests.builders import TEST_ACTOR, ensure_shop, order_payload

COUNTED = {"orders": Order, "lines": OrderLine, "holds": Hold, "raw_payloads": RawPayload,
           "events": OutboxEvent, "audit": AuditEntry, "idempotency": IdempotencyRecord,
           "quarantine": QuarantinedInput}


@dataclass
class Api:
    client: TestClient
    secrets: dict[str, str]

    def headers(self, role: str = "admin", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[role]}", **extra}

    def get(self, path: str, *, role: str = "admin", **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(role), **kwargs)

    def post(self, path: str, body: Any = None, *, role: str = "admin", key: str | None = None,
             raw: bytes | None = None) -> httpx.Response:
        """POST `body` as JSON, or `raw` bytes as they are; `key` is the Idempotency-Key."""
        headers = self.headers(role, **({"Idempotency-Key": key} if key else {}))
        content = raw if raw is not None else json.dumps(body if body is not None else {},
                                                         ensure_ascii=False).encode()
        return self.client.post(path, content=content,
                                headers={"Content-Type": "application/json", **headers})

    def create_order(self, **overrides: Any) -> dict[str, Any]:
        response = self.post("/api/v1/orders", order_payload(**overrides))
        assert response.status_code == 201, response.text
        return response.json()


def make_api(client: TestClient) -> Api:
    with unit_of_work() as session:
        ensure_shop(session)
        secrets = {role: create_api_key(session, name=f"{role}-key", role=role,
                                        actor=TEST_ACTOR)[1] for role in ROLES}
    return Api(client=client, secrets=secrets)


def counts() -> dict[str, int]:
    with unit_of_work() as session:
        return {name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in COUNTED.items()}


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Only the tables whose row count moved, with the difference."""
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]
