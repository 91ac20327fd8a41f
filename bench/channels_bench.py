"""Channel intake: orders per second from simulator pages into the database through the full
connector path (signing, HTTP, paging, mapping, validation, upsert with change detection, raw
payloads, audit rows, events; rules and allocation are deferred to the worker), beside a raw
bulk insert of the same rows in the same run.

    python bench/channels_bench.py                                  # SQLite, every platform
    python bench/channels_bench.py --db postgresql://postgres@127.0.0.1:5432/oh_channels
    python bench/channels_bench.py --platforms taobao,pdd --orders 3000
    python bench/channels_bench.py --platforms jd        # one platform, to iterate fast

Each platform's simulator runs as a process of its own (`orderhub sim`), as a platform is another
machine; the pull fetches the next pages while it stores, and stores the pages that arrived
meanwhile together, in one transaction (see channels/sync.py).

For each platform, into a fresh shop:
  first ingest     a day of --orders orders pulled from the simulator into an empty shop
  re-pull          the same span pulled again: nothing changed, nothing written
  transport only   the connector alone (HTTP + signing + paging + mapping), nothing stored
  raw insert       the same orders and lines as plain multi-row INSERTs (executemany), once
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--platforms", default="taobao,jd,douyin,pdd,kuaishou,shopify")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='orderhub-ch-bench-')) / 'b.db'}"
    os.environ["ORDERHUB_DATABASE_URL"] = url
    os.environ.setdefault("ORDERHUB_DATA_DIR", tempfile.mkdtemp(prefix="orderhub-ch-bench-"))
    os.environ["ORDERHUB_CHANNEL_FIRST_PULL_HOURS"] = "25"  # the simulator's day, whole

    from orderhub.core.db import get_engine
    from orderhub.core.heap import freeze_startup_objects
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.schema import migrate

    migrate(url)
    engine = get_engine()
    order_numbers(engine, get_settings().timezone).prime()
    freeze_startup_objects()  # as `orderhub worker` does once started (pulls run there)
    _install_defaults(engine)
    rows = [_measure(engine, platform, args.orders) for platform in args.platforms.split(",")]
    _print(rows, engine, args.orders)
    return 0


def _install_defaults(engine) -> None:
    from orderhub.core.actor import Actor
    from orderhub.core.db import unit_of_work
    from orderhub.inventory.demo import seed_demo_stock
    from orderhub.rules.pack import install_default_pack
    with unit_of_work(engine) as session:
        install_default_pack(session, actor=Actor.system("bench"))
        seed_demo_stock(session, actor=Actor.system("bench"))


def _measure(engine, platform: str, count: int) -> dict:
    from orderhub.channels import service, sync
    from orderhub.channels.base import windows
    from orderhub.channels.models import ChannelAccount
    from orderhub.core.actor import Actor
    from orderhub.core.db import unit_of_work

    sim, url = _start_simulator(platform, count)
    now = datetime.now(UTC)
    name = f"bench-{platform}-{int(time.time())}"
    with unit_of_work(engine) as session:
        shop_id = service.add_shop(session, name=name, channel=platform,
                                   actor=Actor.system("bench"), base_url=url,
                                   **SIM_CREDENTIALS).shop.id
    try:
        load = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        first = sync.pull_shop(engine, shop_id=shop_id)
        first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert first.outcome == "ok", first.error
        with unit_of_work(engine) as session:
            session.get(ChannelAccount, shop_id).checkpoint = None
        t0, c0 = time.perf_counter(), time.process_time()
        again = sync.pull_shop(engine, shop_id=shop_id)
        again_s, again_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert again.stored.created == 0 and again.stored.updated == 0, again.stored
        with unit_of_work(engine) as session:
            shop, account = sync._load(session, shop_id)
            connector = service.connector_for(shop, account)
        t0 = time.perf_counter()
        pulled = [o for s, e in windows(now - timedelta(hours=25), now, connector.max_window)
                  for page in connector.pull(s, e) for o in page.orders]
        transport_s = time.perf_counter() - t0
        # An order modified on a window's boundary second comes in both windows (platforms
        # include both ends); the pull stores it once, and so does the baseline.
        pulled = list({o.order["platform_order_id"]: o for o in pulled}.values())
        raw_s = _raw_insert(engine, platform, pulled)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    return {"platform": platform, "orders": first.stored.created, "first": first_s,
            "again": again_s, "transport": transport_s, "raw": raw_s,
            "requests": first.requests, "first_cpu": first_cpu, "again_cpu": again_cpu,
            "load": load}


SIM_CREDENTIALS = {"app_key": "sim-app-key", "app_secret": "sim-app-secret",
                   "access_token": "sim-access-token", "extra": {}}


def _start_simulator(platform: str, count: int) -> tuple[subprocess.Popen, str]:
    """`orderhub sim PLATFORM` with `count` orders over the last 24 hours, as its own process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "orderhub.cli", "sim", platform, "--port",
                             str(port), "--orders", str(count), "--every", "0", "--seed", "11"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_sim/truth", timeout=1).status_code == 200:
                time.sleep(1.1)  # platforms query whole seconds: let the last order's second end
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the {platform} simulator did not start")


