"""A platform payload that did not map is kept in quarantine; after a person fixes it, it goes
through the same connector mapping and intake, for every platform."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from orderhub.channels import sync
from orderhub.core.db import unit_of_work
from orderhub.core.models import QuarantinedInput
from tests.api.helpers import make_api
from tests.channels.conftest import ALL_PLATFORMS, stored_orders
from tests.support.app import shared_app

# Where each platform puts a line's quantity in its payload.
QUANTITY = {"taobao": "num", "jd": "itemTotal", "douyin": "item_num", "pdd": "goods_count",
            "kuaishou": "num", "shopify": "quantity"}


def _fix_quantity(node: Any, key: str) -> bool:
    """Set the first zero quantity under `key` to one, wherever it sits in the payload."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and v in (0, "0"):
                node[k] = "1" if isinstance(v, str) else 1
                return True
            if _fix_quantity(v, key):
                return True
    elif isinstance(node, list):
        return any(_fix_quantity(v, key) for v in node)
    return False


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_fixed_payload_is_processed_again(channel, make_sim, add_shop, committed) -> None:
    sim = make_sim(channel)
    now = datetime.now(UTC)
    [order] = sim.generate(1, start=now - timedelta(minutes=40), end=now - timedelta(seconds=5),
                           unpaid_share=0)
    with sim.book.lock:
        sim.book.orders[order.order_id].lines[0].quantity = 0  # nobody sells zero pieces
    shop_id = add_shop(channel, sim)
    assert sync.pull_shop(committed, shop_id=shop_id).stored.quarantined == 1
    assert stored_orders(committed, shop_id) == {}
    with unit_of_work(committed) as session:
        row = session.scalar(select(QuarantinedInput).where(
            QuarantinedInput.reason_code == "unmappable_order"))
        row_id, raw = row.id, json.loads(row.raw)
        assert order.order_id in row.source
    with TestClient(shared_app()) as client:
        api = make_api(client)
        still_bad = api.post(f"/api/v1/quarantine/{row_id}/reprocess", {})
        assert still_bad.status_code == 422, still_bad.text
        assert _fix_quantity(raw, QUANTITY[channel])
        fixed = api.post(f"/api/v1/quarantine/{row_id}/reprocess",
                         {"raw": json.dumps(raw, ensure_ascii=False)})
        assert fixed.status_code == 200, fixed.text
        assert set(stored_orders(committed, shop_id)) == {order.order_id}
        assert api.post(f"/api/v1/quarantine/{row_id}/reprocess", {}).status_code == 409
    # The pull's overlap reads the broken copy again: it is already stored in a newer shape
    # (same modified time), and nothing new is quarantined.
    again = sync.pull_shop(committed, shop_id=shop_id)
    assert again.outcome == "ok" and set(stored_orders(committed, shop_id)) == {order.order_id}


def test_a_push_refused_for_its_signature_is_not_reprocessed(live_api, committed) -> None:
    from orderhub.channels import service
    from orderhub.plugins import load_plugins
    from tests.builders import TEST_ACTOR, order_payload
    load_plugins()
    with unit_of_work(committed) as session:
        service.add_shop(session, name="h5", channel="webhook", actor=TEST_ACTOR)
    body = json.dumps(order_payload(shop="h5")).encode()
    assert httpx.post(f"{live_api}/api/v1/channels/webhooks/h5", content=body,
                      headers={"X-OrderHub-Signature": "sha256=00"}).status_code == 401
    with unit_of_work(committed) as session:
        row_id = session.scalar(select(QuarantinedInput.id))
    with TestClient(shared_app()) as client:
        refused = make_api(client).post(f"/api/v1/quarantine/{row_id}/reprocess", {})
    assert refused.status_code == 409 and "signature" in refused.text
