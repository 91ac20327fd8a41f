"""/api/v1/skus, /warehouses, /stock, /stocktakes: master data, stock levels, receipts,
replenishment and stocktake. Handlers parse, call one use case, render inside the unit of work."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.inventory import (
    board,
    replenishment,
    sellable,
    service,
    stocktake,
    transfers,
)
from orderhub.inventory.models import Sku, Stocktake, Warehouse
from orderhub.inventory.schemas import (
    ChannelRuleIn,
    CountsIn,
    DecisionIn,
    ReceiveIn,
    SetLevelIn,
    SkuIn,
    StocktakeIn,
    TransferIn,
    WarehouseIn,
)

skus_router = api_router("/skus", tags=["inventory"])
warehouses_router = api_router("/warehouses", tags=["inventory"])
stock_router = api_router("/stock", tags=["inventory"])
stocktakes_router = api_router("/stocktakes", tags=["inventory"])
transfers_router = api_router("/transfers", tags=["inventory"])
channel_router = api_router("/channel-stock", tags=["inventory"])
routers = (skus_router, warehouses_router, stock_router, stocktakes_router, transfers_router,
           channel_router)


def sku_dict(sku: Sku, parts: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    return {"code": sku.code, "name": sku.name, "category": sku.category, "barcode": sku.barcode,
            "weight_g": sku.weight_g, "purchase_limited": sku.purchase_limited,
            "presale": sku.presale, "active": sku.active,
            "components": [{"sku": c, "ratio": r} for c, r in parts or []]}


def warehouse_dict(wh: Warehouse) -> dict[str, Any]:
    return {"id": wh.id, "code": wh.code, "name": wh.name, "province": wh.province, "city": wh.city,
            "daily_capacity": wh.daily_capacity, "serves_provinces": wh.serves_provinces,
            "delivery_days": wh.delivery_days, "error_rate": wh.error_rate, "active": wh.active}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@skus_router.get("")
def list_skus(actor: Annotated[Actor, Depends(requires("inventory.read"))],
              q: Annotated[str | None, Query(max_length=120)] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> JSONResponse:
    """SKUs by code; `q` filters on code or name."""
    with unit_of_work() as session:
        stmt = select(Sku).order_by(Sku.code).limit(limit)
        if q:
            stmt = stmt.where(Sku.code.contains(q, autoescape=True) | Sku.name.contains(q, autoescape=True))
        items = list(session.scalars(stmt))
        from_catalog = service.sku_info(session, [s.code for s in items])
        parts = service.catalog_components(session, [c for c, i in from_catalog.items() if i.is_bundle])
        return JSONResponse({"items": [sku_dict(s, parts.get(s.code)) for s in items]})


@skus_router.post("", openapi_extra=json_body(SkuIn), responses=WRITE_RESPONSES)
def put_sku(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Create or update a SKU (by code); `components` makes it a bundle."""
    body = write.parse(SkuIn)
    with unit_of_work() as session:
        def run() -> Reply:
            fields = body.model_dump(exclude={"code", "components"})
            sku, created = service.upsert_sku(session, code=body.code, actor=write.actor, **fields)
            if body.components is not None:
                service.set_bundle(session, code=sku.code, actor=write.actor,
                                   parts=[(c.sku, c.ratio) for c in body.components])
            parts = service.catalog_components(session, [sku.code]).get(sku.code)
            return Reply(201 if created else 200, sku_dict(sku, parts))
        return write.answer(session, run)


@warehouses_router.get("")
def list_warehouses(actor: Annotated[Actor, Depends(requires("inventory.read"))]) -> JSONResponse:
    """Active warehouses with the regions they serve and their load today."""
    with unit_of_work() as session:
        load = {w.code: asdict(w) for w in board.warehouse_load(session)}
        return JSONResponse({"items": [warehouse_dict(w) | {"load": load.get(w.code)}
                                       for w in service.warehouses(session)]})