def _raw_insert(engine, platform: str, pulled: list) -> float:
    """The same orders as plain INSERTs: header rows in one executemany, lines in another."""
    from sqlalchemy import insert, select

    from orderhub.core.actor import Actor
    from orderhub.core.db import unit_of_work
    from orderhub.orders.models import Order, OrderLine
    from orderhub.orders.service import create_shop

    with unit_of_work(engine) as session:
        shop_id = create_shop(session, name=f"raw-{platform}-{int(time.time())}", channel=platform,
                              actor=Actor.system("bench")).id
    stamp = datetime.now(UTC)
    headers, lines = [], []
    for i, p in enumerate(pulled):
        o, r = p.order, p.order["receiver"]
        headers.append({
            "order_no": f"RAW{platform[:3].upper()}{stamp:%H%M%S}{i:08d}"[:20], "shop_id": shop_id,
            "channel": platform, "platform_order_id": o["platform_order_id"], "status": "paid",
            "receiver_name": r.get("name", ""), "receiver_phone": r.get("phone", ""),
            "receiver_province": r.get("province", ""), "receiver_city": r.get("city", ""),
            "receiver_district": r.get("district", ""), "receiver_detail": r.get("address", ""),
            "buyer_remark": o.get("buyer_remark", ""), "currency": o.get("currency", "CNY"),
            "total": int(Decimal(str(o.get("total") or 0)) * 100), "created_at": o["created_at"],
            "paid_at": o.get("paid_at"), "modified_at": o.get("modified_at"),
            "tags": [], "attributes": {}, "received_at": stamp, "updated_at": stamp, "version": 1})
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Order.__table__), headers)
        ids = dict(conn.execute(select(Order.platform_order_id, Order.id)
                                .where(Order.shop_id == shop_id)).all())
        for p in pulled:
            for n, line in enumerate(p.order["lines"], 1):
                lines.append({"order_id": ids[p.order["platform_order_id"]], "line_no": n,
                              "platform_sku": line["platform_sku"], "title": line.get("title", ""),
                              "quantity": line["quantity"],
                              "unit_price": int(Decimal(str(line["unit_price"])) * 100),
                              "discount": int(Decimal(str(line.get("discount") or 0)) * 100)})
        conn.execute(insert(OrderLine.__table__), lines)
    return time.perf_counter() - t0


def _print(rows: list[dict], engine, count: int) -> None:
    import platform as host
    print(f"\nchannel intake, {count} orders a day per platform; database: {engine.dialect.name}; "
          f"{host.processor() or host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}")
    # cpu ms/order: this process's CPU (both threads) per order, which other work on the
    # machine disturbs less than the rates; load: the 1-minute load average as the platform began.
    print(f"{'platform':<10}{'requests':>9}{'first ingest/s':>16}{'re-pull/s':>12}"
          f"{'re-pull x':>11}{'transport/s':>13}{'raw insert/s':>14}{'ingest/raw':>12}"
          f"{'cpu ms/order':>14}{'re-pull cpu':>13}{'load':>6}")
    for r in rows:
        n = r["orders"]
        print(f"{r['platform']:<10}{r['requests']:>9}{n / r['first']:>16.0f}{n / r['again']:>12.0f}"
              f"{r['first'] / r['again']:>11.1f}{n / r['transport']:>13.0f}{n / r['raw']:>14.0f}"
              f"{r['raw'] / r['first']:>12.3f}{1000 * r['first_cpu'] / n:>14.2f}"
              f"{1000 * r['again_cpu'] / n:>13.2f}{r['load']:>6.1f}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
