"""Pushed orders over real HTTP: the own store signs with HMAC-SHA256 of the raw body, platforms
with theirs; a wrong signature is refused (401), counted and kept, and nothing is stored."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from orderhub.channels import service
from orderhub.channels.models import ChannelAccount
from orderhub.channels.webhooks import own_store_signature
from orderhub.core.db import unit_of_work
from orderhub.core.models import QuarantinedInput
from orderhub.plugins import load_plugins
from tests.builders import TEST_ACTOR, order_payload
from tests.channels.conftest import available, stored_orders


@pytest.fixture
def own_store(committed) -> tuple[int, str]:
    load_plugins()
    with unit_of_work(committed) as session:
        new = service.add_shop(session, name="mini-program", channel="webhook", actor=TEST_ACTOR)
        return new.shop.id, new.webhook_secret


def _push(url: str, body: bytes, signature: str) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/channels/webhooks/mini-program", content=body,
                      headers={"Content-Type": "application/json",
                               "X-OrderHub-Signature": signature})


def test_a_signed_push_from_the_own_store_is_stored_once(live_api, own_store, committed) -> None:
    shop_id, secret = own_store
    order = order_payload(shop="mini-program")
    body = json.dumps(order, ensure_ascii=False).encode()
    first = _push(live_api, body, own_store_signature(secret, body))
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 1
    again = _push(live_api, body, own_store_signature(secret, body))
    assert again.json() == {"received": 1, "created": 0, "updated": 0, "unchanged": 1,
                            "quarantined": 0}
    assert list(stored_orders(committed, shop_id)) == [order["platform_order_id"]]
    with unit_of_work(committed) as session:
        assert session.get(ChannelAccount, shop_id).webhooks_received == 2


def test_a_batch_push_and_a_bad_order_inside_it(live_api, own_store, committed) -> None:
    shop_id, secret = own_store
    good, bad = order_payload(), order_payload()
    bad["lines"][0]["quantity"] = -1
    body = json.dumps({"orders": [good, bad]}, ensure_ascii=False).encode()
    answer = _push(live_api, body, own_store_signature(secret, body)).json()
    assert answer["created"] == 1 and answer["quarantined"] == 1
    assert list(stored_orders(committed, shop_id)) == [good["platform_order_id"]]


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha256=deadbeef"])
def test_a_wrong_signature_is_refused_counted_and_kept(live_api, own_store, committed,
                                                       signature) -> None:
    shop_id, _ = own_store
    body = json.dumps(order_payload(), ensure_ascii=False).encode()
    refused = _push(live_api, body, signature)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "bad_signature"
    assert stored_orders(committed, shop_id) == {}
    with unit_of_work(committed) as session:
        assert session.get(ChannelAccount, shop_id).webhooks_rejected == 1
        kept = session.scalar(select(QuarantinedInput).where(
            QuarantinedInput.reason_code == "bad_signature"))
        assert kept is not None and kept.raw == body.decode()


def test_a_body_signed_with_another_secret_is_refused(live_api, own_store, committed) -> None:
    body = json.dumps(order_payload(), ensure_ascii=False).encode()
    assert _push(live_api, body, own_store_signature("someone-elses", body)).status_code == 401


def test_pushing_to_an_unknown_shop_says_so(live_api, committed) -> None:
    response = httpx.post(f"{live_api}/api/v1/channels/webhooks/nobody", content=b"{}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_shop"


@pytest.mark.skipif(not available("shopify"), reason="shopify simulator not built")
def test_shopify_pushes_signed_orders(live_api, make_sim, add_shop, committed) -> None:
    sim = make_sim("shopify")
    [order] = sim.generate(1, unpaid_share=0)
    shop_id = add_shop("shopify", sim, name="cross-border")
    url = f"{live_api}/api/v1/channels/webhooks/cross-border"
    response = sim.send_webhook(url, "orders/paid", order.order_id)
    assert response.status_code == 200, response.text
    assert set(stored_orders(committed, shop_id)) == {order.order_id}
    sim.app_secret = "rotated-on-shopify-only"  # the platform signs with a secret we do not have
    assert sim.send_webhook(url, "orders/updated", order.order_id).status_code == 401
