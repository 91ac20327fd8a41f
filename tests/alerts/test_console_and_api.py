"""The alerts console pages and API: list and acknowledge, the detail with its log, the
acknowledge link (no login, single use, GET acknowledges nothing), performance with CSV, and
the escalation policy editor."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from orderhub.alerts import escalation, service
from orderhub.alerts.delivery import ack_url
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from tests.alerts.helpers import Crew, alerts, declare_jobs, drain, make_crew
from tests.api.helpers import make_api
from tests.support.app import shared_app
from tests.web.conftest import csrf_from, log_in


@pytest.fixture
def client(committed, fake_clock):
    with TestClient(shared_app()) as test_client:
        yield test_client


@pytest.fixture
def crew(client) -> Crew:
    declare_jobs()
    return make_crew()


def raise_one(person_id: int, *, kind: str = "sla_breach", title: str = "订单 N1 已超时") -> int:
    with unit_of_work() as s:
        return service.raise_alert(s, kind=kind, severity="critical", title=title,
                                   person_id=person_id, cause_key=f"c:{title}").id


def token_of(alert_id: int) -> str:
    """The token as the messages carry it (the database only has its hash and a sealed copy)."""
    with unit_of_work() as s:
        link = ack_url(escalation.load_policy(s), service.get_alert(s, alert_id))
        return link.rsplit("/", 1)[1]


def test_list_acknowledge_and_detail_with_its_log(client, crew, committed) -> None:
    alert_id = raise_one(crew.agent)
    drain(committed)
    log_in(client, "duty", role="ops")
    page = client.get("/alerts")
    assert page.status_code == 200 and "订单 N1 已超时" in page.text and "张三" in page.text
    token = csrf_from(client, "/alerts")
    done = client.post(f"/alerts/{alert_id}/acknowledge",
                       data={"csrf_token": token, "back": "/alerts", "note": "在处理"},
                       follow_redirects=True)
    assert done.status_code == 200 and "已确认" in done.text
    (alert,) = alerts()
    assert (alert.status, alert.ack_via, alert.acknowledged_by) == ("acknowledged", "console",
                                                                    "duty")
    detail = client.get(f"/alerts/{alert_id}")
    assert detail.status_code == 200
    for words in ("告警发生", "排队发送", "已发送", "已确认", "站内信", "在处理"):
        assert words in detail.text


def test_viewer_sees_alerts_but_cannot_acknowledge(client, crew) -> None:
    alert_id = raise_one(crew.agent)
    log_in(client, "looker", role="viewer")
    page = client.get("/alerts")
    assert page.status_code == 200 and f'/alerts/{alert_id}/acknowledge' not in page.text
    refused = client.post(f"/alerts/{alert_id}/acknowledge",
                          data={"csrf_token": csrf_from(client, "/alerts")})
    assert refused.status_code == 403
    assert alerts()[0].status == "open"


def test_the_ack_link_needs_no_login_and_works_once(client, crew, committed) -> None:
    alert_id = raise_one(crew.agent)
    drain(committed)
    token = token_of(alert_id)
    shown = client.get(f"/alerts/ack/{token}")
    assert shown.status_code == 200 and "订单 N1 已超时" in shown.text
    assert 'method="post"' in shown.text
    assert alerts()[0].status == "open"  # looking at the link acknowledges nothing

    done = client.post(f"/alerts/ack/{token}")
    assert done.status_code == 200 and "已确认" in done.text
    (alert,) = alerts()
    assert (alert.status, alert.ack_via, alert.acknowledged_by) == ("acknowledged", "link",
                                                                    "张三（链接）")
    again = client.post(f"/alerts/ack/{token}")
    assert again.status_code == 409 and "已确认" in again.text
    assert client.get(f"/alerts/ack/{token}").status_code == 200  # says it is done

    for bad in ("not-a-token", token[:-1] + ("A" if token[-1] != "A" else "B")):
        assert client.get(f"/alerts/ack/{bad}").status_code == 404
        assert client.post(f"/alerts/ack/{bad}").status_code == 404


def test_performance_page_and_csv(client, crew, committed, fake_clock) -> None:
    first = raise_one(crew.agent, title="A")
    raise_one(crew.agent, title="B")
    fake_clock.advance(120)
    with unit_of_work() as s:
        service.acknowledge(s, alert_id=first, actor=Actor(kind="user", name="zhangsan", role="ops"), via="console")
    log_in(client, "boss", role="supervisor")
    page = client.get("/alerts/performance")
    assert page.status_code == 200 and "张三" in page.text and "接单组" in page.text
    download = client.get("/alerts/performance.csv")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
    agent = next(r for r in rows if r["scope"] == "person" and r["name"] == "张三")
    assert (agent["received"], agent["acknowledged"], agent["median_ack_seconds"],
            agent["breaches"]) == ("2", "1", "120.0", "2")
    team = next(r for r in rows if r["scope"] == "team")
    assert (team["name"], team["received"]) == ("接单组", "2")


def test_policy_editor_saves_and_refuses_bad_input(client, crew) -> None:
    log_in(client, "lead", role="supervisor")
    page = client.get("/alerts/policy")
    assert page.status_code == 200 and "升级策略" in page.text
    form = {"csrf_token": csrf_from(client, "/alerts/policy"),
            "after_minutes": ["0", "3", ""], "to": ["assignee", "supervisor", "assignee"],
            "ch_inapp": ["0"], "ch_wecom": ["1"], "ch_sms": ["1"], "reassign": ["1"],
            "top_info": "0", "top_warning": "0", "top_critical": "1",
            "quiet_start": "23:00", "quiet_end": "07:00", "quiet_enabled": "1",
            "fallback": "wecom, sms, inapp", "role_low_stock": "warehouse",
            "public_url": "https://oms.example.com"}
    saved = client.post("/alerts/policy", data=form, follow_redirects=True)
    assert saved.status_code == 200 and "已保存" in saved.text
    with unit_of_work() as s:
        policy = escalation.load_policy(s)
    assert [(st.after_minutes, st.to, st.channels, st.reassign_to_backup)
            for st in policy.steps] == [(0, "assignee", ["inapp"], False),
                                        (3, "supervisor", ["wecom", "sms"], True)]
    assert policy.quiet_hours.start == "23:00" and policy.public_url == "https://oms.example.com"

    form["after_minutes"] = ["5", "3", ""]  # the first step must go at once, in order
    refused = client.post("/alerts/policy", data={**form, "csrf_token": csrf_from(
        client, "/alerts/policy")}, follow_redirects=True)
    assert refused.status_code == 200 and "not a valid escalation policy" in refused.text
    with unit_of_work() as s:
        assert escalation.load_policy(s).steps[1].after_minutes == 3  # unchanged


def test_api_list_detail_acknowledge_performance_and_policy(client, crew, committed,
                                                           fake_clock) -> None:
    api = make_api(client)
    alert_id = raise_one(crew.agent)
    drain(committed)
    listed = api.get("/api/v1/alerts?status=open", role="cs").json()["items"]
    assert [a["id"] for a in listed] == [alert_id]
    detail = api.get(f"/api/v1/alerts/{alert_id}", role="viewer").json()
    assert [d["channel"] for d in detail["deliveries"]] == ["inapp"]
    assert [e["action"] for e in detail["log"]][:2] == ["raised", "queued"]

    acked = api.post(f"/api/v1/alerts/{alert_id}/acknowledge", {"note": "ok"}, role="warehouse")
    assert acked.status_code == 200 and acked.json()["ack_via"] == "api"
    again = api.post(f"/api/v1/alerts/{alert_id}/acknowledge", {}, role="ops")
    assert again.status_code == 409 and again.json()["error"]["code"] == "alert_not_open"

    fake_clock.advance(60)  # the default period ends now (exclusive)
    report = api.get("/api/v1/alerts/performance").json()
    assert any(r["name"] == "张三" and r["acknowledged"] == 1 for r in report["items"])
    as_csv = api.get("/api/v1/alerts/performance?format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv") and "张三" in as_csv.text

    policy = api.get("/api/v1/alerts/escalation-policy").json()
    assert [s["after_minutes"] for s in policy["steps"]] == [0, 5, 10, 15, 30]
    policy["steps"][1]["after_minutes"] = 7
    put = api.client.put("/api/v1/alerts/escalation-policy", content=json.dumps(policy),
                         headers={"Content-Type": "application/json", **api.headers("ops")})
    assert put.status_code == 200 and put.json()["steps"][1]["after_minutes"] == 7
    policy["top_step"]["critical"] = 9
    bad = api.client.put("/api/v1/alerts/escalation-policy", content=json.dumps(policy),
                         headers={"Content-Type": "application/json", **api.headers("ops")})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["errors"]
    assert api.client.put("/api/v1/alerts/escalation-policy", content=json.dumps(policy),
                          headers={"Content-Type": "application/json",
                                   **api.headers("cs")}).status_code == 403

