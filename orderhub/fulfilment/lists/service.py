"""What a warehouse has to ship, as a pick list (拣货单: what to take off the shelves) and a
shipping list (发货单: what goes into each parcel), grouped by warehouse, soonest deadline first.

The warehouse of an order is routing's latest decision; a split order appears in each of its
warehouses with the lines that ship from there. Bundles are picked as their components (the
catalogue's expansion, as reservations take them). A gift (赠品) is a line with unit price 0:
no platform mapping carries a separate gift marker, and a free line is what every platform
sends for one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from orderhub.core.errors import InvalidInput
from orderhub.fulfilment.carriers.service import current_waybill
from orderhub.fulfilment.deadlines import by_deadline, ship_deadlines
from orderhub.inventory import catalog, masterdata
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order, OrderLine
from orderhub.routing import decisions

STATUSES = {"allocated": (lc.ALLOCATED,), "label_printed": (lc.LABEL_PRINTED,),
            "both": (lc.ALLOCATED, lc.LABEL_PRINTED)}
UNROUTED = "-"  # an order in a to-ship status without a routing decision (set by hand)


@dataclass(frozen=True)
class ShipLine:
    sku: str  # internal SKU, or the platform's when the line is not mapped yet
    title: str
    quantity: int
    gift: bool


@dataclass(frozen=True)
class ToShip:
    order_id: int
    order_no: str
    platform_order_id: str
    shop: str
    status: str
    warehouse: str
    deadline: datetime | None
    receiver_name: str
    receiver_phone: str  # as stored: masked when the platform masks it
    province: str
    city: str
    district: str
    address: str  # street and detail
    buyer_remark: str
    seller_memo: str
    carrier: str
    tracking_no: str
    lines: tuple[ShipLine, ...]

    @property
    def full_address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.address}"


@dataclass
class PickItem:
    sku: str
    name: str
    barcode: str
    quantity: int
    gift: bool
    order_nos: list[str] = field(default_factory=list)

    @property
    def orders(self) -> int:
        return len(self.order_nos)


@dataclass(frozen=True)
class WarehouseList:
    """One warehouse's part of a list: `orders` by deadline; `items` for a pick list."""

    warehouse: str
    warehouse_name: str
    orders: list[ToShip]
    items: list[PickItem]

    @property
    def units(self) -> int:
        return sum(i.quantity for i in self.items)


def to_ship(session: Session, *, warehouse: str | None = None,
            status: str = "both") -> list[WarehouseList]:
    """The to-ship orders of one warehouse (or all), per warehouse (by code), soonest deadline
    first. Items stay empty: see pick_lists."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}",
                           details={"status": status, "allowed": list(STATUSES)})
    names = {w.code: w.name for w in catalog.warehouses(session)}
    if warehouse and warehouse not in names:
        raise InvalidInput(f"no active warehouse {warehouse!r}",
                           details={"warehouse": warehouse, "known": sorted(names)})
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.status.in_(STATUSES[status]))
        .options(selectinload(Order.lines)).order_by(Order.id))}
    deadlines = ship_deadlines(session, orders)
    grouped: dict[str, list[ToShip]] = defaultdict(list)
    for order_id in by_deadline(orders, deadlines):
        order = orders[order_id]
        for code, lines in _lines_by_warehouse(session, order).items():
            if warehouse is None or code == warehouse:
                grouped[code].append(_to_ship(session, order, code, lines, deadlines[order.id]))
    return [WarehouseList(code, names.get(code, code), grouped[code], [])
            for code in sorted(grouped)]


def pick_lists(session: Session, *, warehouse: str | None = None,
               status: str = "both") -> list[WarehouseList]:
    """Per warehouse, what to pick: bundles as components, gifts as items of their own, by SKU."""
    found = to_ship(session, warehouse=warehouse, status=status)
    codes = {line.sku for wl in found for o in wl.orders for line in o.lines}
    parts = catalog.components(session, codes)
    return [WarehouseList(wl.warehouse, wl.warehouse_name, wl.orders,
                          _pick_items(session, wl.orders, parts)) for wl in found]


def shipping_lists(session: Session, *, warehouse: str | None = None,
                   status: str = "both") -> list[WarehouseList]:
    return to_ship(session, warehouse=warehouse, status=status)


def _lines_by_warehouse(session: Session, order: Order) -> dict[str, list[OrderLine]]:
    """Which of the order's lines ship from which warehouse (routing's latest decision)."""
    decision = decisions.latest(session, order.id)
    code = (decision.warehouse_code if decision else None) or \
        (order.attributes or {}).get("allocated_warehouse") or UNROUTED
    shipments = decision.shipments if decision else []
    if len(shipments) <= 1:
        return {code: list(order.lines)}
    # Split: each shipment names (sku, quantity); a line goes where its SKU is sent.
    where = {sku: s["warehouse"] for s in shipments for sku, _ in s.get("lines", [])}
    out: dict[str, list[OrderLine]] = defaultdict(list)
    for line in order.lines:
        out[where.get(line.sku or "", code)].append(line)
    return dict(out)


def _to_ship(session: Session, order: Order, warehouse: str, lines: list[OrderLine],
             deadline: datetime | None) -> ToShip:
    waybill = current_waybill(session, order.id)
    return ToShip(
        order_id=order.id, order_no=order.order_no, platform_order_id=order.platform_order_id,
        shop=order.shop.display_name or order.shop.name, status=order.status, warehouse=warehouse,
        deadline=deadline, receiver_name=order.receiver_name, receiver_phone=order.receiver_phone,
        province=order.receiver_province, city=order.receiver_city, district=order.receiver_district,
        address=f"{order.receiver_street}{order.receiver_detail}", buyer_remark=order.buyer_remark or "",
        seller_memo=order.seller_memo or "", carrier=waybill.carrier if waybill else "",
        tracking_no=waybill.tracking_no if waybill else "",
        lines=tuple(ShipLine(sku=line.sku or line.platform_sku, title=line.title,
                             quantity=line.quantity, gift=line.unit_price == 0)
                    for line in lines))


def _pick_items(session: Session, orders: list[ToShip],
                parts: dict[str, list[tuple[str, int]]]) -> list[PickItem]:
    items: dict[tuple[str, bool], PickItem] = {}
    for order in orders:
        for line in order.lines:
            for sku, ratio in parts.get(line.sku, [(line.sku, 1)]):
                key = (sku, line.gift)
                item = items.get(key)
                if item is None:
                    item = items[key] = PickItem(sku=sku, name="", barcode="", quantity=0,
                                                 gift=line.gift)
                item.quantity += line.quantity * ratio
                if order.order_no not in item.order_nos:
                    item.order_nos.append(order.order_no)
    titles = {line.sku: line.title for o in orders for line in o.lines}
    for item in items.values():
        sku = masterdata.sku_by_code(session, item.sku)
        item.name = sku.name if sku else titles.get(item.sku, "")
        item.barcode = (sku.barcode or "") if sku else ""
    return sorted(items.values(), key=lambda i: (i.gift, i.sku))
