"""Re-processing quarantined input after a fix: a person corrects the payload (or the mapping
that refused it was fixed) and sends it through the same path as a pull or push.

Where it came from is in the quarantine row's source:
    pull:<channel>:<shop>[:<order id>]  push:<channel>:<shop>[:<order id>]   a platform payload
    api:<caller kind>:<caller>                                              the canonical JSON
A push refused for its signature is never re-processed: nobody can tell who sent it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from orderhub import pipeline
from orderhub.channels import service
from orderhub.channels.registry import PLATFORMS
from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.errors import Conflict, InvalidInput
from orderhub.core.quarantine import get_quarantined
from orderhub.orders.models import Order
from orderhub.orders.schemas import OrderIn
from orderhub.orders.service import find_shop


def reprocess(engine: Engine, *, quarantine_id: int, actor: Actor,
              raw_text: str | None = None) -> Order:
    """Map (platform payloads), validate and receive the kept input, or the corrected
    `raw_text`; the row is marked resolved in the same transaction as the order."""
    with unit_of_work(engine) as session:
        row = get_quarantined(session, quarantine_id)
        if row.resolved_at is not None:
            raise Conflict(f"quarantined input {quarantine_id} was already re-processed",
                           details={"resolved_at": row.resolved_at.isoformat()})
        if row.reason_code == "bad_signature":
            raise Conflict("a push refused for its signature is not trusted: ask the sender to "
                           "push it again", details={"quarantine_id": quarantine_id})
        if raw_text is None and (row.raw_encoding != "utf-8" or row.truncated):
            raise InvalidInput("what was kept is not the whole text: paste the corrected "
                               "payload", details={"quarantine_id": quarantine_id})
        document = _json(raw_text if raw_text is not None else row.raw)
        shop_name, channel = _origin(row.source, document)
        shop, account = service.shop_account(session, shop_name) if channel in PLATFORMS \
            else (find_shop(session, shop_name), None)
        connector = service.connector_for(shop, account) if account is not None else None
    # Mapping a platform payload is pure (no HTTP), but it is the connector's code: outside
    # the transaction like everything a connector does.
    try:
        order = connector.map_order(document) if connector else \
            {k: v for k, v in document.items() if k != "shop"}
        data = OrderIn.model_validate({**order, "shop": shop_name})
    except ValidationError as exc:
        raise InvalidInput("the payload still does not make an order",
                           details={"errors": json.loads(exc.json(include_url=False))}) from exc
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidInput(f"the payload still does not map: {type(exc).__name__}: {exc}") from exc
    with unit_of_work(engine) as session:
        row = get_quarantined(session, quarantine_id)
        received = pipeline.receive(session, data=data, raw=document,
                                    source=f"quarantine:{quarantine_id}", actor=actor)
        row.resolved_at = clock.now()
        audit.record(session, actor=actor, entity_type="quarantine", entity_id=quarantine_id,
                     action="quarantine.reprocessed",
                     after={"order_no": received.order.order_no, "edited": raw_text is not None})
        session.flush()
        session.expunge(received.order)
        return received.order


def _json(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(document, dict):
        raise InvalidInput("one order object, please")
    return document


def _origin(source: str, document: dict[str, Any]) -> tuple[str, str | None]:
    """(shop name, platform channel or None for the canonical JSON)."""
    parts = source.split(":")
    if parts[0] in ("pull", "push") and len(parts) >= 3 and parts[1] in (*PLATFORMS, "webhook"):
        return parts[2], parts[1] if parts[1] in PLATFORMS else None
    shop = document.get("shop")
    if isinstance(shop, str) and shop:
        return shop, None
    raise InvalidInput("cannot tell which shop this input belongs to; add a \"shop\" field",
                       details={"source": source})
