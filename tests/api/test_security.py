"""Every endpoint is authenticated and authorised by role (SPEC §14), and console sessions need the
CSRF token for writes. Routes are enumerated from the app, so a new one cannot slip past."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import update

from orderhub.core import clock
from orderhub.core.auth import PERMISSIONS, ROLES, can, create_user, start_session
from orderhub.core.db import unit_of_work
from orderhub.core.models import ApiKey
from tests.api.helpers import Api, error_of
from tests.builders import TEST_ACTOR

ANY_ROLE = "(any authenticated role)"
# What each route needs. A route of the app missing here fails test_every_route_is_declared.
REQUIRED: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/orders"): "orders.create",
    ("GET", "/api/v1/orders"): "orders.read",
    ("GET", "/api/v1/orders/{order_no}"): "orders.read",
    ("POST", "/api/v1/orders/{order_no}/cancel"): "orders.cancel",
    ("POST", "/api/v1/orders/{order_no}/holds"): "holds.manage",
    ("POST", "/api/v1/orders/{order_no}/holds/{hold_id}/resolve"): "holds.manage",
    ("GET", "/api/v1/dead-letters"): "outbox.manage",
    ("POST", "/api/v1/dead-letters/{event_id}/retry"): "outbox.manage",
    ("GET", "/api/v1/quarantine"): "outbox.manage",
    ("GET", "/api/v1/quarantine/{quarantine_id}"): "outbox.manage",
    ("POST", "/api/v1/quarantine/{quarantine_id}/reprocess"): "outbox.manage",
    ("GET", "/api/v1/me"): ANY_ROLE,
    ("GET", "/api/v1/channels/shops"): "channels.read",
    ("POST", "/api/v1/channels/shops"): "channels.manage",
    ("PATCH", "/api/v1/channels/shops/{shop}"): "channels.manage",
    ("POST", "/api/v1/channels/shops/{shop}/sync"): "channels.manage",
    ("GET", "/api/v1/channels/shops/{shop}/pulls"): "channels.read",
    ("GET", "/api/v1/channels/health"): "channels.read",
    ("GET", "/metrics"): "metrics.read",
    ("GET", "/api/v1/orders/{order_no}/routing"): "orders.read",
    ("POST", "/api/v1/orders/{order_no}/routing/assign"): "routing.assign",
    ("POST", "/api/v1/orders/{order_no}/routing/retry"): "routing.assign",
    ("GET", "/api/v1/routing/region-rules"): "orders.read",
    ("POST", "/api/v1/routing/region-rules"): "routing.manage",
    ("PATCH", "/api/v1/routing/region-rules/{rule_id}"): "routing.manage",
    ("DELETE", "/api/v1/routing/region-rules/{rule_id}"): "routing.manage",
    ("GET", "/api/v1/routing/settings"): "orders.read",
    ("PATCH", "/api/v1/routing/settings"): "routing.manage",
    ("GET", "/api/v1/routing/manual-queue"): "orders.read",
    ("GET", "/api/v1/routing/backorders"): "orders.read",
    ("GET", "/api/v1/rules"): "rules.read",
    ("POST", "/api/v1/rules"): "rules.manage",
    ("POST", "/api/v1/rules/validate"): "rules.read",
    ("POST", "/api/v1/rules/dry-run"): "rules.manage",
    ("GET", "/api/v1/rules/{rule_id}"): "rules.read",
    ("PUT", "/api/v1/rules/{rule_id}"): "rules.manage",
    ("POST", "/api/v1/rules/{rule_id}/enabled"): "rules.manage",
    ("GET", "/api/v1/approvals"): "orders.read",
    ("POST", "/api/v1/approvals/{approval_id}/decide"): "approvals.decide",
    ("GET", "/api/v1/tasks"): "tasks.read",
    ("POST", "/api/v1/tasks/{task_id}/close"): "tasks.read",
    ("GET", "/api/v1/exceptions"): "orders.read",
    ("POST", "/api/v1/exceptions/resolve"): "holds.manage",
    ("GET", "/api/v1/skus"): "inventory.read",
    ("POST", "/api/v1/skus"): "inventory.manage",
    ("GET", "/api/v1/warehouses"): "inventory.read",
    ("POST", "/api/v1/warehouses"): "inventory.manage",
    ("GET", "/api/v1/stock"): "inventory.read",
    ("POST", "/api/v1/stock/receive"): "inventory.manage",
    ("POST", "/api/v1/stock/set"): "inventory.manage",
    ("GET", "/api/v1/stock/replenishment"): "inventory.read",
    ("GET", "/api/v1/stocktakes"): "inventory.read",
    ("POST", "/api/v1/stocktakes"): "inventory.manage",
    ("GET", "/api/v1/stocktakes/{stocktake_id}"): "inventory.read",
    ("POST", "/api/v1/stocktakes/{stocktake_id}/counts"): "inventory.manage",
    ("POST", "/api/v1/stocktakes/{stocktake_id}/submit"): "inventory.manage",
    ("GET", "/api/v1/transfers"): "inventory.read",
    ("POST", "/api/v1/transfers"): "inventory.manage",
    ("GET", "/api/v1/transfers/{transfer_id}"): "inventory.read",
    ("POST", "/api/v1/transfers/{transfer_id}/ship"): "inventory.manage",
    ("POST", "/api/v1/transfers/{transfer_id}/receive"): "inventory.manage",
    ("POST", "/api/v1/transfers/{transfer_id}/cancel"): "inventory.manage",
    ("GET", "/api/v1/channel-stock"): "inventory.read",
    ("POST", "/api/v1/channel-stock"): "inventory.manage",
    ("GET", "/api/v1/channel-stock/{shop}"): "inventory.read",
    ("POST", "/api/v1/stocktakes/{stocktake_id}/approve"): "stocktake.approve",
    ("POST", "/api/v1/stocktakes/{stocktake_id}/reject"): "stocktake.approve",
    ("GET", "/api/v1/sku-mappings"): "inventory.read",
    ("GET", "/api/v1/sku-mappings/unmapped"): "inventory.read",
    ("POST", "/api/v1/sku-mappings"): "inventory.manage",
    ("DELETE", "/api/v1/sku-mappings/{mapping_id}"): "inventory.manage",
    ("GET", "/api/v1/imports/templates"): "orders.read",
    ("POST", "/api/v1/imports/templates"): "orders.create",
    ("GET", "/api/v1/imports/templates/{name}"): "orders.read",
    ("DELETE", "/api/v1/imports/templates/{name}"): "orders.create",
    ("POST", "/api/v1/imports/suggest"): "orders.create",
    ("POST", "/api/v1/imports/preview"): "orders.create",
    ("POST", "/api/v1/imports"): "orders.create",
    ("GET", "/api/v1/imports/batches"): "orders.read",
    ("GET", "/api/v1/imports/batches/{batch_id}"): "orders.read",
    ("GET", "/api/v1/imports/batches/{batch_id}/rows"): "orders.create",
    ("POST", "/api/v1/imports/batches/{batch_id}/rows/{row_number}/fix"): "orders.create",
    ("POST", "/api/v1/imports/batches/{batch_id}/rows/{row_number}/retry"): "orders.create",
    ("GET", "/api/v1/notifiers"): "notifiers.manage",
    ("GET", "/api/v1/notifiers/{channel}"): "notifiers.manage",
    ("PATCH", "/api/v1/notifiers/{channel}"): "notifiers.manage",
    ("POST", "/api/v1/notifiers/{channel}/test"): "notifiers.manage",
    ("GET", "/api/v1/inbox"): "inbox.read",
    ("GET", "/api/v1/inbox/unread-count"): "inbox.read",
    ("POST", "/api/v1/inbox/{message_id}/read"): "inbox.read",
    ("POST", "/api/v1/inbox/read-all"): "inbox.read",
    ("GET", "/api/v1/sla/rules"): "sla.read",
    ("POST", "/api/v1/sla/rules"): "sla.manage",
    ("PUT", "/api/v1/sla/rules/{rule_id}"): "sla.manage",
    ("DELETE", "/api/v1/sla/rules/{rule_id}"): "sla.manage",
    ("PUT", "/api/v1/sla/settings"): "sla.manage",
    ("GET", "/api/v1/sla/teams"): "sla.read",
    ("POST", "/api/v1/sla/teams"): "sla.manage",
    ("PUT", "/api/v1/sla/teams/{team_id}"): "sla.manage",
    ("GET", "/api/v1/sla/people"): "sla.read",
    ("POST", "/api/v1/sla/people"): "sla.manage",
    ("PUT", "/api/v1/sla/people/{person_id}"): "sla.manage",
    ("GET", "/api/v1/sla/queue"): "sla.read",
    ("GET", "/api/v1/orders/{order_no}/sla"): "orders.read",
    ("POST", "/api/v1/orders/{order_no}/sla/reassign"): "sla.assign",
    ("GET", "/api/v1/alerts"): "alerts.read",
    ("GET", "/api/v1/tracking/orders/{order_no}"): "tracking.read",
    ("POST", "/api/v1/tracking/orders/{order_no}/refresh"): "tracking.manage",
    ("PUT", "/api/v1/tracking/kuaidi100"): "tracking.manage",
    ("GET", "/api/v1/carriers"): "carriers.read",
    ("GET", "/api/v1/carriers/accounts"): "carriers.read",
    ("POST", "/api/v1/carriers/accounts"): "carriers.manage",
    ("PATCH", "/api/v1/carriers/accounts/{account_id}"): "carriers.manage",
    ("GET", "/api/v1/carriers/rules"): "carriers.read",
    ("POST", "/api/v1/carriers/rules"): "carriers.manage",
    ("PATCH", "/api/v1/carriers/rules/{rule_id}"): "carriers.manage",
    ("DELETE", "/api/v1/carriers/rules/{rule_id}"): "carriers.manage",
    ("GET", "/api/v1/carriers/orders/{order_no}/waybill"): "carriers.read",
    ("POST", "/api/v1/carriers/orders/{order_no}/waybill/void"): "waybills.request",
    ("POST", "/api/v1/carriers/waybills"): "waybills.request",
    ("POST", "/api/v1/orders/{order_no}/address"): "orders.address",
    ("GET", "/api/v1/orders/{order_no}/address-changes"): "orders.read",
    ("POST", "/api/v1/labels/print"): "labels.print",
    ("GET", "/api/v1/labels/batches/{batch_id}"): "labels.read",
    ("GET", "/api/v1/labels/batches/{batch_id}.pdf"): "labels.read",
    ("POST", "/api/v1/outbound/scan"): "waybills.request",
    ("GET", "/api/v1/outbound/scans"): "waybills.request",
    ("GET", "/api/v1/lists/pick.pdf"): "carriers.read",
    ("GET", "/api/v1/lists/pick.xlsx"): "carriers.read",
    ("GET", "/api/v1/lists/shipping.pdf"): "carriers.read",
    ("GET", "/api/v1/lists/shipping.xlsx"): "carriers.read",
    ("GET", "/api/v1/lists/wms-export.xlsx"): "carriers.read",
    ("POST", "/api/v1/lists/wms-import"): "waybills.request",
    ("GET", "/api/v1/lists/wms-imports/{import_id}"): "waybills.request",
    ("GET", "/api/v1/logistics/report"): "carriers.read",
    ("GET", "/api/v1/logistics/report.csv"): "carriers.read",
    ("GET", "/api/v1/alerts/performance"): "alerts.read",
    ("GET", "/api/v1/alerts/escalation-policy"): "alerts.read",
    ("PUT", "/api/v1/alerts/escalation-policy"): "alerts.manage",
    ("GET", "/api/v1/alerts/{alert_id}"): "alerts.read",
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): "alerts.acknowledge",
}
# Public on purpose: load balancers probe /health without a key; the API contract is published
# (the project is open source), and the docs page only renders that document.
PUBLIC = {("GET", "/health"), ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs")}
# Authenticated by the shop's signature over the body instead of a key (platform and own-store
# pushes); tests/channels/test_webhooks.py proves an unsigned or wrongly signed push is refused.
SIGNED = {("POST", "/api/v1/channels/webhooks/{shop}"),
          # Kuaidi100's push: UPPER(MD5(param + salt)); tests/fulfilment/tracking proves refusal.
          ("POST", "/api/v1/tracking/kuaidi100/callback")}
# Console pages authorised by a token in the path instead of a login: the acknowledge link in an
# alert's message (single use; GET only shows a confirm button). tests/alerts/test_ack_link.py
# proves a wrong or used token acknowledges nothing.
TOKEN_LINKS = {("GET", "/alerts/ack/{token}"), ("POST", "/alerts/ack/{token}")}


def guarded_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route served as JSON: the API, /metrics and /health."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith("/api/") or path in ("/metrics", "/health"):
            found |= {(m, path) for m in (route.methods or ()) if m != "HEAD"}
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_is_declared(app: FastAPI) -> None:
    assert guarded_routes(app) == set(REQUIRED) | PUBLIC | SIGNED


@pytest.mark.parametrize("method, path", sorted(REQUIRED))
def test_anonymous_caller_is_refused(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, concrete(path), json={})
    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "unauthenticated"


@pytest.mark.parametrize("method, path", sorted(REQUIRED))
def test_each_role_gets_exactly_its_permissions(api: Api, method: str, path: str) -> None:
    """Roles without the permission get 403; roles with it get past authorisation (here to a
    404 or 422, as the ids and bodies are made up). Where every role holds the permission
    (reading orders, /me) there is no wrong role to refuse, which the last line states."""
    permission = REQUIRED[(method, path)]
    refused = []
    for role in ROLES:
        response = api.client.request(method, concrete(path), headers=api.headers(role), json={})
        if response.status_code == 403:
            assert error_of(response)["code"] == "forbidden"
            refused.append(role)
        else:
            assert response.status_code != 401, response.text
    expected = [] if permission == ANY_ROLE else [r for r in ROLES if not can(r, permission)]
    assert refused == expected
    assert refused or permission == ANY_ROLE or set(PERMISSIONS[permission]) == set(ROLES)


def test_public_routes_need_no_key(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_token_links_are_the_only_console_pages_without_login(app: FastAPI) -> None:
    served = {(m, r.path) for r in iter_route_contexts(app.routes)
              for m in (r.methods or ()) if (r.path or "").startswith("/alerts/ack/")}
    assert served == TOKEN_LINKS


def test_auth_comes_before_the_body_is_looked_at(client: TestClient) -> None:
    response = client.post("/api/v1/orders", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer ohk_not-a-real-key", "Basic dXNlcjpwdw==", "Bearer "])
def test_bad_credentials_are_refused(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401 and error_of(response)["code"] == "unauthenticated"


def test_revoked_key_is_refused(api: Api) -> None:
    assert api.get("/api/v1/me", role="ops").status_code == 200
    with unit_of_work() as session:
        session.execute(update(ApiKey).where(ApiKey.role == "ops").values(revoked_at=clock.now()))
    assert api.get("/api/v1/me", role="ops").status_code == 401


def test_me_names_the_caller_and_its_permissions(api: Api) -> None:
    body = api.get("/api/v1/me", role="cs").json()
    assert body["username"] == "cs-key" and body["role"] == "cs" and body["kind"] == "api_key"
    assert "orders.create" in body["permissions"] and "outbox.manage" not in body["permissions"]


def _console_login(client: TestClient, role: str = "ops") -> str:
    with unit_of_work() as session:
        user = create_user(session, username=f"{role}-user", role=role, password="correct horse 1",
                           actor=TEST_ACTOR)
        user_session, token = start_session(session, user=user, hours=1)
        csrf = user_session.csrf_token
    client.cookies.set("orderhub_session", token)
    return csrf


def test_console_session_reads_without_csrf_but_writes_need_it(api: Api) -> None:
    order_no = api.create_order()["order_no"]
    client = api.client
    csrf = _console_login(client)
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "ops-user"
    refused = client.post(f"/api/v1/orders/{order_no}/cancel", json={"reason": "buyer asked"})
    assert refused.status_code == 403
    assert error_of(refused)["details"] == {"header": "X-CSRF-Token"}
    wrong = client.post(f"/api/v1/orders/{order_no}/cancel", json={"reason": "buyer asked"},
                        headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert api.get(f"/api/v1/orders/{order_no}").json()["status"] == "paid"
    done = client.post(f"/api/v1/orders/{order_no}/cancel", json={"reason": "buyer asked"},
                       headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert done.json()["audit"][-1]["actor"]["name"] == "ops-user"


def test_expired_console_session_is_refused(api: Api) -> None:
    client = api.client
    _console_login(client)
    clock.set_clock(lambda: datetime.now(timezone.utc) + timedelta(hours=2))
    try:
        response = client.get("/api/v1/me")
    finally:
        clock.set_clock(None)
    assert response.status_code == 401
