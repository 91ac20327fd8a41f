"""/api/v1 routing routes: an order's decision, a person's pick, region rules, settings, queues."""

from __future__ import annotations

from sqlalchemy import select

from orderhub.core.audit import history
from orderhub.core.db import unit_of_work
from orderhub.core.models import AuditEntry
from orderhub.routing import service
from tests.api.helpers import Api, error_of
from tests.builders import TEST_ACTOR
from tests.routing.helpers import order, put_stock, seed


def _routed(**kw) -> tuple[str, dict[str, int]]:
    with unit_of_work() as session:
        ids = seed(session)
        put_stock(session, ids, kw.pop("stock", {"HZ": {"A": 5}, "GZ": {"A": 5}}))
        o = order(session, **kw)
        service.allocate(session, order=o, actor=TEST_ACTOR)
        return o.order_no, ids


def test_an_orders_routing_shows_the_choice_and_every_candidate(api: Api) -> None:
    order_no, _ = _routed()
    body = api.get(f"/api/v1/orders/{order_no}/routing", role="viewer").json()
    assert body["status"] == "allocated" and body["history"] == []
    current = body["current"]
    assert (current["outcome"], current["policy"], current["warehouse"]) == ("allocated", "region_rule", "HZ")
    assert [c["warehouse"] for c in current["candidates"]] == ["HZ", "GZ"]
    assert set(current["candidates"][0]["factors"]) == {"stock", "delivery", "load", "error"}
    assert current["candidates"][0]["total"] > current["candidates"][1]["total"]
    assert current["shipments"][0]["lines"] == [["A", 1]]
    missing = api.get("/api/v1/orders/NOPE/routing")
    assert missing.status_code == 404 and error_of(missing)["code"] == "order_not_found"


def test_a_person_assigns_a_warehouse_over_the_api(api: Api) -> None:
    order_no, _ = _routed(province="黑龙江省", stock={"HZ": {"A": 5}})
    queued = api.get("/api/v1/routing/manual-queue").json()["items"]
    assert [(q["order_no"], q["reason"]) for q in queued] == [(order_no, "no_warehouse")]
    short = api.post(f"/api/v1/orders/{order_no}/routing/assign", {"warehouse": "GZ"}, role="warehouse")
    assert short.status_code == 409 and error_of(short)["code"] == "warehouse_short"
    assert error_of(short)["details"]["short"] == {"A": 1}
    refused = api.post(f"/api/v1/orders/{order_no}/routing/assign", {"warehouse": "HZ"}, role="cs")
    assert refused.status_code == 403
    done = api.post(f"/api/v1/orders/{order_no}/routing/assign", {"warehouse": "HZ"},
                    role="warehouse", key="pick-1")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "allocated" and done.json()["current"]["policy"] == "manual_pick"
    again = api.post(f"/api/v1/orders/{order_no}/routing/assign", {"warehouse": "HZ"},
                     role="warehouse", key="pick-1")
    assert again.json() == done.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert api.get("/api/v1/routing/manual-queue").json()["items"] == []
    bad = api.post(f"/api/v1/orders/{order_no}/routing/assign", {"warehouse": "HZ", "x": 1})
    assert bad.status_code == 422


def test_region_rules_are_edited_validated_and_audited(api: Api) -> None:
    _routed()
    rules = api.get("/api/v1/routing/region-rules").json()["items"]
    assert [r["name"] for r in rules] == ["江浙沪", "偏远地区"]
    created = api.post("/api/v1/routing/region-rules",
                       {"name": "西南", "provinces": ["四川", "重庆市"], "warehouse_code": "CD",
                        "priority": 30})
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["provinces"] == ["四川省", "重庆市"] and rule["enabled"] is True
    patched = api.client.patch(f"/api/v1/routing/region-rules/{rule['id']}",
                               json={"enabled": False, "priority": 5}, headers=api.headers())
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    assert patched.json()["version"] == 2
    for body, field in (({"name": "x", "provinces": ["火星"], "warehouse_code": "CD"}, "provinces"),
                        ({"name": "x", "provinces": ["四川省"], "warehouse_code": "XX"}, "warehouse_code")):
        refused = api.post("/api/v1/routing/region-rules", body)
        assert refused.status_code == 422 and error_of(refused)["details"]["field"] == field
    assert api.post("/api/v1/routing/region-rules", {"name": "x"}, role="cs").status_code == 403
    deleted = api.client.delete(f"/api/v1/routing/region-rules/{rule['id']}", headers=api.headers())
    assert deleted.status_code == 200
    gone = api.client.delete(f"/api/v1/routing/region-rules/{rule['id']}", headers=api.headers())
    assert gone.status_code == 404 and error_of(gone)["code"] == "region_rule_not_found"
    with unit_of_work() as session:
        actions = [e.action for e in history(session, "region_rule", rule["id"])]
    assert actions == ["routing.region_rule_created", "routing.region_rule_changed",
                       "routing.region_rule_deleted"]


def test_settings_are_validated_and_audited(api: Api) -> None:
    assert api.get("/api/v1/routing/settings").json() == {
        "weights": {"stock": 0.4, "delivery": 0.3, "load": 0.2, "error": 0.1},
        "allow_split": False, "transfer_days": 2}
    wrong = api.client.patch("/api/v1/routing/settings", headers=api.headers(),
                             json={"weights": {"stock": 0.5, "delivery": 0.3, "load": 0.2, "error": 0.1}})
    assert wrong.status_code == 422 and error_of(wrong)["details"]["sum"] == 1.1
    ok = api.client.patch("/api/v1/routing/settings", headers=api.headers("ops"),
                          json={"weights": {"stock": 0.5, "delivery": 0.2, "load": 0.2, "error": 0.1},
                                "allow_split": True})
    assert ok.status_code == 200 and ok.json()["allow_split"] is True
    assert ok.json()["weights"]["stock"] == 0.5
    with unit_of_work() as session:
        keys = list(session.scalars(select(AuditEntry.entity_id).where(
            AuditEntry.entity_type == "setting").order_by(AuditEntry.id)))
    assert keys == ["routing.weights", "routing.allow_split"]


def test_the_backorder_queue_lists_orders_in_serving_order(api: Api) -> None:
    with unit_of_work() as session:
        seed(session)
        late_vip = order(session, paid_at="2026-11-23T12:00:00+08:00", tags=["vip"])
        early = order(session, paid_at="2026-11-23T09:00:00+08:00")
        for o in (early, late_vip):
            service.allocate(session, order=o, actor=TEST_ACTOR)
        expected = [late_vip.order_no, early.order_no]
    items = api.get("/api/v1/routing/backorders?sku=A").json()["items"]
    assert [(i["order_no"], i["position"], i["vip"]) for i in items] == [
        (expected[0], 1, True), (expected[1], 2, False)]
    assert api.get("/api/v1/routing/backorders?sku=B").json()["items"] == []
    retried = api.post(f"/api/v1/orders/{expected[1]}/routing/retry", {})
    assert retried.status_code == 200 and retried.json()["outcome"] == "awaiting_stock"
