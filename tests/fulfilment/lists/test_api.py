"""The lists API over real HTTP (uvicorn in a thread) and the console page: downloads, the WMS
round trip with row errors, permissions, a file that is not XLSX."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from orderhub.core.auth import create_api_key
from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from tests.builders import TEST_ACTOR
from tests.fulfilment.lists.support import REMARK, Day, filled, status_of
from tests.fulfilment.lists.test_lists import pdf_text
from tests.support.app import shared_app
from tests.web.conftest import csrf_from, log_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def keys() -> dict[str, str]:
    with unit_of_work() as session:
        return {role: create_api_key(session, name=f"{role}-lists", role=role, actor=TEST_ACTOR)[1]
                for role in ("warehouse", "viewer", "cs")}


def test_lists_and_the_wms_round_trip_over_http(day: Day, live_api: str) -> None:
    secrets = keys()
    with httpx.Client(base_url=live_api, headers={"Authorization": f"Bearer {secrets['warehouse']}"},
                      timeout=30) as http:
        pick = http.get("/api/v1/lists/pick.pdf", params={"warehouse": "HZ"})
        assert pick.status_code == 200 and pick.headers["content-type"] == "application/pdf"
        assert 'filename="pick-HZ.pdf"' in pick.headers["content-disposition"]
        text = "".join(pdf_text(pick.content))
        assert "拣货单" in text and "HZ 杭州仓" in text and "GZ" not in text
        shipping = http.get("/api/v1/lists/shipping.pdf", params={"status": "label_printed"})
        assert REMARK in "".join(pdf_text(shipping.content)) and day.o4 not in "".join(pdf_text(shipping.content))
        sheet = http.get("/api/v1/lists/shipping.xlsx", params={"warehouse": "GZ"})
        assert sheet.headers["content-type"] == XLSX
        assert load_workbook(io.BytesIO(sheet.content)).sheetnames == ["GZ"]
        assert load_workbook(io.BytesIO(http.get("/api/v1/lists/pick.xlsx").content)).sheetnames == ["GZ", "HZ"]
        bad = http.get("/api/v1/lists/pick.pdf", params={"warehouse": "XX"})
        assert bad.status_code == 422 and "no active warehouse 'XX'" in bad.json()["error"]["message"]
        assert http.get("/api/v1/lists/pick.pdf", params={"status": "shipped"}).status_code == 422

        export = http.get("/api/v1/lists/wms-export.xlsx", params={"warehouse": "HZ"})
        assert export.status_code == 200
        answer = filled(export.content, {day.o1: day.tracking(day.o1)}, extra=[["NOPE", "ZTO", "1"]])
        imported = http.post("/api/v1/lists/wms-import", files={"file": ("wms.xlsx", answer, XLSX)})
        assert imported.status_code == 201, imported.text
        body = imported.json()
        assert (body["shipped"], body["bad_rows"]) == (1, 1)
        assert body["errors"] == [{"row": 6, "order_no": "NOPE", "reason": "unknown order 'NOPE'"}]
        assert status_of(day.o1) == lc.SHIPPED
        again = http.get(f"/api/v1/lists/wms-imports/{body['id']}")
        assert again.status_code == 200 and again.json()["errors"] == body["errors"]
        assert http.get("/api/v1/lists/wms-imports/999999").status_code == 404

        csv = http.post("/api/v1/lists/wms-import", files={"file": ("wms.csv", b"order_no\n1\n", "text/csv")})
        assert csv.status_code == 422 and "is not an XLSX file" in csv.json()["error"]["message"]
        missing = http.post("/api/v1/lists/wms-import", data={"x": "1"})
        assert missing.status_code == 422 and missing.json()["error"]["details"] == {"field": "file"}

    viewer = {"Authorization": f"Bearer {secrets['viewer']}"}
    assert httpx.get(f"{live_api}/api/v1/lists/pick.xlsx", headers=viewer).status_code == 200
    refused = httpx.post(f"{live_api}/api/v1/lists/wms-import", headers=viewer,
                         files={"file": ("wms.xlsx", answer, XLSX)})
    assert refused.status_code == 403
    assert httpx.get(f"{live_api}/api/v1/lists/pick.pdf").status_code == 401


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    with TestClient(shared_app()) as test_client:
        yield test_client


def test_console_page_downloads_and_imports_with_bad_rows_shown(day: Day, client: TestClient) -> None:
    log_in(client, "wh1", role="warehouse")
    page = client.get("/warehouse/lists", params={"warehouse": "HZ", "status": "label_printed"}).text
    assert "拣货单与发货单" in page and 'href="/api/v1/lists/pick.pdf?warehouse=HZ&amp;status=label_printed"' in page
    assert 'href="/api/v1/lists/wms-export.xlsx?warehouse=HZ"' in page and "HZ 杭州仓" in page
    export = client.get("/api/v1/lists/wms-export.xlsx", params={"warehouse": "HZ"})  # the session cookie
    assert export.status_code == 200
    token = csrf_from(client, "/warehouse/lists")
    answer = filled(export.content, {day.o2: ("ZTO", "ZT777"), day.o4: ("ZTO", "ZT888")})
    done = client.post("/warehouse/lists/wms-import", data={"csrf_token": token},
                       files={"file": ("wms.xlsx", answer, XLSX)}, follow_redirects=True)
    assert done.status_code == 200 and "已发货 1 单，问题行 1 行" in done.text
    assert f"order {day.o4} has no printed label yet (status allocated)" in done.text
    assert 'data-row="5"' in done.text and status_of(day.o2) == lc.SHIPPED
    wrong = client.post("/warehouse/lists/wms-import", data={"csrf_token": token},
                        files={"file": ("wms.txt", b"hello", "text/plain")}, follow_redirects=True)
    assert "is not an XLSX file" in wrong.text
    client.cookies.set("orderhub_lang", "en")
    assert "Pick and shipping lists" in client.get("/warehouse/lists").text
    log_in(client, "viewer1", role="viewer")
    assert 'id="wms-import"' not in client.get("/warehouse/lists").text
