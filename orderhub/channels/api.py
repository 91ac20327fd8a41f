"""/api/v1/channels: shops' channel accounts, pulling now, health, and the push endpoint."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from orderhub.api.body import read_body
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.api.openapi import WRITE_RESPONSES, api_router, json_body
from orderhub.api.writes import Write, writer
from orderhub.channels import health, service, sync, webhooks
from orderhub.channels.models import ChannelAccount
from orderhub.channels.present import pull_report_dict, pull_run_dict
from orderhub.channels.schemas import ShopIn, ShopPatch, SyncIn
from orderhub.core.actor import Actor
from orderhub.core.db import get_engine, unit_of_work
from orderhub.orders.models import Shop
from orderhub.orders.service import find_shop

router = api_router("/channels", tags=["channels"])
routers = (router,)

ShopName = Annotated[str, Path(max_length=80, description="The shop's name in OrderHub")]


def shop_dict(shop: Shop, account: ChannelAccount | None) -> dict[str, Any]:
    """Never the secrets: only whether they are set."""
    view: dict[str, Any] = {"name": shop.name, "channel": shop.channel,
                            "display_name": shop.display_name, "active": shop.active}
    if account is not None:
        creds = service.credentials(account)
        view |= {"base_url": account.base_url, "app_key": account.app_key,
                 "app_secret_set": bool(creds.app_secret),
                 "access_token_set": bool(creds.access_token),
                 "pull_interval_seconds": account.pull_interval_seconds,
                 "field_overrides": dict(account.field_overrides or {}),
                 "healthy": account.healthy, "unhealthy_reason": account.unhealthy_reason,
                 "checkpoint": account.checkpoint.isoformat() if account.checkpoint else None}
    return view


@router.get("/shops")
def list_shops(actor: Annotated[Actor, Depends(requires("channels.read"))]) -> JSONResponse:
    """Every shop with its channel account (credentials never shown)."""
    with unit_of_work() as session:
        return JSONResponse({"items": [shop_dict(s, a) for s, a in service.list_accounts(session)]})


@router.post("/shops", status_code=201, openapi_extra=json_body(ShopIn), responses=WRITE_RESPONSES)
def add_shop(write: Annotated[Write, Depends(writer("channels.manage"))]) -> JSONResponse:
    """Add a shop on a platform (pulled every `pull_interval_seconds`) or the own store
    (`webhook`): its push secret is in the answer, once."""
    body = write.parse(ShopIn)
    with unit_of_work() as session:
        def run() -> Reply:
            new = service.add_shop(session, actor=write.actor, **body.model_dump())
            view = shop_dict(new.shop, new.account)
            if new.webhook_secret:
                view["webhook_secret"] = new.webhook_secret
                view["webhook_path"] = f"/api/v1/channels/webhooks/{new.shop.name}"
            return Reply(201, view)
        return write.answer(session, run)


@router.patch("/shops/{shop}", openapi_extra=json_body(ShopPatch), responses=WRITE_RESPONSES)
def update_shop(shop: ShopName,
                write: Annotated[Write, Depends(writer("channels.manage"))]) -> JSONResponse:
    """Change credentials (the shop becomes healthy again until the next pull says otherwise)
    or the pull interval."""
    body = write.parse(ShopPatch)
    with unit_of_work() as session:
        def run() -> Reply:
            account = service.update_shop(session, name=shop, actor=write.actor,
                                          **body.model_dump(exclude_unset=True))
            return Reply(200, shop_dict(find_shop(session, shop), account))
        return write.answer(session, run)


@router.post("/shops/{shop}/sync", openapi_extra=json_body(SyncIn), responses=WRITE_RESPONSES)
def sync_now(shop: ShopName,
             write: Annotated[Write, Depends(writer("channels.manage"))]) -> JSONResponse:
    """Pull the shop now and say what happened (a repeat is harmless: orders are upserted)."""
    write.parse(SyncIn)
    with unit_of_work() as session:
        shop_id = find_shop(session, shop).id
    report = sync.pull_shop(get_engine(), shop_id=shop_id, trigger="manual")
    with unit_of_work() as session:
        return write.answer(session, lambda: Reply(200, pull_report_dict(report)))


@router.get("/health")
def channel_health(actor: Annotated[Actor, Depends(requires("channels.read"))],
                   shop: Annotated[str | None, Query(max_length=80)] = None) -> JSONResponse:
    """Per shop: state, last successful pull, lag, orders in the last hour, errors and
    throttling in the last 24 h, pushes received and refused."""
    with unit_of_work() as session:
        return JSONResponse({"items": [h.as_dict() for h in health.channel_health(session, shop=shop)]})


@router.get("/shops/{shop}/pulls")
def shop_pulls(shop: ShopName, actor: Annotated[Actor, Depends(requires("channels.read"))],
               limit: Annotated[int, Query(ge=1, le=200)] = 20) -> JSONResponse:
    """The shop's latest pulls, newest first."""
    with unit_of_work() as session:
        shop_id = find_shop(session, shop).id
        return JSONResponse({"items": [pull_run_dict(r) for r in
                                       health.recent_pulls(session, shop_id=shop_id, limit=limit)]})


@router.post("/webhooks/{shop}", responses={401: {"description": "Signature does not match"}})
async def receive_push(shop: ShopName, request: Request) -> JSONResponse:
    """Orders pushed by the own store (X-OrderHub-Signature: sha256=HMAC-SHA256(secret, raw
    body)) or by a platform that pushes (Shopify, Douyin: their own signature headers). No API
    key: the signature is the authentication."""
    body = await read_body(request)
    if body.too_large is not None:
        raise body.too_large
    stored = await run_in_threadpool(webhooks.receive_push, get_engine(), shop_name=shop,
                                     headers=dict(request.headers), body=body.data)
    return JSONResponse({"received": stored.seen, "created": stored.created,
                         "updated": stored.updated, "unchanged": stored.unchanged,
                         "quarantined": stored.quarantined})
