"""Tasks opened by a rule's create_task action: the API (list mine / by role, open / done, close
with a note, audited, `task.closed`), the 待办 console page, and the order page's firings card."""

from __future__ import annotations

from sqlalchemy import select

from orderhub.core.db import unit_of_work
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.rules.models import Task
from orderhub.web.i18n import LANG_COOKIE
from tests.api.helpers import Api, error_of
from tests.rules.test_console import console  # noqa: F401 — the console client fixture
from tests.web.conftest import csrf_from, log_in

TASK_RULE = {"key": "call-back", "name": "大额回访 Call back", "triggers": ["order.created"],
             "condition": "order.total >= 1000",
             "actions": [{"type": "create_task", "title": "电话回访买家", "role": "cs"},
                         {"type": "create_task", "title": "核对库存", "user": "wang"}]}


def _tasks(api: Api, query: str = "", role: str = "cs") -> list[dict]:
    response = api.get(f"/api/v1/tasks{query}", role=role)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_tasks_listed_by_role_closed_with_a_note_once(api: Api) -> None:
    assert api.post("/api/v1/rules", TASK_RULE, role="ops").status_code == 201
    order = api.create_order(total="1299.00")
    api.create_order()  # below the threshold: no task
    [task] = _tasks(api)
    assert task["title"] == "电话回访买家" and task["order_no"] == order["order_no"]
    assert task["rule"] == TASK_RULE["name"] and task["status"] == "open"
    assert _tasks(api, role="warehouse") == []  # not their role
    assert error_of(api.get("/api/v1/tasks?role=cs", role="warehouse"))["code"] == "forbidden"
    assert {t["title"] for t in _tasks(api, "?role=cs", role="supervisor")} == {"电话回访买家"}
    assert api.get("/api/v1/tasks?status=nope", role="cs").status_code == 422

    url = f"/api/v1/tasks/{task['id']}/close"
    assert api.post(url, {"note": "   "}, role="cs").status_code == 422
    assert api.post(url, {"note": "不是我的"}, role="warehouse").status_code == 403
    closed = api.post(url, {"note": "已回访，买家确认地址"}, role="cs")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "done" and closed.json()["note"] == "已回访，买家确认地址"
    again = api.post(url, {"note": "again"}, role="cs")
    assert again.status_code == 409 and error_of(again)["code"] == "task_not_open"
    assert _tasks(api) == []
    assert [t["id"] for t in _tasks(api, "?status=done")] == [task["id"]]
    with unit_of_work() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "task.closed"))
        assert entry is not None and entry.entity_id == str(task["id"])
        event = session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "task.closed"))
        assert event.payload["order_no"] == order["order_no"]
        assert event.payload["note"] == "已回访，买家确认地址"


def test_tasks_page_mine_and_close_in_both_languages(api: Api, console) -> None:  # noqa: F811
    assert api.post("/api/v1/rules", TASK_RULE, role="ops").status_code == 201
    order = api.create_order(total="1299.00")
    log_in(console, "wang", "warehouse")  # the user the second task is assigned to
    page = console.get("/tasks").text
    assert "待办" in page and "核对库存" in page and "电话回访买家" not in page
    assert f'href="/orders/{order["order_no"]}"' in page
    console.cookies.set(LANG_COOKIE, "en")
    assert "Close task" in console.get("/tasks").text
    csrf = csrf_from(console, "/tasks")
    with unit_of_work() as session:
        task_id = session.scalar(select(Task.id).where(Task.assignee == "wang"))
    done = console.post(f"/tasks/{task_id}/close", data={"note": "", "csrf_token": csrf},
                        follow_redirects=True)
    assert "note" in done.text and "核对库存" in done.text  # refused: still open
    done = console.post(f"/tasks/{task_id}/close", data={"note": "库存已核对", "csrf_token": csrf},
                        follow_redirects=True)
    assert "Task closed." in done.text and "No tasks." in done.text
    assert "库存已核对" in console.get("/tasks?status=done").text


def test_order_page_shows_the_rule_firings(api: Api, console) -> None:  # noqa: F811
    assert api.post("/api/v1/rules", TASK_RULE, role="ops").status_code == 201
    order = api.create_order(total="1299.00")
    log_in(console, "li", "cs")
    detail = console.get(f"/orders/{order['order_no']}").text
    assert f'hx-get="/orders/{order["order_no"]}/rule-firings"' in detail
    card = console.get(f"/orders/{order['order_no']}/rule-firings",
                       headers={"HX-Request": "true", "HX-Target": "rule-firings"}).text
    assert "<html" not in card and "大额回访 Call back" in card and "v1" in card
    assert "order.total" in card and "1299.0" in card and "create_task" in card
    page = console.get(f"/orders/{order['order_no']}/rule-firings").text
    assert "<html" in page and "规则命中" in page
    quiet = api.create_order()
    assert "没有规则命中" in console.get(f"/orders/{quiet['order_no']}/rule-firings").text
