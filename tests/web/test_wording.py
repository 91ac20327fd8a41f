"""Every label exists in both languages; errors render as pages, never as stack traces."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException
from starlette.requests import Request

from orderhub.api.app import create_app
from orderhub.core.auth import ROLES
from orderhub.core.errors import AuthenticationFailed, Conflict, OrderNotFound
from orderhub.orders.lifecycle import EVENT_FOR, STATES
from orderhub.orders.models import CHANNELS
from orderhub.web.errors import render_error
from orderhub.web.i18n import MESSAGES, Translator
from orderhub.web.pages.orders import HOLD_REASONS
from orderhub.web.render import TEMPLATES, local_time, money

KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']""")


def test_every_key_a_template_uses_is_translated() -> None:
    used = {key for path in Path(TEMPLATES).rglob("*.html") for key in KEY.findall(path.read_text())}
    assert used, "the key pattern found nothing"
    assert sorted(used - MESSAGES.keys()) == []


def test_every_message_has_both_languages() -> None:
    assert [k for k, (zh, en) in MESSAGES.items() if not zh or not en] == []


@pytest.mark.parametrize("group, values", [
    ("status", STATES), ("channel", CHANNELS), ("role", ROLES), ("reason", HOLD_REASONS),
    ("topic", tuple(EVENT_FOR.values()) + ("order.created", "order.hold_added",
                                           "order.hold_resolved")),
])
def test_data_values_have_labels(group: str, values: tuple[str, ...]) -> None:
    assert [v for v in values if f"{group}.{v}" not in MESSAGES] == []


def test_translator_falls_back_to_the_raw_value() -> None:
    t = Translator("en")
    assert t.of("status", "paid") == "Paid"
    assert t.of("reason", "made_up_code") == "made_up_code"
    assert t("order.title", order_no="X1") == "Order X1"
    assert t("order.title") == "Order "  # a missing parameter never breaks a page


def test_times_and_money_as_the_ops_team_reads_them() -> None:
    assert local_time(datetime(2026, 11, 23, 2, 2, 11, tzinfo=timezone.utc)) == "2026-11-23 10:02"
    assert money(37900, "CNY") == "¥379.00"
    assert money(1999, "USD") == "19.99 USD"


def _request(path: str, **headers: str) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"",
                    "headers": raw})


def test_the_app_gets_the_console_error_renderer() -> None:
    assert create_app().state.html_error_renderer is render_error


def test_error_renderer_redirects_401_and_explains_the_rest() -> None:
    login = render_error(_request("/orders/X"), AuthenticationFailed("expired"))
    assert login.status_code == 303 and login.headers["location"] == "/login?next=/orders/X"

    missing = render_error(_request("/orders/X"), OrderNotFound("no", details={"order_no": "X"}))
    assert missing.status_code == 404 and "找不到订单 X" in missing.body.decode()

    conflict = render_error(_request("/x", cookie="orderhub_lang=en"), Conflict("busy"))
    assert conflict.status_code == 409 and "Conflict" in conflict.body.decode()

    unknown_path = render_error(_request("/nope"), HTTPException(404))
    assert unknown_path.status_code == 404 and "要找的内容不存在" in unknown_path.body.decode()

    crash = render_error(_request("/x"), RuntimeError("secret internals"))
    body = crash.body.decode()
    assert crash.status_code == 500 and "secret internals" not in body and "系统错误" in body


def test_static_files_are_served(client: TestClient) -> None:
    assert client.get("/static/console.css").status_code == 200
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text
