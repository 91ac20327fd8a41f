"""Console test helpers: real commits (the app opens its own transactions), a logged-in client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.core import auth
from orderhub.core.db import unit_of_work
from tests.builders import TEST_ACTOR, make_order
from tests.support.app import shared_app

PASSWORD = "s3cret-passw0rd"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    with TestClient(shared_app()) as test_client:
        yield test_client


def add_user(username: str, role: str, *, display_name: str = "") -> None:
    with unit_of_work() as session:
        auth.create_user(session, username=username, role=role, password=PASSWORD,
                         actor=TEST_ACTOR, display_name=display_name)


def add_order(**overrides: object) -> str:
    """An own-store order received through the real use case; returns its order number."""
    with unit_of_work() as session:
        return make_order(session, **overrides).order_no


def log_in(client: TestClient, username: str, role: str = "cs") -> None:
    add_user(username, role)
    response = client.post("/login", data={"username": username, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_from(client: TestClient, path: str) -> str:
    match = CSRF_FIELD.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)
