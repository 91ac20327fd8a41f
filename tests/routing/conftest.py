"""API and console fixtures for routing tests (real commits; see tests/api and tests/web)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.helpers import Api, make_api
from tests.support.app import shared_app


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    with TestClient(shared_app()) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return make_api(client)
