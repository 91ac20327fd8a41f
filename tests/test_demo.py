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
         "--duration", "30", "--seed", "11"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "password" in done.stdout and "新订单" in done.stdout
    db = sqlite3.connect(tmp_path / "data" / "orderhub.db")
    statuses = dict(db.execute("select status, count(*) from orders group by status").fetchall())
    held = db.execute("select count(*) from holds").fetchone()[0]
    handled = db.execute("select count(*) from handled_events").fetchone()[0]
    assert sum(statuses.values()) >= 10, statuses
    assert statuses.get("allocated", 0) >= 3, statuses  # stock reserved in a warehouse
    assert held >= 1, statuses  # the odd orders were caught by the default rules
    assert handled > 0  # the in-process worker ran handlers
    # Every platform's shop pulled its simulator; the stuck orders are on the SLA clock with the
    # team's people and the squeezed escalation chain; the notifiers point at their simulators.
    pulled = dict(db.execute("select s.channel, count(o.id) from shops s join orders o "
                             "on o.shop_id = s.id group by s.channel").fetchall())
    assert {"jd", "douyin", "pdd", "kuaishou", "shopify"} <= set(pulled), pulled
    stuck = db.execute("select count(*) from order_sla where stage = 'accept' and "
                       "deadline < datetime('now', '+5 minutes')").fetchone()[0]
    assert stuck >= 3
    assert db.execute("select count(*) from people").fetchone()[0] == 4
    enabled = {c for (c,) in db.execute("select channel from notifier_settings where enabled")}
    assert {"wecom", "dingtalk", "sms", "email"} <= enabled
    # The warehouse side: carrier accounts on the e-waybill simulators, carrier rules, and
    # Kuaidi100 pointed at its simulator (tracking pushes come back to this demo's address).
    sources = {s for (s,) in db.execute("select distinct source from carrier_accounts")}
    assert {"direct", "cainiao", "pdd"} <= sources
    assert db.execute("select count(*) from carrier_rules where is_default").fetchone()[0] == 1
    assert db.execute("select count(*) from kuaidi100_accounts").fetchone()[0] == 1
