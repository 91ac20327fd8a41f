"""The API fixtures (app, client, keys for every role) for the rules API tests."""

from tests.api.conftest import api, app, client  # noqa: F401
