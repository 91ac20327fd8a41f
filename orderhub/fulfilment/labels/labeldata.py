"""What goes on each label of a batch, read in bulk from the orders, their waybills and the
carrier accounts (the sender printed is the account's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, selectinload

from orderhub.channels.base import CARRIERS
from orderhub.core import clock
from orderhub.core.settings import get_settings
from orderhub.fulfilment.carriers.accounts import get_account
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.labels.render import LabelData, item_summary, mask_phone
from orderhub.orders.models import Order

CHUNK = 500


def label_data(session: Session, entries: list[dict[str, Any]]) -> list[LabelData]:
    """One LabelData per batch entry, in the entries' order."""
    orders: dict[int, Order] = {}
    waybills: dict[int, Row] = {}
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start:start + CHUNK]
        orders.update((o.id, o) for o in session.scalars(
            select(Order).options(selectinload(Order.lines))
            .where(Order.id.in_([e["order_id"] for e in chunk]))))
        # The columns a label prints, not the carrier's print data (kilobytes of JSON each).
        waybills.update((w.id, w) for w in session.execute(
            select(Waybill.id, Waybill.tracking_no, Waybill.carrier, Waybill.sort_code, Waybill.account_id)
            .where(Waybill.id.in_([e["waybill_id"] for e in chunk]))))
    senders = {account_id: get_account(session, account_id).sender or {}
               for account_id in {w.account_id for w in waybills.values()}}
    zone = get_settings().timezone
    total = len(entries)
    return [_one(orders[e["order_id"]], waybills[e["waybill_id"]], senders[waybills[e["waybill_id"]].account_id],
                 e, f"{n}/{total}", zone) for n, e in enumerate(entries, 1)]


def _one(order: Order, waybill: Row, sender: dict[str, Any], entry: dict[str, Any], sequence: str,
         zone: str) -> LabelData:
    deadline = datetime.fromisoformat(entry["deadline"]) if entry.get("deadline") else None
    receiver = "".join(part for part in (order.receiver_province, order.receiver_city, order.receiver_district,
                                         order.receiver_street, order.receiver_detail) if part)
    return LabelData(
        tracking_no=waybill.tracking_no, carrier=waybill.carrier,
        carrier_name=CARRIERS.get(waybill.carrier, waybill.carrier), sort_code=waybill.sort_code,
        sender_name=sender.get("name", ""), sender_phone=sender.get("mobile", ""),
        sender_address="".join(sender.get(k, "") for k in ("province", "city", "district", "detail")),
        receiver_name=order.receiver_name, receiver_phone=mask_phone(order.receiver_phone),
        receiver_address=receiver, order_no=order.order_no, platform_order_id=order.platform_order_id,
        items=item_summary((line.title or line.sku or line.platform_sku, line.quantity) for line in order.lines),
        buyer_remark=order.buyer_remark or "", seller_memo=order.seller_memo or "",
        presale=bool(order.presale), urgent=bool(entry.get("urgent")),
        ship_deadline=clock.local(deadline, zone), sequence=sequence)
