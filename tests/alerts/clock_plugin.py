"""Loaded into worker subprocesses (ORDERHUB_PLUGINS): their clock reads the moment a test
writes to $ORDERHUB_TEST_CLOCK_FILE, so a test moves time for every process at once."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from orderhub.core import clock


def file_clock(path: Path):
    def now() -> datetime:
        return datetime.fromisoformat(path.read_text().strip())
    return now


if os.environ.get("ORDERHUB_TEST_CLOCK_FILE"):
    clock.set_clock(file_clock(Path(os.environ["ORDERHUB_TEST_CLOCK_FILE"])))
