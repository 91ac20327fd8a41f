"""The channel tests' platform simulators and shops, for the end-to-end fulfilment test."""

from tests.channels.conftest import add_shop, make_sim  # noqa: F401  (fixtures)
