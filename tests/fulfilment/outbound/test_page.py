"""The /scan console page without a browser: the HTMX answer fragment, the plain-form
fallback, the station's list, the permission, and the nav link."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from orderhub.core.db import unit_of_work
from orderhub.fulfilment.outbound.models import ScanLog
from tests.fulfilment.outbound.support import printed_order, warehouse
from tests.web.conftest import csrf_from, log_in

HX = {"HX-Request": "true", "HX-Target": "scan-output"}


def _printed() -> tuple[str, str]:
    with unit_of_work() as session:
        order, waybill = printed_order(session, warehouse(session))
        return order.order_no, waybill.tracking_no


def test_scan_page_answers_in_place(client: TestClient) -> None:
    order_no, tracking_no = _printed()
    log_in(client, "packer", "warehouse")
    page = client.get("/scan?station=door-1")
    assert page.status_code == 200
    assert 'id="scan-code"' in page.text and "autofocus" in page.text
    assert 'href="/scan"' in page.text and "scan.js" in page.text
    token = csrf_from(client, "/scan")

    good = client.post("/scan", data={"code": f"{tracking_no}\n", "station": "door-1",
                                      "csrf_token": token}, headers=HX)
    assert good.status_code == 200
    assert good.text.lstrip().startswith('<div id="scan-output"'), "a fragment, not a page"
    assert 'data-ok="true"' in good.text and 'data-kind="shipped"' in good.text
    assert f"发货成功 {order_no} · ZTO {tracking_no}" in good.text and "张*" in good.text

    bad = client.post("/scan", data={"code": "nope-1", "station": "door-1", "csrf_token": token},
                      headers=HX)
    assert 'data-ok="false"' in bad.text and "查无此单：nope-1" in bad.text
    assert bad.text.count("<li class=\"scan-row-") == 2  # this station's two scans

    client.cookies.set("orderhub_lang", "en")
    plain = client.post("/scan", data={"code": tracking_no, "station": "door-1",
                                       "csrf_token": token})
    assert plain.status_code == 200 and "<html" in plain.text  # no JavaScript: the whole page
    assert "Scanned twice: shipped 0 min ago by packer" in plain.text


def test_the_page_remembers_the_station_it_last_scanned_at(client: TestClient) -> None:
    _, tracking_no = _printed()
    log_in(client, "packer", "warehouse")
    token = csrf_from(client, "/scan")
    client.post("/scan", data={"code": tracking_no, "station": "door-3", "csrf_token": token},
                headers=HX)
    again = client.get("/scan")  # the scanner PC restarted on plain /scan
    assert 'name="station" value="door-3"' in again.text
    assert again.text.count('<li class="scan-row-') == 1  # door-3's list, with its scan
    assert 'name="station" value="door-9"' in client.get("/scan?station=door-9").text  # the URL wins
    client.post("/scan", data={"code": "nope-2", "station": "", "csrf_token": token}, headers=HX)
    assert 'name="station" value=""' in client.get("/scan").text  # cleared on purpose: forgotten


def test_scan_page_needs_a_warehouse_role_and_a_csrf_token(client: TestClient) -> None:
    _, tracking_no = _printed()
    log_in(client, "kefu", "cs")
    assert client.get("/scan").status_code == 403
    assert 'href="/scan"' not in client.get("/orders").text
    client.cookies.clear()
    log_in(client, "packer", "warehouse")
    refused = client.post("/scan", data={"code": tracking_no, "csrf_token": "wrong"}, headers=HX)
    assert refused.status_code in (400, 403)
    with unit_of_work() as session:
        assert scan_log_count(session) == 0, "a refused request is no scan"


def scan_log_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ScanLog)) or 0
