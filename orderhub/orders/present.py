"""Orders as plain dicts for the API (the JSON contract) and exports. Money as decimal strings."""

from __future__ import annotations

from typing import Any

from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.core.money import to_major
from orderhub.orders.models import Hold, Order, OrderLine

MASKED_ROLES = frozenset({"viewer", "finance"})


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def hold_dict(hold: Hold) -> dict[str, Any]:
    return {"id": hold.id, "reason_code": hold.reason_code, "reason": hold.reason,
            "status": hold.status, "raised_by": hold.raised_by, "raised_by_kind": hold.raised_by_kind,
            "raised_at": _iso(hold.raised_at), "resolved_by": hold.resolved_by,
            "resolved_at": _iso(hold.resolved_at), "resolution": hold.resolution}


def order_summary(order: Order, *, role: str) -> dict[str, Any]:
    cur = order.currency
    masked = role in MASKED_ROLES
    return {
        "order_no": order.order_no, "shop": order.shop.name, "channel": order.channel,
        "platform_order_id": order.platform_order_id, "status": order.status,
        "held_from": order.held_from,
        "holds": [hold_dict(h) for h in order.holds if h.status == "open"],
        "created_at": _iso(order.created_at), "paid_at": _iso(order.paid_at),
        "received_at": _iso(order.received_at), "updated_at": _iso(order.updated_at),
        "total": to_major(order.total, cur), "currency": cur,
        "buyer": {"id": order.buyer_id, "nick": order.buyer_nick},
        "receiver": {
            "name": order.receiver_name,
            "phone": mask_phone(order.receiver_phone) if masked else order.receiver_phone,
            "province": order.receiver_province, "city": order.receiver_city,
            "district": order.receiver_district, "street": order.receiver_street,
            "address": "****" if masked else order.receiver_detail, "zip": order.receiver_zip,
            "country": order.receiver_country,
        },
        "buyer_remark": order.buyer_remark, "seller_memo": order.seller_memo,
        "goods_total": to_major(order.goods_total, cur),
        "discount_total": to_major(order.discount_total, cur),
        "shipping_fee": to_major(order.shipping_fee, cur),
        "presale": order.presale, "promised_ship_at": _iso(order.promised_ship_at),
        "tags": order.tags, "priority": order.priority, "attributes": order.attributes,
        "version": order.version,
    }


def line_dict(line: OrderLine, currency: str) -> dict[str, Any]:
    return {"line_no": line.line_no, "platform_sku": line.platform_sku, "sku": line.sku,
            "title": line.title, "quantity": line.quantity,
            "unit_price": to_major(line.unit_price, currency),
            "discount": to_major(line.discount, currency), "status": line.status,
            "refund_status": line.refund_status}


def event_dict(event: OutboxEvent) -> dict[str, Any]:
    return {"id": event.id, "topic": event.topic, "at": _iso(event.created_at),
            "payload": event.payload, "actor": event.actor, "status": event.status}


def audit_dict(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": _iso(entry.at),
            "actor": {"kind": entry.actor_kind, "name": entry.actor_name, "id": entry.actor_id},
            "action": entry.action, "before": entry.before, "after": entry.after}


def order_detail(order: Order, events: list[OutboxEvent], audit: list[AuditEntry], *,
                 role: str) -> dict[str, Any]:
    data = order_summary(order, role=role)
    data["lines"] = [line_dict(l, order.currency) for l in order.lines]
    data["all_holds"] = [hold_dict(h) for h in order.holds]
    data["events"] = [event_dict(e) for e in events]
    data["audit"] = [audit_dict(a) for a in audit] if role not in MASKED_ROLES else \
        [audit_dict(a) | {"before": None, "after": None} for a in audit]
    return data