@warehouses_router.post("", openapi_extra=json_body(WarehouseIn), responses=WRITE_RESPONSES)
def put_warehouse(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Create or update a warehouse (by code)."""
    body = write.parse(WarehouseIn)
    with unit_of_work() as session:
        def run() -> Reply:
            wh, created = service.upsert_warehouse(session, actor=write.actor,
                                                   **body.model_dump())
            return Reply(201 if created else 200, warehouse_dict(wh))
        return write.answer(session, run)


@stock_router.get("")
def stock_levels(actor: Annotated[Actor, Depends(requires("inventory.read"))],
                 sku: Annotated[str | None, Query(max_length=120)] = None,
                 warehouse: Annotated[str | None, Query(max_length=40)] = None,
                 state: Literal["ok", "low", "out"] | None = None,
                 limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> JSONResponse:
    """Per SKU and warehouse: on hand, reserved, available, in transit, safety stock, state."""
    with unit_of_work() as session:
        rows = board.board(session, sku=sku or "", warehouse=warehouse or "", state=state or "",
                           limit=limit)
        return JSONResponse({"items": [{k: _iso(v) for k, v in asdict(r).items()} for r in rows]})


def _level_reply(session: Session, sku: str, warehouse_id: int) -> Reply:
    [row] = [r for r in board.board(session, sku=sku) if r.warehouse_id == warehouse_id and r.sku == sku]
    return Reply(200, {k: _iso(v) for k, v in asdict(row).items()})


@stock_router.post("/receive", openapi_extra=json_body(ReceiveIn), responses=WRITE_RESPONSES)
def receive(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Goods received into a warehouse (code or id): on hand grows; backorders re-run."""
    body = write.parse(ReceiveIn)
    with unit_of_work() as session:
        def run() -> Reply:
            wh = service.find_warehouse(session, body.warehouse)
            service.receive(session, sku=body.sku, warehouse_id=wh.id, quantity=body.quantity,
                            actor=write.actor, reason=body.reason, from_transit=body.from_transit)
            return _level_reply(session, body.sku, wh.id)
        return write.answer(session, run)


@stock_router.post("/set", openapi_extra=json_body(SetLevelIn), responses=WRITE_RESPONSES)
def set_level(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Set absolute figures: opening stock, safety stock, in transit (audited, in the ledger)."""
    body = write.parse(SetLevelIn)
    with unit_of_work() as session:
        def run() -> Reply:
            wh = service.find_warehouse(session, body.warehouse)
            service.set_level(session, sku=body.sku, warehouse_id=wh.id, on_hand=body.on_hand,
                              safety_stock=body.safety_stock, in_transit=body.in_transit,
                              actor=write.actor, reason=body.reason)
            return _level_reply(session, body.sku, wh.id)
        return write.answer(session, run)


@stock_router.get("/replenishment", responses={200: {"content": {"text/csv": {}}}})
def replenishment_list(actor: Annotated[Actor, Depends(requires("inventory.read"))],
                       format: Literal["json", "csv"] = "json") -> Response:
    """Rows below safety stock with a suggested purchase quantity (14/30-day velocity)."""
    with unit_of_work() as session:
        rows = replenishment.suggestions(session)
    if format == "csv":
        return Response(replenishment.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="replenishment.csv"'})
    return JSONResponse({"items": [asdict(r) for r in rows]})


def stocktake_dict(session: Session, take: Stocktake) -> dict[str, Any]:
    wh = session.get(Warehouse, take.warehouse_id)
    return {"id": take.id, "warehouse": wh.code if wh else None, "status": take.status,
            "note": take.note, "created_by": take.created_by, "created_at": _iso(take.created_at),
            "submitted_at": _iso(take.submitted_at), "decided_by": take.decided_by,
            "decided_at": _iso(take.decided_at), "decision_comment": take.decision_comment,
            "lines": [{"sku": c.sku, "name": c.name, "system_on_hand": c.system_on_hand,
                       "counted": c.counted, "difference": c.difference, "reason": c.reason}
                      for c in stocktake.lines(session, take.id)]}


@stocktakes_router.get("")
def list_stocktakes(actor: Annotated[Actor, Depends(requires("inventory.read"))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse({"items": [stocktake_dict(session, t) for t in stocktake.recent(session)]})


@stocktakes_router.get("/{stocktake_id}")
def get_stocktake(stocktake_id: int,
                  actor: Annotated[Actor, Depends(requires("inventory.read"))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(stocktake_dict(session, stocktake.get(session, stocktake_id)))


@stocktakes_router.post("", status_code=201, openapi_extra=json_body(StocktakeIn),
                        responses=WRITE_RESPONSES)
def start_stocktake(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    body = write.parse(StocktakeIn)
    with unit_of_work() as session:
        def run() -> Reply:
            take = stocktake.start(session, warehouse=body.warehouse, actor=write.actor, note=body.note)
            return Reply(201, stocktake_dict(session, take))
        return write.answer(session, run)


@stocktakes_router.post("/{stocktake_id}/counts", openapi_extra=json_body(CountsIn),
                        responses=WRITE_RESPONSES)
def record_counts(stocktake_id: int,
                  write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Counted quantities (a recount replaces the earlier figure); differences need a reason."""
    body = write.parse(CountsIn)
    with unit_of_work() as session:
        def run() -> Reply:
            stocktake.record_counts(session, stocktake_id=stocktake_id, actor=write.actor,
                                    counts=[(c.sku, c.counted, c.reason) for c in body.counts])
            return Reply(200, stocktake_dict(session, stocktake.get(session, stocktake_id)))
        return write.answer(session, run)


def _decision(stocktake_id: int, write: Write, action: str) -> JSONResponse:
    body = write.parse(DecisionIn)
    with unit_of_work() as session:
        def run() -> Reply:
            if action == "submit":
                take = stocktake.submit(session, stocktake_id=stocktake_id, actor=write.actor)
            elif action == "approve":
                take = stocktake.approve(session, stocktake_id=stocktake_id, actor=write.actor,
                                         comment=body.comment)
            else:
                take = stocktake.reject(session, stocktake_id=stocktake_id, actor=write.actor,
                                        comment=body.comment)
            return Reply(200, stocktake_dict(session, take))
        return write.answer(session, run)


@stocktakes_router.post("/{stocktake_id}/submit", openapi_extra=json_body(DecisionIn),
                        responses=WRITE_RESPONSES)
def submit_stocktake(stocktake_id: int,
                     write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Send the count for approval."""
    return _decision(stocktake_id, write, "submit")


@stocktakes_router.post("/{stocktake_id}/approve", openapi_extra=json_body(DecisionIn),
                        responses=WRITE_RESPONSES)
def approve_stocktake(stocktake_id: int,
                      write: Annotated[Write, Depends(writer("stocktake.approve"))]) -> JSONResponse:
    """A supervisor posts the differences to the ledger."""
    return _decision(stocktake_id, write, "approve")


@stocktakes_router.post("/{stocktake_id}/reject", openapi_extra=json_body(DecisionIn),
                        responses=WRITE_RESPONSES)
def reject_stocktake(stocktake_id: int,
                     write: Annotated[Write, Depends(writer("stocktake.approve"))]) -> JSONResponse:
    """Send the count back with a comment; nothing is posted."""
    return _decision(stocktake_id, write, "reject")


def transfer_dict(row: transfers.TransferRow) -> dict[str, Any]:
    return {k: _iso(v) for k, v in asdict(row).items()}


@transfers_router.get("")
def list_transfers(actor: Annotated[Actor, Depends(requires("inventory.read"))],
                   status: Literal["open", "requested", "shipped", "received", "cancelled"] | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> JSONResponse:
    """Transfer requests, newest first; `open` = requested or shipped."""
    with unit_of_work() as session:
        rows = transfers.listing(session, status=status or "", limit=limit)
        return JSONResponse({"items": [transfer_dict(r) for r in rows]})


@transfers_router.get("/{transfer_id}")
def get_transfer(transfer_id: int,
                 actor: Annotated[Actor, Depends(requires("inventory.read"))]) -> JSONResponse:
    with unit_of_work() as session:
        return JSONResponse(transfer_dict(transfers.row(session, transfer_id)))


@transfers_router.post("", status_code=201, openapi_extra=json_body(TransferIn),
                       responses=WRITE_RESPONSES)
def request_transfer(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Request a transfer between warehouses (code or id) with the expected arrival."""
    body = write.parse(TransferIn)
    with unit_of_work() as session:
        def run() -> Reply:
            req = transfers.request_transfer(session, actor=write.actor, **body.model_dump())
            return Reply(201, transfer_dict(transfers.row(session, req.id)))
        return write.answer(session, run)


def _transfer_step(transfer_id: int, write: Write, step: Any) -> JSONResponse:
    with unit_of_work() as session:
        def run() -> Reply:
            step(session, transfer_id=transfer_id, actor=write.actor)
            return Reply(200, transfer_dict(transfers.row(session, transfer_id)))
        return write.answer(session, run)


@transfers_router.post("/{transfer_id}/ship", responses=WRITE_RESPONSES)
def ship_transfer(transfer_id: int,
                  write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """The goods left: source on hand drops, destination in transit grows (409 if too few)."""
    return _transfer_step(transfer_id, write, transfers.ship)


@transfers_router.post("/{transfer_id}/receive", responses=WRITE_RESPONSES)
def receive_transfer(transfer_id: int,
                     write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """The goods arrived: destination in transit becomes on hand; backorders re-run."""
    return _transfer_step(transfer_id, write, transfers.receive)


@transfers_router.post("/{transfer_id}/cancel", responses=WRITE_RESPONSES)
def cancel_transfer(transfer_id: int,
                    write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Withdraw a request that has not shipped."""
    return _transfer_step(transfer_id, write, transfers.cancel)


def rule_dict(rule: Any) -> dict[str, Any]:
    return {"shop": rule.shop, "warehouse_codes": rule.warehouse_codes, "share_pct": rule.share_pct,
            "use_safety_stock": rule.use_safety_stock, "active": rule.active}


@channel_router.get("")
def list_channel_rules(actor: Annotated[Actor, Depends(requires("inventory.read"))]) -> JSONResponse:
    """Per shop: which warehouses feed its sellable stock, the share, whether safety is held back."""
    with unit_of_work() as session:
        return JSONResponse({"items": [rule_dict(r) for r in sellable.channel_rules(session)]})


@channel_router.post("", openapi_extra=json_body(ChannelRuleIn), responses=WRITE_RESPONSES)
def put_channel_rule(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Create or replace a shop's rule; the next sweep recomputes and pushes its figures."""
    body = write.parse(ChannelRuleIn)
    with unit_of_work() as session:
        def run() -> Reply:
            rule = sellable.upsert_channel_rule(session, actor=write.actor, **body.model_dump())
            return Reply(200, rule_dict(rule))
        return write.answer(session, run)


@channel_router.get("/{shop}")
def shop_sellable(shop: str, actor: Annotated[Actor, Depends(requires("inventory.read"))],
                  sku: Annotated[list[str] | None, Query(max_length=500)] = None) -> JSONResponse:
    """The shop's rule and its current sellable figure per SKU (all active SKUs, or `sku=`)."""
    with unit_of_work() as session:
        rule = sellable.channel_rule(session, shop)
        ids = None if not sku else [service.find_sku(session, c).id for c in sku]
        return JSONResponse(rule_dict(rule) | {"sellable": sellable.sellable(session, shop=shop,
                                                                             sku_ids=ids)})
