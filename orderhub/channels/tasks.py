"""The channels' jobs and handlers: scheduled pulls, shipment write-back, stock push.

Write-back and stock push run as outbox handlers, so a platform that is down or throttling is
retried with the outbox's backoff (30 s, 90 s, 270 s, …) and, after the last try, the event is
dead-lettered where alerts and people see it. Nothing is sent twice for one event: the worker's
marker commits together with the handler.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from orderhub.channels import service, sync
from orderhub.channels.base import AuthFailed, ChannelError, StockLevel
from orderhub.channels.models import ChannelAccount
from orderhub.channels.registry import PLATFORMS
from orderhub.channels.sku_mapping.models import SkuMapping
from orderhub.core import audit, outbox
from orderhub.core.actor import Actor
from orderhub.core.models import OutboxEvent
from orderhub.orders.models import Shop

ACTOR = Actor.system("channels")


@outbox.task(service.PULL_TASK, own_transactions=True)
def pull(engine: Engine, *, shop_id: int) -> datetime | None:
    """A shop's scheduled pull; after a retryable failure the job comes back at the backoff."""
    return sync.pull_shop(engine, shop_id=shop_id).retry_at


def request_ship_confirmation(session: Session, *, shop_id: int, platform_order_id: str,
                              carrier: str, tracking_no: str, actor: Actor,
                              line_ids: list[str] | None = None, order_id: int | None = None) -> None:
    """Ask for the tracking number to reach the platform (fulfilment calls this on shipment)."""
    outbox.emit(session, SHIP_CONFIRM, aggregate_type="order",
                aggregate_id=order_id, actor=actor,
                payload={"shop_id": shop_id, "platform_order_id": platform_order_id,
                         "carrier": carrier, "tracking_no": tracking_no, "line_ids": line_ids})


SHIP_CONFIRM = "channel.ship_confirm_requested"
# SPEC §8: a write-back that fails is tried again every 15 minutes with backoff (15, 30, 60,
# 120 min), 5 tries in all; then an alert says so (not a silent dead letter).
outbox.retry_policy(SHIP_CONFIRM, outbox.Retry(first_seconds=15 * 60, factor=2, max_attempts=5))


@outbox.handler(SHIP_CONFIRM, name="channels.confirm_shipment")
def confirm_shipment(session: Session, event: OutboxEvent) -> None:
    p = event.payload
    shop, account = _shop(session, int(p["shop_id"]))
    if shop is None or account is None or shop.channel not in PLATFORMS:
        return  # the own store and spreadsheets have nobody to tell
    connector = service.connector_for(shop, account)
    try:
        connector.confirm_shipment(p["platform_order_id"], carrier=p["carrier"],
                                   tracking_no=p["tracking_no"], line_ids=p.get("line_ids"))
    except ChannelError as exc:
        if isinstance(exc, AuthFailed):
            service.mark_unhealthy(session, shop=shop, account=account, reason=exc.message,
                                   actor=ACTOR)
        last_try = (event.attempts or 1) >= outbox.retry_policy(SHIP_CONFIRM).max_attempts
        if (exc.retryable or isinstance(exc, AuthFailed)) and not last_try:
            raise  # tried again later; works again once the platform or credentials are fixed
        outbox.emit(session, "channel.ship_confirm_failed", aggregate_type="order",
                    aggregate_id=event.aggregate_id, actor=ACTOR,
                    payload={**p, "error": exc.message, "platform_code": exc.platform_code,
                             "attempts": event.attempts})
        return
    outbox.emit(session, "channel.ship_confirmed", aggregate_type="order",
                aggregate_id=event.aggregate_id, actor=ACTOR, payload=dict(p))
    audit.record(session, actor=ACTOR, entity_type="order", entity_id=event.aggregate_id or "",
                 action="order.ship_confirmed_to_platform",
                 after={"carrier": p["carrier"], "tracking_no": p["tracking_no"],
                        "shop": shop.name})


@outbox.handler("stock.sellable_changed", name="channels.push_stock")
def push_stock(session: Session, event: OutboxEvent) -> None:
    """Inventory coalesces sellable-stock changes per shop; this sends them to the platform."""
    shop = session.scalar(select(Shop).where(Shop.name == event.payload.get("shop")))
    account = session.get(ChannelAccount, shop.id) if shop is not None else None
    if shop is None or account is None or shop.channel not in PLATFORMS or not account.healthy:
        return
    changes = event.payload.get("changes") or {}
    levels = [StockLevel(platform_sku=sku, quantity=max(int(qty), 0))
              for sku, qty in sorted(platform_skus(session, shop, changes).items())]
    if not levels:
        return
    try:
        service.connector_for(shop, account).push_stock(levels)
    except AuthFailed as exc:
        service.mark_unhealthy(session, shop=shop, account=account, reason=exc.message, actor=ACTOR)
        raise


def platform_skus(session: Session, shop: Shop, changes: dict[str, int]) -> dict[str, int]:
    """Internal SKU codes -> the codes the platform lists them under: every platform SKU mapped
    to it (this shop's mapping over an all-shops one); a SKU nobody mapped is listed under its
    own code, as the identity mapping on intake assumes."""
    rows = session.execute(
        select(SkuMapping.platform_sku, SkuMapping.sku, SkuMapping.shop_id)
        .where(SkuMapping.sku.in_(list(changes)),
               or_(SkuMapping.shop_id == shop.id, SkuMapping.shop_id.is_(None)))
        .order_by(SkuMapping.shop_id.is_(None))).all()
    levels: dict[str, int] = {}
    mapped: set[str] = set()
    for platform_sku, sku, _ in rows:  # this shop's rows first: they win
        levels.setdefault(platform_sku, changes[sku])
        mapped.add(sku)
    for sku, quantity in changes.items():
        if sku not in mapped:
            levels.setdefault(sku, quantity)
    return levels


def _shop(session: Session, shop_id: int) -> tuple[Shop | None, ChannelAccount | None]:
    return session.get(Shop, shop_id), session.get(ChannelAccount, shop_id)
