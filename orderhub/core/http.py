"""One HTTP client per process (and timeout) for the platform and carrier connectors.

Creating an httpx.Client builds a TLS context and loads the CA bundle: 20–40 ms on this
machine, which a pull of a shop paid every time (a re-pull of 2,000 unchanged orders takes
about 250 ms in all). A shared client also keeps its connections to a platform alive between
pulls instead of leaving one pool per pull for the garbage collector. httpx.Client is safe to
use from several threads; a forked child process makes its own (the key holds the pid), as
connections must not be shared across processes.
"""

from __future__ import annotations

import os
from functools import lru_cache

import httpx


def shared_client(timeout: float) -> httpx.Client:
    return _client(os.getpid(), timeout)


@lru_cache(maxsize=16)
def _client(pid: int, timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout)
