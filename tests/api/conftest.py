"""The API against the test database with real commits: an app, a client and keys for every role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.helpers import Api, make_api
from tests.support.app import shared_app


@pytest.fixture
def app(committed: Engine) -> FastAPI:
    return shared_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    """An API key per role, and the shop "own-store" (webhook channel) the examples send to."""
    return make_api(client)
