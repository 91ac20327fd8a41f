"""The warehouse page: orders by ship deadline with waits, printing the ticked ones or all due
before a time, the batch's PDF, links to the lists and scan pages, roles, both languages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.core import clock
from orderhub.core.db import unit_of_work
from orderhub.fulfilment.carriers.service import request_waybills
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.labels.support import allocated, pdf_pages
from tests.support.app import shared_app
from tests.web.conftest import csrf_from, log_in


@pytest.fixture
def client(sims: Sims) -> Iterator[TestClient]:
    with TestClient(shared_app()) as test_client:
        yield test_client


def test_page_lists_orders_by_deadline_prints_selected_and_opens_the_pdf(
        sims: Sims, client: TestClient, committed: Engine) -> None:
    now = clock.now()
    with unit_of_work() as session:
        later = allocated(session, promised=now + timedelta(days=2)).order_no
        sooner = allocated(session, promised=now + timedelta(hours=1), presale=True).order_no
        stuck = allocated(session, channel="douyin", promised=now + timedelta(hours=5))
        allocated(session, warehouse="WH-BJ")
    request_waybills(committed, order_ids=[stuck.id])  # douyin: no account -> refused wait
    log_in(client, "wh1", role="warehouse")
    page = client.get("/warehouse?warehouse=WH-HZ").text
    assert page.index(sooner) < page.index(stuck.order_no) < page.index(later)
    assert "douyin e-waybill account" in page and "等待面单" in page and "预售" in page
    assert 'href="/warehouse/lists"' in page and 'href="/scan"' in page and "WH-BJ" in page
    assert "剩余 0 小时" in page  # the countdown badge of the order due in an hour

    token = csrf_from(client, "/warehouse?warehouse=WH-HZ")
    done = client.post("/warehouse/print", data={"csrf_token": token, "warehouse": "WH-HZ",
                                                 "order_nos": [later, sooner], "mode": "selected"},
                       follow_redirects=False)
    assert done.status_code == 303 and "batch=" in done.headers["location"]
    shown = client.get(done.headers["location"]).text
    assert "已打印 2 张面单" in shown and "打开 PDF" in shown
    pdf_link = shown.split('id="open-pdf" href="')[1].split('"')[0]
    pdf = client.get(pdf_link)
    assert pdf.headers["content-type"] == "application/pdf"
    assert [p["barcodes"][0][0][:2] for p in pdf_pages(pdf.content)] == ["SF", "SF"]
    with unit_of_work() as session:
        assert get_order(session, sooner).status == lc.LABEL_PRINTED

    nothing = client.post("/warehouse/print", data={"csrf_token": token, "warehouse": "WH-HZ",
                                                    "mode": "selected"})
    assert "请先勾选" in nothing.text or "tick the orders" in nothing.text
    due = client.post("/warehouse/print", data={"csrf_token": token, "warehouse": "WH-HZ", "mode": "due",
                                                "due_before": "2999-01-01T00:00"})
    assert "1 单等待面单" in due.text  # the douyin order: still no waybill
    bad = client.post("/warehouse/print", data={"csrf_token": token, "warehouse": "WH-HZ", "mode": "due",
                                                "due_before": "soon"})
    assert "due_before" in bad.text
    client.cookies.set("orderhub_lang", "en")
    assert "Print selected" in client.get("/warehouse").text


def test_roles_read_but_only_warehouse_roles_print(sims: Sims, client: TestClient) -> None:
    with unit_of_work() as session:
        order_no = allocated(session).order_no
    log_in(client, "cs1", role="cs")
    page = client.get("/warehouse").text
    assert order_no in page and 'name="order_nos"' not in page
    token = csrf_from(client, "/warehouse")
    refused = client.post("/warehouse/print", data={"csrf_token": token, "order_nos": [order_no]})
    assert refused.status_code == 403
