"""Helpers for the label tests: carrier simulators with accounts and rules, allocated orders in a
warehouse, and reading the printed PDF back (text, page size, barcodes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.carriers.rules import create_rule
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import transition
from orderhub.routing.models import RoutingDecision
from tests.fulfilment.carriers.support import Sims, add_account, order

ACTOR = Actor.system("labels-test")


def carriers(engine: Engine, sims: Sims) -> None:
    """Taobao orders -> ZTO via Cainiao, PDD -> YTO via PDD waybill, own store -> SF direct."""
    with unit_of_work(engine) as session:
        create_rule(session, name="default → ZTO", carrier="ZTO", is_default=True)
        create_rule(session, name="pdd → YTO", priority=1, carrier="YTO", channels=["pdd"])
        create_rule(session, name="own → SF", priority=2, carrier="SF", channels=["webhook"])
        add_account(session, sims, carrier="ZTO", source="cainiao")
        add_account(session, sims, carrier="YTO", source="pdd")
        add_account(session, sims, carrier="SF", source="direct")


def allocated(session: Session, *, warehouse: str = "WH-HZ", channel: str = "webhook",
              promised: datetime | None = None, **fields: Any) -> Order:
    """An order allocated to `warehouse` (a routing decision says so), with `fields` set."""
    made = order(session, channel=channel)
    for key, value in fields.items():
        setattr(made, key, value)
    made.promised_ship_at = promised
    session.add(RoutingDecision(order_id=made.id, outcome="allocated", policy="rule", reason="test",
                                warehouse_code=warehouse, actor_kind="system", actor_name="t"))
    transition(session, made, lc.ALLOCATED, actor=ACTOR)
    session.flush()
    return made


def pdf_pages(pdf: bytes) -> list[dict[str, Any]]:
    """Each page's size in points, its text, and the barcodes read from a 300 dpi rendering."""
    doc = pdfium.PdfDocument(pdf)
    pages = []
    for page in doc:
        image = page.render(scale=300 / 72).to_pil()
        pages.append({"size": page.get_size(), "text": page.get_textpage().get_text_range(),
                      "barcodes": [(b.text, b.format.name) for b in zxingcpp.read_barcodes(image)]})
    return pages
