"""`orderhub demo` on the embedded default: server, worker and simulated store in one process."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_receives_orders_over_http_and_stops(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ORDERHUB_DATABASE_URL"}
    env |= {"ORDERHUB_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": os.getcwd(), "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, "-m", "orderhub.cli", "demo", "--port", str(_free_port()), "--every", "0.3",
         "--duration", "6"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "password" in done.stdout and "新订单" in done.stdout
    db = sqlite3.connect(tmp_path / "data" / "orderhub.db")
    orders = db.execute("select count(*) from orders").fetchone()[0]
    pending = db.execute("select count(*) from outbox_events where status = 'pending'").fetchone()[0]
    done_events = db.execute("select count(*) from outbox_events where status = 'done'").fetchone()[0]
    assert orders >= 5
    assert done_events > 0 and pending <= 3  # the in-process worker keeps up
