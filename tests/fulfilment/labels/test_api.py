"""The labels API over real HTTP (OrderHub served by uvicorn, carriers by their simulators)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from orderhub.core import clock
from orderhub.core.auth import create_api_key
from orderhub.core.db import unit_of_work
from tests.builders import TEST_ACTOR
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.labels.support import allocated, pdf_pages


def _keys() -> dict[str, str]:
    with unit_of_work() as session:
        return {role: create_api_key(session, name=f"labels-{role}", role=role, actor=TEST_ACTOR)[1]
                for role in ("warehouse", "cs", "viewer")}


def test_print_read_and_download_over_http(sims: Sims, live_api: str) -> None:
    keys = _keys()
    now = clock.now()
    with unit_of_work() as session:
        first = allocated(session, channel="taobao", promised=now + timedelta(hours=1)).order_no
        second = allocated(session, channel="webhook", promised=now + timedelta(hours=2)).order_no
        held_back = allocated(session, warehouse="WH-BJ", promised=now + timedelta(hours=1)).order_no
    api = httpx.Client(base_url=live_api, headers={"Authorization": f"Bearer {keys['warehouse']}"})

    printed = api.post("/api/v1/labels/print", json={"warehouse": "WH-HZ",
                                                     "due_before": (now + timedelta(hours=3)).isoformat()})
    assert printed.status_code == 200, printed.text
    batch = printed.json()
    assert batch["printed"] == [first, second] and batch["count"] == 2
    assert batch["waiting"] == {} and batch["skipped"] == {} and held_back not in batch["printed"]
    assert batch["pdf_url"] == f"/api/v1/labels/batches/{batch['id']}.pdf"
    assert api.get(f"/api/v1/labels/batches/{batch['id']}").json() == batch

    pdf = api.get(batch["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    pages = pdf_pages(pdf.content)
    assert [p["barcodes"][0][0] for p in pages] == [label["tracking_no"] for label in batch["labels"]]

    again = api.post("/api/v1/labels/print", json={"order_nos": [second, "OH-NOPE"]})
    assert again.status_code == 404 and again.json()["error"]["code"] == "order_not_found"
    reprint = api.post("/api/v1/labels/print", json={"order_nos": [second]}).json()
    assert reprint["reprinted"] == [second] and reprint["labels"][0]["tracking_no"] == batch["labels"][1]["tracking_no"]


def test_bad_requests_and_permissions(sims: Sims, live_api: str) -> None:
    keys = _keys()

    def post(body: object, role: str = "warehouse") -> httpx.Response:
        return httpx.post(f"{live_api}/api/v1/labels/print", json=body,
                          headers={"Authorization": f"Bearer {keys[role]}"})

    assert post({"order_nos": ["X"]}, role="cs").status_code == 403
    for body, field in (({}, "order_nos"), ({"order_nos": []}, "order_nos"),
                        ({"order_nos": ["A"], "warehouse": "WH-HZ"}, "warehouse"),
                        ({"warehouse": "WH-HZ", "due_before": "tomorrow"}, "due_before"),
                        ({"warehouse": "WH-HZ", "limit": 5000}, "limit"),
                        ({"warehouse": "WH-HZ", "colour": "red"}, "colour")):
        response = post(body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (body, response.text)
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    missing = httpx.get(f"{live_api}/api/v1/labels/batches/999999", headers=viewer)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "label_batch_not_found"
    assert httpx.get(f"{live_api}/api/v1/labels/batches/999999.pdf", headers=viewer).status_code == 404
    assert httpx.get(f"{live_api}/api/v1/labels/batches/1").status_code == 401
