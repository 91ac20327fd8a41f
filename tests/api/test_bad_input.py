"""Bad input gets a clear error, changes nothing, and is quarantined verbatim (SPEC §14)."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Iterator

import anyio
import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from orderhub.api.app import create_app
from orderhub.core.db import unit_of_work
from orderhub.core.models import QuarantinedInput
from orderhub.core.quarantine import MAX_STORED_BYTES
from tests.api.helpers import Api, changed, counts, error_of
from tests.builders import order_payload

SQL_INJECTION = "'; DROP TABLE orders;--"
SCRIPT = "<script>alert(1)</script>"
TWO_MB = 2 * 1024 * 1024


def _json(**overrides: object) -> bytes:
    return json.dumps(order_payload(**overrides), ensure_ascii=False).encode()


def _with_line(**line: object) -> bytes:
    payload = order_payload()
    payload["lines"][0].update(line)
    return json.dumps(payload).encode()


def _without(*fields: str) -> bytes:
    payload = order_payload()
    for name in fields:
        del payload[name]
    return json.dumps(payload).encode()


BAD_ORDERS = {
    "malformed json": (b'{"shop": "own-store", "lines": [', 400, "malformed_json"),
    "empty body": (b"", 400, "malformed_json"),
    "NaN is not JSON": (_json(priority="N").replace(b'"N"', b"NaN"), 400, "malformed_json"),
    "number out of range": (_json(extra="N").replace(b'"N"', b"1e400"), 400, "malformed_json"),
    "number too long": (_json(extra="N").replace(b'"N"', b"9" * 5000), 400, "malformed_json"),
    "invalid utf-8": (b'{"shop": "\xff"}', 400, "invalid_encoding"),
    "gbk instead of utf-8": (_json().decode().encode("gbk"), 400, "invalid_encoding"),
    "NUL in a string": (_json(buyer_remark="a\u0000b"), 400, "invalid_encoding"),
    "unpaired surrogate": (_json().replace(b'"seller_memo": ""', b'"seller_memo": "\\ud800"'),
                           400, "invalid_encoding"),
    "not an object": (b"[1, 2, 3]", 422, "validation_failed"),
    "missing fields": (_without("lines", "receiver", "created_at"), 422, "validation_failed"),
    "quantity as a string": (_with_line(quantity="1"), 422, "validation_failed"),
    "quantity zero": (_with_line(quantity=0), 422, "validation_failed"),
    "lines not a list": (_json(lines={"sku": "A"}), 422, "validation_failed"),
    "date that is not a date": (_json(created_at="next tuesday"), 422, "validation_failed"),
    "unknown status": (_json(status="teleported"), 422, "validation_failed"),
    "deeply nested": (_json(tags=[]).replace(b'"tags": []', b'"extra": ' + b"[" * 5000 + b"]" * 5000),
                      400, "malformed_json"),
    "money with 3 decimals": (_json(total="12.345"), 422, "invalid_input"),
    "money as a float": (_with_line(unit_price=399.0), 422, "validation_failed"),
    "injection as money": (_json(shipping_fee=SQL_INJECTION), 422, "invalid_input"),
    "injection as shop": (_json(shop=SQL_INJECTION), 422, "unknown_shop"),
    "script as currency": (_json(currency="<s>"), 422, "invalid_input"),
}


def _quarantined(quarantine_id: int) -> QuarantinedInput:
    with unit_of_work() as session:
        row = session.get(QuarantinedInput, quarantine_id)
        assert row is not None
        return row


def _stored_bytes(row: QuarantinedInput) -> bytes:
    return base64.b64decode(row.raw) if row.raw_encoding == "base64" else row.raw.encode()


@pytest.mark.parametrize("name", list(BAD_ORDERS))
def test_bad_order_is_refused_changes_nothing_and_is_quarantined(api: Api, name: str) -> None:
    raw, status, code = BAD_ORDERS[name]
    api.create_order()  # something in the database that must stay exactly as it is
    before = counts()
    response = api.post("/api/v1/orders", raw=raw, role="ops", key=f"key-{name}")
    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["code"] == code and error["message"]
    assert changed(before, counts()) == {"quarantine": 1}  # the idempotency claim rolled back too
    row = _quarantined(error["details"]["quarantine_id"])
    assert row.reason_code == code and row.source == "api:api_key:ops-key"
    assert row.content_type == "application/json" and row.size_bytes == len(raw)
    assert _stored_bytes(row) == raw and not row.truncated


@pytest.mark.parametrize("payload", [
    order_payload(receiver=dict(order_payload()["receiver"], name="名" * 121)),
    order_payload(receiver=dict(order_payload()["receiver"], province="省" * 41)),
    order_payload(buyer={"id": "b" * 121}),
    order_payload(priority=2**31),
], ids=["receiver name", "province", "buyer id", "priority"])
def test_values_that_do_not_fit_their_column_are_refused(api: Api, payload: dict) -> None:
    response = api.post("/api/v1/orders", payload)
    assert response.status_code == 422 and error_of(response)["code"] == "validation_failed"


def test_validation_errors_name_every_field(api: Api) -> None:
    response = api.post("/api/v1/orders", raw=_without("lines", "created_at"))
    errors = error_of(response)["details"]["errors"]
    assert {(e["in"], e["field"]) for e in errors} == {("body", "lines"), ("body", "created_at")}
    nested = error_of(api.post("/api/v1/orders", raw=_with_line(quantity=0)))
    assert nested["details"]["errors"][0]["field"] == "lines[0].quantity"
    assert nested["message"].startswith("lines[0].quantity: ")


def test_invalid_utf8_is_kept_as_base64(api: Api) -> None:
    response = api.post("/api/v1/orders", raw=b'{"shop": "\xff"}')
    row = _quarantined(error_of(response)["details"]["quarantine_id"])
    assert row.raw_encoding == "base64" and base64.b64decode(row.raw) == b'{"shop": "\xff"}'


def test_two_megabyte_body_is_refused_and_its_beginning_kept(api: Api) -> None:
    before = counts()
    body = b'{"shop": "own-store", "buyer_remark": "' + "长".encode() * (TWO_MB // 3) + b'"}'
    response = api.post("/api/v1/orders", raw=body)
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "body_too_large" and error["details"]["max_bytes"] == 1024 * 1024
    assert changed(before, counts()) == {"quarantine": 1}
    row = _quarantined(error["details"]["quarantine_id"])
    assert row.truncated and row.size_bytes == len(body) and row.raw_encoding == "utf-8"
    assert body.startswith(row.raw.encode()) and MAX_STORED_BYTES - 3 < len(row.raw.encode()) <= MAX_STORED_BYTES


def _chunks(size: int, *, count: int, delivered: list[bytes]) -> Callable[[], Awaitable[dict]]:
    """An ASGI receive that sends `count` chunks of `size` bytes, noting each one it delivers."""

    async def receive() -> dict:
        if len(delivered) == count:
            return {"type": "http.disconnect"}
        delivered.append(b" " * size)
        return {"type": "http.request", "body": delivered[-1], "more_body": len(delivered) < count}

    return receive


def test_chunked_body_is_counted_as_it_streams(api: Api) -> None:
    """TestClient reads a body whole, so this one speaks ASGI to the app: 64 KiB chunks, no
    Content-Length. Reading stops at the first chunk over the limit."""
    delivered: list[bytes] = []
    before = counts()
    status, body = _asgi_post(api, "/api/v1/orders", _chunks(65536, count=32, delivered=delivered))
    assert status == 413 and body["error"]["code"] == "body_too_large"
    assert len(delivered) == 1024 * 1024 // 65536 + 1
    assert changed(before, counts()) == {"quarantine": 1}
    row = _quarantined(body["error"]["details"]["quarantine_id"])
    assert row.truncated and row.size_bytes == len(delivered) * 65536


def test_declared_length_over_the_limit_is_refused_after_the_quarantine_sample(api: Api) -> None:
    delivered: list[bytes] = []
    status, body = _asgi_post(api, "/api/v1/orders", _chunks(16384, count=128, delivered=delivered),
                              content_length=TWO_MB)
    assert status == 413 and body["error"]["code"] == "body_too_large"
    assert len(delivered) == MAX_STORED_BYTES // 16384  # not the 64 chunks up to the limit
    row = _quarantined(body["error"]["details"]["quarantine_id"])
    assert row.size_bytes == TWO_MB and len(row.raw) == MAX_STORED_BYTES


def _asgi_post(api: Api, path: str, receive: Callable[[], Awaitable[dict]], *,
               content_length: int | None = None) -> tuple[int, dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in api.headers().items()]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1),
             "server": ("testserver", 80)}
    anyio.run(api.client.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def test_oversized_body_is_refused_on_every_write_route(api: Api) -> None:
    order_no = api.create_order()["order_no"]
    before = counts()
    response = api.post(f"/api/v1/orders/{order_no}/cancel", raw=b'{"reason": "' + b"x" * TWO_MB + b'"}')
    assert response.status_code == 413 and error_of(response)["code"] == "body_too_large"
    assert changed(before, counts()) == {}  # only received orders are quarantined


def test_malformed_json_elsewhere_has_the_same_error_body(api: Api) -> None:
    order_no = api.create_order()["order_no"]
    response = api.post(f"/api/v1/orders/{order_no}/cancel", raw=b"{reason: no quotes}")
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_json"


def test_injection_strings_are_stored_and_returned_verbatim(api: Api) -> None:
    receiver = dict(order_payload()["receiver"], name=SCRIPT, address=SQL_INJECTION)
    created = api.post("/api/v1/orders", order_payload(buyer_remark=SQL_INJECTION,
                                                       seller_memo=SCRIPT, receiver=receiver))
    assert created.status_code == 201 and created.headers["content-type"] == "application/json"
    detail = api.get(f"/api/v1/orders/{created.json()['order_no']}").json()
    assert detail["buyer_remark"] == SQL_INJECTION and detail["seller_memo"] == SCRIPT
    assert detail["receiver"]["name"] == SCRIPT and detail["receiver"]["address"] == SQL_INJECTION
    assert counts()["orders"] == 1  # the table is still there


def test_injection_in_a_refused_field_is_quarantined_verbatim(api: Api) -> None:
    response = api.post("/api/v1/orders", raw=_json(shop=SQL_INJECTION, buyer_remark=SCRIPT))
    row = _quarantined(error_of(response)["details"]["quarantine_id"])
    assert SQL_INJECTION in json.loads(row.raw)["shop"] and SCRIPT in row.raw
    listed = api.get("/api/v1/quarantine").json()["items"][0]
    assert listed["id"] == row.id and SCRIPT in listed["raw_preview"]


# --- errors that are not about the body ------------------------------------------------------

def test_unknown_api_route_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_wrong_method_is_json_405_listing_the_allowed_ones(client: TestClient) -> None:
    response = client.delete("/api/v1/orders")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET, POST"


@pytest.fixture
def crashing_client(committed: object) -> Iterator[TestClient]:
    app = create_app()

    def crash() -> None:
        raise RuntimeError("password=hunter2 in the database URL")

    app.add_api_route("/api/v1/crash", crash)
    app.add_api_route("/console-crash", crash)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_unexpected_error_is_500_without_internals(crashing_client: TestClient) -> None:
    response = crashing_client.get("/api/v1/crash")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error" and set(error["details"]) == {"reference"}
    assert "hunter2" not in response.text and "RuntimeError" not in response.text


def test_console_pages_get_the_consoles_html_errors(crashing_client: TestClient) -> None:
    app = crashing_client.app
    app.state.html_error_renderer = lambda request, exc: HTMLResponse(  # type: ignore[attr-defined]
        f"<h1>{type(exc).__name__}</h1>", status_code=getattr(exc, "status_code", 500))
    page = crashing_client.get("/no-such-page")
    assert page.status_code == 404 and page.text == "<h1>HTTPException</h1>"
    assert crashing_client.get("/console-crash").text == "<h1>RuntimeError</h1>"
    api_error = crashing_client.get("/api/v1/no-such-thing")
    assert api_error.headers["content-type"] == "application/json"
    assert crashing_client.get("/metrics").headers["content-type"] == "application/json"


def test_without_a_console_renderer_everything_is_json(client: TestClient) -> None:
    client.app.state.html_error_renderer = None  # type: ignore[attr-defined]
    response = client.get("/no-such-page")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
