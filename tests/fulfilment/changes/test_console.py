"""The order page's address change section: the form with the time left, the warning after
printing, refusals as messages, the history with compensation; masked for viewers."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.fulfilment.carriers import breaker
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.changes.support import (
    at_minutes_after_creation,
    carrier_setup,
    new_order,
    print_label,
    snapshot,
)
from tests.support.app import shared_app
from tests.support.fixtures import FakeClock
from tests.web.conftest import csrf_from, log_in

FORM = {"name": "李四", "phone": "13900139000", "province": "江苏省", "city": "南京市",
        "district": "鼓楼区", "street": "", "detail": "中山北路30号5栋502", "zip": "",
        "reason": "买家来电", "compensation": "5", "compensation_note": "运费补偿"}


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    breaker.reset_all()
    with TestClient(shared_app()) as test_client:
        yield test_client


def test_edit_form_in_the_window_then_history_and_refusal(client: TestClient, committed: Engine,
                                                           fake_clock: FakeClock) -> None:
    order_no = new_order(committed)
    at_minutes_after_creation(committed, fake_clock, order_no, 5)
    url = f"/orders/{quote(order_no)}"
    log_in(client, "cs1", role="cs")
    page = client.get(url).text
    assert "收货地址修改" in page and "剩余约 10 分钟" in page and 'action="/orders/' in page
    assert "没有修改过地址" in page

    bad = client.post(f"{url}/address", data={**FORM, "phone": "123", "csrf_token": csrf_from(client, url)})
    assert bad.status_code == 200 and "not a valid phone number" in bad.text  # message on the page
    done = client.post(f"{url}/address", data={**FORM, "csrf_token": csrf_from(client, url)})
    assert done.status_code == 200 and "地址已修改" in done.text
    assert "中山北路30号5栋502" in done.text and "¥5.00 运费补偿" in done.text
    assert snapshot(committed, order_no)[0].receiver_name == "李四"

    fake_clock.advance(15 * 60)
    late = client.get(url).text
    assert "closed at" in late and "保存新地址" not in late  # no form once the window closed

    log_in(client, "viewer1", role="viewer")
    masked = client.get(url).text
    assert "中山北路30号5栋502" not in masked and "时限内" in masked


def test_after_printing_the_page_warns_and_the_change_voids(client: TestClient, committed: Engine,
                                                            fake_clock: FakeClock) -> None:
    with Sims() as sims:
        with unit_of_work(committed) as session:
            carrier_setup(session, sims)
        order_no = new_order(committed)
        at_minutes_after_creation(committed, fake_clock, order_no, 30)
        number = print_label(committed, order_no)
        url = f"/orders/{quote(order_no)}"
        log_in(client, "boss", role="supervisor")
        client.cookies.set("orderhub_lang", "en")
        page = client.get(url).text
        assert "the waybill will be voided and the label printed again" in page
        assert "recorded as an override" in page
        done = client.post(f"{url}/address", data={**FORM, "csrf_token": csrf_from(client, url)})
        assert "Address changed" in done.text and number in done.text and "Override" in done.text
        assert number in sims.direct.book.cancelled
