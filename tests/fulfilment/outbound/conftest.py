"""Fixtures borrowed from other test packages: platform simulators and shops (the write-back
test), the console client (the page test) and the real server (the browser test)."""

from tests.channels.conftest import add_shop, make_sim  # noqa: F401
from tests.web.conftest import client  # noqa: F401
from tests.web.test_browser import server  # noqa: F401
