"""/api/v1/imports over real HTTP (TestClient) with real commits: templates, suggest, preview,
multipart import, bad rows, fix and retry, re-import, quarantine of a refused file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from orderhub.core.db import unit_of_work
from orderhub.core.models import QuarantinedInput
from orderhub.orders.models import Order
from tests.api.helpers import Api, error_of, make_api
from tests.builders import ensure_shop
from tests.channels.spreadsheets.sheets import (
    EXPECTED_ERRORS,
    GOOD_AND_BAD,
    SHOP,
    TEMPLATE,
    csv_bytes,
    taobao_mapping,
    xlsx_bytes,
)
from tests.support.app import shared_app


@pytest.fixture
def api(committed: Engine) -> Iterator[Api]:
    with TestClient(shared_app()) as client:
        made = make_api(client)
        with unit_of_work() as session:
            ensure_shop(session, SHOP, channel="spreadsheet")
        yield made


def _upload(api: Api, path: str, data: bytes, *, name: str = "订单.csv", role: str = "ops",
            **form: str) -> Any:
    return api.client.post(path, headers=api.headers(role), files={"file": (name, data)},
                           data={"template": TEMPLATE, **form})


def _save_template(api: Api) -> None:
    saved = api.post("/api/v1/imports/templates", {"name": TEMPLATE, "shop": SHOP,
                                                   "mapping": taobao_mapping()}, role="ops")
    assert saved.status_code == 201, saved.text


def _orders() -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0


def test_suggest_maps_taobao_headers(api: Api) -> None:
    response = _upload(api, "/api/v1/imports/suggest", csv_bytes(GOOD_AND_BAD))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["encoding"] == "gb18030" and body["headers"][0] == "订单编号"
    assert body["mapping"] == taobao_mapping()
    assert body["sample"][0]["联系手机"] == "１３８００１３８０００"  # shown as typed


def test_templates_crud(api: Api) -> None:
    _save_template(api)
    again = api.post("/api/v1/imports/templates", {"name": TEMPLATE, "shop": SHOP,
                                                   "mapping": taobao_mapping(),
                                                   "options": {"default_status": "unpaid"}})
    assert again.status_code == 200 and again.json()["options"]["default_status"] == "unpaid"
    listed = api.get("/api/v1/imports/templates", role="viewer").json()["items"]
    assert [t["name"] for t in listed] == [TEMPLATE]
    bad = api.post("/api/v1/imports/templates", {"name": "x", "shop": SHOP, "mapping": {"quantity": "数量"}})
    assert bad.status_code == 422
    assert error_of(bad)["message"] == ("the mapping needs a column for: platform_order_id, "
                                        "created_at, platform_sku, unit_price")
    unknown = api.post("/api/v1/imports/templates", {"name": "y", "shop": "nope", "mapping": taobao_mapping()})
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_shop"
    deleted = api.client.delete(f"/api/v1/imports/templates/{TEMPLATE}", headers=api.headers())
    assert deleted.status_code == 200
    assert api.get(f"/api/v1/imports/templates/{TEMPLATE}").status_code == 404


def test_preview_then_import_then_fix_and_retry(api: Api) -> None:
    _save_template(api)
    data = csv_bytes(GOOD_AND_BAD)
    preview = _upload(api, "/api/v1/imports/preview", data)
    assert preview.status_code == 200, preview.text
    assert [(e["row"], e["order_id"], e["reason"]) for e in preview.json()["errors"]] == EXPECTED_ERRORS
    assert _orders() == 0

    imported = _upload(api, "/api/v1/imports", data)
    assert imported.status_code == 201, imported.text
    batch = imported.json()
    assert (batch["rows"], batch["orders_created"], batch["bad_rows"]) == (8, 2, 5)
    assert [(e["row"], e["order_id"], e["error"]) for e in batch["errors"]] == EXPECTED_ERRORS
    assert batch["created_by"] == "ops-key"

    rows = api.get(f"/api/v1/imports/batches/{batch['id']}/rows?status=bad").json()["items"]
    assert rows[0]["values"]["购买数量"] == "两件"
    fixed = api.post(f"/api/v1/imports/batches/{batch['id']}/rows/5/fix",
                     {"values": {"购买数量": "２"}, "retry": True}, role="cs")
    assert fixed.status_code == 200, fixed.text
    [row] = fixed.json()["rows"]
    assert row["status"] == "imported" and row["order_no"]
    assert api.get(f"/api/v1/orders/{row['order_no']}").json()["lines"][0]["quantity"] == 2

    again = api.post(f"/api/v1/imports/batches/{batch['id']}/rows/5/retry")
    assert again.status_code == 409
    assert api.get(f"/api/v1/imports/batches/{batch['id']}").json()["bad_rows"] == 4
    assert api.get(f"/api/v1/imports/batches/{batch['id']}/rows", role="viewer").status_code == 403

    reimport = _upload(api, "/api/v1/imports", data)
    # the file still has the bad quantity: that row is bad again, the order it fixed stays
    assert (reimport.json()["orders_created"], reimport.json()["orders_updated"],
            reimport.json()["bad_rows"]) == (0, 2, 5)
    assert _orders() == 3
    listed = api.get("/api/v1/imports/batches", role="viewer").json()["items"]
    assert [b["id"] for b in listed] == [reimport.json()["id"], batch["id"]]


def test_xlsx_upload(api: Api) -> None:
    _save_template(api)
    rows = [["TB3001", "交易成功", "2026-11-20 08:00:00", "2026-11-20 08:01:00", "", "郑一",
             "13800138000", "湖北省武汉市洪山区珞喻路1号", "🎁", "SKU-A", "羽绒服", 1, 399, 0]]
    response = _upload(api, "/api/v1/imports", xlsx_bytes(rows), name="orders.xlsx")
    assert response.status_code == 201, response.text
    assert (response.json()["encoding"], response.json()["orders_created"]) == ("xlsx", 1)


def test_a_refused_file_is_quarantined(api: Api) -> None:
    _save_template(api)
    response = _upload(api, "/api/v1/imports", csv_bytes([["TB1"]], headers=["订单编号"]))
    assert response.status_code == 422
    error = error_of(response)
    assert error["message"].startswith("the file has no column 订单状态 (status)")
    with unit_of_work() as session:
        kept = session.get(QuarantinedInput, error["details"]["quarantine_id"])
        assert kept.source == "api:spreadsheet" and kept.reason_code == "invalid_input"


def test_missing_file_and_unknown_template(api: Api) -> None:
    no_file = api.client.post("/api/v1/imports", headers=api.headers(), data={"template": TEMPLATE})
    assert no_file.status_code == 422 and error_of(no_file)["details"] == {"field": "file"}
    unknown = _upload(api, "/api/v1/imports", csv_bytes([]), template="nope")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "import_template_not_found"


def test_import_with_an_idempotency_key_runs_once(api: Api) -> None:
    _save_template(api)
    data = csv_bytes(GOOD_AND_BAD[:3])
    headers = api.headers("ops", **{"Idempotency-Key": "sheet-2026-11-23"})
    first = api.client.post("/api/v1/imports", headers=headers, files={"file": ("订单.csv", data)},
                            data={"template": TEMPLATE})
    assert first.status_code == 201, first.text
    # the same bytes again (same multipart boundary) get the first answer back, not a new batch
    sent_as = {**headers, "Content-Type": first.request.headers["content-type"]}
    replay = api.client.post("/api/v1/imports", headers=sent_as, content=first.request.content)
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    assert len(api.get("/api/v1/imports/batches").json()["items"]) == 1
