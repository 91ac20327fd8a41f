"""Logging in and out of the console, redirects for anonymous visitors, the language switch."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from orderhub.core.settings import get_settings
from tests.web.conftest import PASSWORD, add_user, csrf_from, log_in


def test_login_sets_a_safe_session_cookie_and_goes_to_the_orders(client: TestClient) -> None:
    add_user("mei", "cs")
    response = client.post("/login", data={"username": "mei", "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/orders"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("orderhub_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/orders").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    add_user("mei", "cs")
    wrong = client.post("/login", data={"username": "mei", "password": "not-the-password"})
    unknown = client.post("/login", data={"username": "nobody", "password": "not-the-password"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert "orderhub_session" not in response.headers.get("set-cookie", "")
    assert client.get("/orders", follow_redirects=False).status_code == 303


def test_login_returns_to_the_page_asked_for_but_never_off_site(client: TestClient) -> None:
    add_user("mei", "cs")
    form = {"username": "mei", "password": PASSWORD}
    back = client.post("/login", data=form | {"next": "/orders?status=paid"}, follow_redirects=False)
    assert back.headers["location"] == "/orders?status=paid"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        off = client.post("/login", data=form | {"next": evil}, follow_redirects=False)
        assert off.headers["location"] == "/orders"


@pytest.mark.parametrize("path", ["/orders?status=paid", "/orders/ABC123", "/dead-letters"])
def test_anonymous_visitors_are_sent_to_login_with_the_way_back(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    login_page = client.get(location)
    assert f'name="next" value="{path}"' in login_page.text


def test_htmx_requests_of_anonymous_visitors_redirect_the_whole_page(client: TestClient) -> None:
    response = client.get("/orders?status=paid", follow_redirects=False,
                          headers={"HX-Request": "true", "HX-Target": "order-results"})
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_root_goes_to_the_orders(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/orders"


def test_logout_needs_the_csrf_token_then_ends_the_session(client: TestClient) -> None:
    log_in(client, "mei")
    token = csrf_from(client, "/orders")
    forged = client.post("/logout", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert "页面已过期" in forged.text
    assert client.get("/orders", follow_redirects=False).status_code == 200

    done = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert 'orderhub_session=""' in done.headers["set-cookie"]
    assert client.get("/orders", follow_redirects=False).status_code == 303


def test_layout_shows_the_user_role_and_navigation(client: TestClient) -> None:
    log_in(client, "mei", "ops")
    page = client.get("/orders").text
    assert "订单中枢" in page and "OrderHub" in page
    assert "mei" in page and "运营" in page
    assert 'href="/dead-letters"' in page
    assert 'action="/logout"' in page


def test_english_switch_changes_the_labels_and_comes_back(client: TestClient) -> None:
    log_in(client, "mei")
    chinese = client.get("/orders").text
    assert "筛选" in chinese or "状态" in chinese
    switched = client.get("/lang/en?next=/orders%3Fstatus%3Dpaid", follow_redirects=False)
    assert switched.headers["location"] == "/orders?status=paid"
    assert "orderhub_lang=en" in switched.headers["set-cookie"]
    english = client.get("/orders?status=paid").text
    assert '<html lang="en">' in english
    assert ">Status<" in english and ">Orders<" in english and "Log out" in english
    assert "退出登录" not in english
    client.get("/lang/zh-CN")
    assert "退出登录" in client.get("/orders").text


def test_unknown_language_and_off_site_return_are_ignored(client: TestClient) -> None:
    response = client.get("/lang/xx?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/orders"
    assert "orderhub_lang" not in response.headers.get("set-cookie", "")


def test_default_language_comes_from_settings(client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "default_locale", "en")
    assert "Log in to OrderHub" in client.get("/login").text
