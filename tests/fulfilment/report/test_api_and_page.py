"""The logistics report over real HTTP (JSON and CSV, refusals) and its console page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from orderhub.core.auth import create_api_key
from orderhub.core.db import unit_of_work
from tests.builders import TEST_ACTOR
from tests.fulfilment.report.data import EXPECTED, FIRST, LAST, build_week
from tests.support.app import shared_app
from tests.support.fixtures import FakeClock, fake_clock, live_api  # noqa: F401
from tests.web.conftest import log_in


@pytest.fixture
def key(committed: Engine) -> str:
    with unit_of_work() as session:
        build_week(session)
        return create_api_key(session, name="wh-key", role="warehouse", actor=TEST_ACTOR)[1]


def _get(url: str, key: str, **params: str) -> httpx.Response:
    return httpx.get(url, params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_json_report_per_grouping(live_api: str, key: str, fake_clock: FakeClock) -> None:  # noqa: F811
    url = f"{live_api}/api/v1/logistics/report"
    for group in ("carrier", "warehouse", "both"):
        body = _get(url, key, **{"from": FIRST, "to": LAST, "group": group}).json()
        assert (body["from"], body["to"], body["zone"], body["group"]) == (FIRST, LAST, "Asia/Shanghai", group)
        assert body["start"] == "2026-10-31T16:00:00+00:00" and body["end"] == "2026-11-07T16:00:00+00:00"
        got = {(r["carrier"], r["warehouse"]): {k: r[k] for k in EXPECTED["total"]} for r in body["rows"]}
        assert got == EXPECTED[group]
        assert {k: body["total"][k] for k in EXPECTED["total"]} == EXPECTED["total"]
    fake_clock.set(datetime(2026, 11, 8, 10, tzinfo=UTC))  # 18:00 on the 8th in Beijing
    default = _get(url, key).json()  # the last 30 days up to today, per carrier
    assert (default["from"], default["to"], default["group"]) == ("2026-10-10", "2026-11-08", "carrier")
    assert [(r["carrier"], r["shipped"]) for r in default["rows"]] == [("ZTO", 6), ("SF", 2), ("YTO", 1)]
    fake_clock.set(datetime(2027, 1, 20, tzinfo=UTC))
    later = _get(url, key).json()
    assert later["rows"] == [] and later["total"]["shipped"] == 0 and later["total"]["delivered_rate"] is None


def test_csv_report_is_utf8_with_bom(live_api: str, key: str) -> None:  # noqa: F811
    response = _get(f"{live_api}/api/v1/logistics/report.csv", key, **{"from": FIRST, "to": LAST, "group": "warehouse"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="logistics-warehouse-2026-11-01-2026-11-07.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbfcarrier,warehouse,")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith(",HZ,5,5,1.0,30.0,30.0,1,0.2,4,1,0,0.8")
    assert lines[-1].startswith("合计 total,,7,5,")


@pytest.mark.parametrize(("params", "message"), [
    ({"from": "2026-11-31"}, "from must be a date like 2026-11-01, not '2026-11-31'"),
    ({"from": "2026-11-08", "to": "2026-11-01"}, "the period starts (2026-11-08) after it ends (2026-11-01)"),
    ({"group": "shop"}, "unknown grouping 'shop'"),
])
def test_bad_input_is_a_clear_422(live_api: str, key: str, params: dict[str, str], message: str) -> None:  # noqa: F811
    for path in ("report", "report.csv"):
        response = _get(f"{live_api}/api/v1/logistics/{path}", key, **params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_input"
        assert message in response.json()["error"]["message"]


def test_report_needs_a_key(live_api: str, committed: Engine) -> None:  # noqa: F811
    assert httpx.get(f"{live_api}/api/v1/logistics/report").status_code == 401


@pytest.fixture
def client(committed: Engine) -> Iterator[TestClient]:
    with TestClient(shared_app()) as test_client:
        yield test_client


def test_console_page_tables_range_and_csv_links(client: TestClient, committed: Engine) -> None:
    with unit_of_work() as session:
        build_week(session)
    log_in(client, "wh1", role="warehouse")
    page = client.get("/logistics", params={"from": FIRST, "to": LAST}).text
    for section in ("logistics-carrier", "logistics-warehouse", "logistics-both"):
        assert f'id="{section}"' in page
    assert "按承运商 × 仓库" in page and "物流报表" in page and 'href="/logistics"' in page
    assert "/api/v1/logistics/report.csv?from=2026-11-01&amp;to=2026-11-07&amp;group=both" in page
    assert "34.5" in page and "33.0" in page and "80.0%" in page and "（未知仓库）" in page
    assert "成功 3 / 失败 1 / 待回传 1" in page
    client.cookies.set("orderhub_lang", "en")
    english = client.get("/logistics", params={"from": FIRST, "to": LAST}).text
    assert "By carrier × warehouse" in english and "Download CSV" in english


def test_console_page_shows_a_bad_date_and_an_empty_range(client: TestClient, committed: Engine) -> None:
    log_in(client, "wh2", role="warehouse")
    bad = client.get("/logistics", params={"from": "2026-02-30"})
    assert bad.status_code == 200 and "from must be a date like 2026-11-01, not &#39;2026-02-30&#39;" in bad.text
    empty = client.get("/logistics", params={"from": "2025-01-01", "to": "2025-01-02"}).text
    assert empty.count("这段时间没有发出的包裹。") == 3
