"""Test database: the same suite runs on SQLite (default) and on PostgreSQL when
ORDERHUB_TEST_DATABASE_URL points at one. The schema is built with the Alembic migrations."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example time limit anywhere: on a slow or loaded machine a 200 ms deadline fails
# examples that are merely slow, which says nothing about the code.
settings.register_profile("orderhub", deadline=None)
settings.load_profile("orderhub")

_TMP = Path(tempfile.mkdtemp(prefix="orderhub-test-"))
TEST_DB_URL = os.environ.get("ORDERHUB_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
# Everything that reads settings (the app, the CLI, worker subprocesses) uses the test database.
os.environ["ORDERHUB_DATABASE_URL"] = TEST_DB_URL
os.environ["ORDERHUB_DATA_DIR"] = str(_TMP / "data")
# Argon2's real parameters cost ~50 ms a hash; the suite makes hundreds of users and logins.
os.environ["ORDERHUB_PASSWORD_HASH_PROFILE"] = "cheapest"

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from orderhub.core.db import get_engine, is_postgres  # noqa: E402
from orderhub.core.ids import order_numbers  # noqa: E402
from orderhub.core.settings import get_settings  # noqa: E402
from orderhub.schema import metadata, migrate  # noqa: E402

IS_POSTGRES = TEST_DB_URL.startswith("postgresql")
pytest_plugins = ["tests.support.fixtures"]


def pytest_report_header(config: pytest.Config) -> str:
    return f"orderhub test database: {TEST_DB_URL}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL only the tests that use the database run (every one that does takes the
    `engine` fixture, directly or through `session`, `committed`, the API client…): the rest
    (parsing, signing, scoring, wire formats, rendering) ran on SQLite and would repeat the
    same work. A SQLite run that recorded every statement saw none from those tests."""
    if not IS_POSTGRES:
        return
    uses_db, pure = [], []
    for item in items:
        (uses_db if "engine" in getattr(item, "fixturenames", ()) else pure).append(item)
    if pure:
        config.hook.pytest_deselected(items=pure)
        items[:] = uses_db


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    migrate(TEST_DB_URL)
    eng = get_engine()
    _wipe(eng)
    # Lease this process's order-number node before any test opens a transaction (SQLite has a
    # single writer, and the lease is a transaction of its own).
    order_numbers(eng, get_settings().timezone).prime()
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test: services flush, never commit."""
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def committed(engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits (API, workers, other processes): rows removed afterwards."""
    _wipe(engine)
    yield engine
    _wipe(engine)


@pytest.fixture
def postgres_only(engine: Engine) -> Engine:
    if not is_postgres(engine):
        pytest.skip("concurrency proof needs PostgreSQL (set ORDERHUB_TEST_DATABASE_URL)")
    return engine


def _wipe(engine: Engine) -> None:
    keep = {"number_nodes"}
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name not in keep:
                conn.execute(table.delete())
        if is_postgres(engine):
            conn.execute(text("SELECT 1"))
