"""The API fixtures (app, client, keys for every role) for the SKU mapping API and console tests."""

from tests.api.conftest import api, app, client  # noqa: F401
