"""Orders pushed to us: the seller's own store and platforms that push (Shopify, Douyin).

Every push is checked against its shop's secret over the raw body before anything is parsed:
the own store signs with HMAC-SHA256 (header `X-OrderHub-Signature: sha256=<hex>`), platforms
with their own scheme (the connector's `verify_webhook`). A push that fails is refused (401),
counted on the shop and kept in quarantine for a person to look at; a good one is stored
through the same path as a pulled page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, update

from orderhub.channels import overrides, service
from orderhub.channels.base import Page, PulledOrder
from orderhub.channels.models import ChannelAccount
from orderhub.channels.registry import PLATFORMS
from orderhub.channels.sync import Stored, store_page
from orderhub.core.db import unit_of_work
from orderhub.core.errors import AuthenticationFailed, InvalidInput
from orderhub.core.quarantine import quarantine

SIGNATURE_HEADER = "x-orderhub-signature"


class BadSignature(AuthenticationFailed):
    code = "bad_signature"


def own_store_signature(secret: str, body: bytes) -> str:
    """What the own store puts in X-OrderHub-Signature."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def receive_push(engine: Engine, *, shop_name: str, headers: Mapping[str, str],
                 body: bytes) -> Stored:
    headers = {k.lower(): v for k, v in headers.items()}
    with unit_of_work(engine) as session:
        shop, account = service.shop_account(session, shop_name)
        channel, shop_id = shop.channel, shop.id
        secret = service.credentials(account).app_secret
        connector = service.connector_for(shop, account) if channel in PLATFORMS else None
        field_overrides = dict(account.field_overrides or {})
    if channel != "webhook" and connector is None:
        raise InvalidInput(f"shop {shop_name!r} ({channel}) does not take pushes")
    genuine = (hmac.compare_digest(own_store_signature(secret, body),
                                   headers.get(SIGNATURE_HEADER, ""))
               if connector is None else connector.verify_webhook(headers, body))
    if not genuine:
        _refused(engine, shop_id=shop_id, shop_name=shop_name, headers=headers, body=body)
        raise BadSignature("the push's signature does not match the shop's secret",
                           details={"shop": shop_name})
    page = _own_store_page(body) if connector is None else overrides.apply_page(
        connector.parse_webhook(headers, body), connector, field_overrides)
    with unit_of_work(engine) as session:
        stored = store_page(session, shop_name=shop_name, page=page, source=f"push:{channel}")
        session.execute(update(ChannelAccount).where(ChannelAccount.shop_id == shop_id)
                        .values(webhooks_received=ChannelAccount.webhooks_received + 1))
    return stored


def _own_store_page(body: bytes) -> Page:
    """One order in the canonical JSON, or {"orders": [...]}."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"the push is not JSON: {exc}") from exc
    orders: Any = document.get("orders", [document]) if isinstance(document, dict) else None
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise InvalidInput('a push carries one order object or {"orders": [...]}')
    return Page(orders=[PulledOrder(order={k: v for k, v in o.items() if k != "shop"}, raw=o)
                        for o in orders], requests=0)


def _refused(engine: Engine, *, shop_id: int, shop_name: str, headers: Mapping[str, str],
             body: bytes) -> None:
    """Counted and kept in a transaction of its own: the refusal itself must not roll it back."""
    with unit_of_work(engine) as session:
        session.execute(update(ChannelAccount).where(ChannelAccount.shop_id == shop_id)
                        .values(webhooks_rejected=ChannelAccount.webhooks_rejected + 1))
        quarantine(session, source=f"push:{shop_name}", reason_code="bad_signature",
                   reason="push refused: signature does not match the shop's secret",
                   raw=body, content_type=headers.get("content-type"))
