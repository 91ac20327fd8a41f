"""One OrderHub app for the whole test run.

FastAPI builds an app's routes (dependants, validators) on the app's first request: a third of a
second for OrderHub's routes, which was more than half the time of the API and console tests
while each test built its own app. Nothing in the app belongs to one test: settings, the
database and the clock are read per request. A test that adds routes to an app builds its own
with create_app()."""

from __future__ import annotations

import functools

from fastapi import FastAPI
from fastapi.testclient import TestClient

from orderhub.api.app import create_app


@functools.cache
def shared_app() -> FastAPI:
    app = create_app()
    # A path no route takes makes FastAPI build every route now, not inside the first test's
    # request, where a slow machine could run past an HTTP client's timeout.
    assert TestClient(app).get("/_no_such_page").status_code == 404
    return app
