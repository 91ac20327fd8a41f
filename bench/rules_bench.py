"""Rule evaluation cost: the default pack plus extra rules (50 enabled) on one order.

    python bench/rules_bench.py                       # SQLite in a temporary directory
    python bench/rules_bench.py --db postgresql://postgres@127.0.0.1:5432/oh_rules_bench

Three figures, each as median / p99 over --runs repetitions:

  match      the 50 compiled conditions against one prebuilt context (pure rule-engine work)
  context    building that context: SKU facts, address parse, phone, and the history queries
             the enabled rules reference
  evaluate   rules.service.evaluate end to end on a fresh order (context + match + firings +
             actions: holds, tags, events), inside a transaction rolled back after each run
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package

# Seller-style rules that a typical order does not match (as most rules, most of the time).
EXTRA_CONDITIONS = [
    "order.total > {n}0000", 'order.channel == "jd" and order.total > {n}',
    'receiver.province == "新疆维吾尔自治区" and order.item_count > {n}',
    "order.item_count >= {n}0 and not order.presale", 'order.buyer_remark =~ ".*加急{n}.*"',
    '"vip{n}" in order.tags', 'order.minutes_since_paid > {n}000 and order.status == "paid"',
    'receiver.parsed.confidence < 0.{n} and receiver.phone_kind != "mobile"',
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--rules", type=int, default=50, help="enabled rules in total")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp(prefix='orderhub-rules-bench-')) / 'b.db'}"
    os.environ["ORDERHUB_DATABASE_URL"] = url
    os.environ.setdefault("ORDERHUB_DATA_DIR", tempfile.mkdtemp(prefix="orderhub-rules-bench-"))

    from sqlalchemy.orm import Session

    from orderhub.core.actor import Actor
    from orderhub.core.db import get_engine
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.inventory.masterdata import upsert_sku
    from orderhub.orders.schemas import OrderIn
    from orderhub.orders.service import create_shop, receive_order
    from orderhub.rules import context
    from orderhub.rules.editing import create_rule
    from orderhub.rules.pack import DEFAULT_RULES, install_default_pack
    from orderhub.rules.service import evaluate, rules_for
    from orderhub.schema import migrate

    actor = Actor.system("bench")
    migrate(url)
    engine = get_engine()
    order_numbers(engine, get_settings().timezone).prime()
    with Session(engine) as session:
        install_default_pack(session, actor=actor)
        on_created = sum("order.created" in r["triggers"] for r in DEFAULT_RULES)
        for n in range(args.rules - on_created):  # so that `args.rules` run on order.created
            condition = EXTRA_CONDITIONS[n % len(EXTRA_CONDITIONS)].format(n=n % 9 + 1)
            create_rule(session, actor=actor, data={
                "key": f"bench-{n}", "name": f"bench {n}", "condition": condition,
                "triggers": ["order.created", "order.paid"], "priority": n,
                "actions": [{"type": "tag", "tag": f"b{n}"}]})
        upsert_sku(session, code="BENCH-1", name="羽绒服", actor=actor)
        upsert_sku(session, code="BENCH-1", category="服装", actor=actor)
        create_shop(session, name="own-store", channel="webhook", actor=actor)
        session.commit()

    def payload(n: int) -> dict:
        from orderhub.core import clock
        return {"shop": "own-store", "platform_order_id": f"B-{n}", "status": "paid",
                "created_at": clock.now().isoformat(), "paid_at": clock.now().isoformat(),
                "buyer": {"id": f"u-{n % 50}", "nick": "x"},
                "receiver": {"name": f"张{n % 7}", "phone": f"1380013{n % 10000:04d}",
                             "province": "浙江省", "city": "杭州市", "district": "西湖区",
                             "address": "文三路90号东部软件园3号楼"},
                "buyer_remark": "", "currency": "CNY",
                "lines": [{"platform_sku": "P1", "sku": "BENCH-1", "title": "羽绒服", "quantity": 1,
                           "unit_price": "399.00"}], "total": "399.00"}

    # Some history for the history queries to walk.
    with Session(engine) as session:
        for n in range(2000):
            data = payload(n)
            receive_order(session, data=OrderIn.model_validate(data), raw=data, source="bench",
                          actor=actor)
        session.commit()

    match_ms, context_ms, evaluate_ms = [], [], []
    with Session(engine) as session:
        loaded = rules_for(session, "order.created")
        assert len(loaded) == args.rules, len(loaded)
        wanted = frozenset().union(*(item.compiled.history_fields for item in loaded))
        data = payload(999_999)
        order = receive_order(session, data=OrderIn.model_validate(data), raw=data,
                              source="bench", actor=actor).order
        session.flush()
        for _ in range(args.runs):
            started = time.perf_counter()
            ctx = context.build(session, order, trigger="order.created", history_fields=wanted)
            context_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            for item in loaded:
                item.compiled.matches(ctx)
            match_ms.append((time.perf_counter() - started) * 1000)
        session.rollback()
        for n in range(args.runs):
            data = payload(1_000_000 + n)
            order = receive_order(session, data=OrderIn.model_validate(data), raw=data,
                                  source="bench", actor=actor).order
            started = time.perf_counter()
            evaluate(session, order=order, trigger="order.created", actor=actor)
            evaluate_ms.append((time.perf_counter() - started) * 1000)
            session.rollback()

    print(f"database: {engine.dialect.name}; rules enabled for order.created: {len(loaded)}; "
          f"history fields queried: {sorted(wanted)}; runs: {args.runs}")
    for name, values in ((f"match ({len(loaded)} conditions)", match_ms), ("context build", context_ms),
                         ("evaluate end to end", evaluate_ms)):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"{name:24s} median {statistics.median(values):7.3f} ms   p99 {p99:7.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
