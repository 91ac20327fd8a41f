"""Start-up objects are frozen out of the cyclic collector's scans, and still freed normally."""

from __future__ import annotations

import gc
import weakref

from fastapi import FastAPI

from orderhub.core.heap import freeze_startup_objects


class _Thing:
    pass


def test_start_up_objects_are_frozen_and_still_freed_by_reference_counting() -> None:
    try:
        kept = _Thing()
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        frozen_before = gc.get_freeze_count()
        probe = weakref.ref(kept)
        del kept  # a frozen object with no references left is freed at once
        assert probe() is None
        gc.collect()
        assert gc.get_freeze_count() <= frozen_before
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual


def test_the_served_app_is_the_full_app_with_a_frozen_heap() -> None:
    from orderhub.api.app import serve_app
    try:
        app = serve_app()
        assert isinstance(app, FastAPI)
        assert "/api/v1/orders" in app.openapi()["paths"]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
