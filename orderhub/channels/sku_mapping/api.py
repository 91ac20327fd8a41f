"""/api/v1/sku-mappings: the mappings, the platform SKUs orders wait on, map and unmap.
Mappings are master data: reading needs inventory.read, changing them inventory.manage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.channels.sku_mapping import present, service
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work

router = api_router("/sku-mappings", tags=["sku-mapping"])
routers = (router,)
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class SkuMappingIn(BaseModel):
    """Map `platform_sku` (the platform's SKU id or the outer code) to our SKU `sku`, in `shop`
    (its name) or, without one, in every shop."""

    model_config = ConfigDict(extra="forbid")
    platform_sku: Code
    sku: Code
    shop: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None


@router.get("")
def list_mappings(actor: Annotated[Actor, Depends(requires("inventory.read"))],
                  q: Annotated[str, Query(max_length=120)] = "",
                  limit: Annotated[int, Query(ge=1, le=2000)] = 200) -> JSONResponse:
    """Mappings by platform SKU (all-shops first); `q` filters on platform SKU or our code."""
    with unit_of_work() as session:
        rows = service.mappings(session, q=q, limit=limit)
        return JSONResponse({"items": [present.mapping_dict(r) for r in rows]})


@router.get("/unmapped")
def list_unmapped(actor: Annotated[Actor, Depends(requires("inventory.read"))],
                  limit: Annotated[int, Query(ge=1, le=2000)] = 200) -> JSONResponse:
    """待匹配商品: platform SKUs that open orders wait on, per shop, most orders first."""
    with unit_of_work() as session:
        rows = service.waiting(session, limit=limit)
        return JSONResponse({"items": [present.waiting_dict(r) for r in rows]})


@router.post("", openapi_extra=json_body(SkuMappingIn), responses=WRITE_RESPONSES)
def create_mapping(write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Create or change a mapping; waiting lines get the SKU and their orders are released."""
    body = write.parse(SkuMappingIn)
    with unit_of_work() as session:
        def run() -> Reply:
            done = service.map_sku(session, platform_sku=body.platform_sku, sku=body.sku,
                                   shop=body.shop or None, actor=write.actor)
            return Reply(201 if done.created else 200, present.mapped_dict(done, body.shop or None))
        return write.answer(session, run)


@router.delete("/{mapping_id}", responses=WRITE_RESPONSES)
def delete_mapping(mapping_id: int,
                   write: Annotated[Write, Depends(writer("inventory.manage"))]) -> JSONResponse:
    """Remove a mapping; lines that already carry the SKU keep it."""
    with unit_of_work() as session:
        def run() -> Reply:
            service.unmap_by_id(session, mapping_id=mapping_id, actor=write.actor)
            return Reply(200, {"deleted": mapping_id})
        return write.answer(session, run)
