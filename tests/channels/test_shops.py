"""Shops as channel accounts from the API, the CLI and the console: secrets sealed at rest, pull
now, health, and quarantined payloads re-processed after a fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from orderhub.channels.models import ChannelAccount
from orderhub.cli import app as cli_app
from orderhub.core.db import unit_of_work
from orderhub.orders.models import Shop
from tests.api.helpers import make_api
from tests.channels.conftest import available
from tests.support.app import shared_app
from tests.web.conftest import csrf_from, log_in

pytestmark = pytest.mark.skipif(not available("taobao"), reason="taobao simulator not built")


@pytest.fixture
def api(committed):
    with TestClient(shared_app()) as client:
        yield make_api(client)


def _add_body(sim, name: str = "tmall-flagship") -> dict:
    return {"name": name, "channel": "taobao", "display_name": "天猫旗舰店",
            "app_key": sim.app_key, "app_secret": sim.app_secret,
            "access_token": sim.access_token, "base_url": sim.url,
            "pull_interval_seconds": 300}


def test_a_shop_added_over_the_api_keeps_its_secrets_sealed(api, make_sim, committed) -> None:
    sim = make_sim("taobao")
    created = api.post("/api/v1/channels/shops", _add_body(sim))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["app_secret_set"] and body["access_token_set"]
    assert sim.app_secret not in created.text and sim.access_token not in created.text
    with committed.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("select * from channel_accounts")).one())
    assert sim.app_secret not in stored and sim.access_token not in stored
    listed = api.get("/api/v1/channels/shops").json()["items"]
    assert [s["name"] for s in listed if s["channel"] == "taobao"] == ["tmall-flagship"]
    refused = api.post("/api/v1/channels/shops", _add_body(sim) | {"name": "x",
                                                                   "pull_interval_seconds": 30})
    assert refused.status_code == 422


def test_pull_now_and_health_over_the_api(api, make_sim, committed) -> None:
    sim = make_sim("taobao")
    now = datetime.now(UTC)
    sim.generate(25, start=now - timedelta(hours=5), end=now - timedelta(seconds=5))
    api.post("/api/v1/channels/shops", _add_body(sim))
    report = api.post("/api/v1/channels/shops/tmall-flagship/sync", {}).json()
    assert report["outcome"] == "ok" and report["created"] == 25
    [health] = api.get("/api/v1/channels/health?shop=tmall-flagship").json()["items"]
    assert health["state"] == "healthy" and health["orders_last_hour"] == 25
    assert health["lag_seconds"] is not None and health["lag_seconds"] < 60
    [run] = api.get("/api/v1/channels/shops/tmall-flagship/pulls").json()["items"]
    assert run["outcome"] == "ok" and run["created"] == 25 and run["trigger"] == "manual"
    fixed = api.client.patch("/api/v1/channels/shops/tmall-flagship", headers=api.headers(),
                             json={"access_token": "wrong"})
    assert fixed.status_code == 200, fixed.text
    failed = api.post("/api/v1/channels/shops/tmall-flagship/sync", {}).json()
    assert failed["outcome"] == "auth_failed"
    [health] = api.get("/api/v1/channels/health?shop=tmall-flagship").json()["items"]
    assert health["state"] == "unhealthy" and health["unhealthy_reason"]


def test_cli_adds_a_shop_and_syncs_it(make_sim, committed) -> None:
    sim = make_sim("taobao")
    now = datetime.now(UTC)
    sim.generate(6, start=now - timedelta(hours=2), end=now - timedelta(seconds=5))
    runner = CliRunner()
    added = runner.invoke(cli_app, ["shops", "add", "--channel", "taobao", "--name", "tb-cli",
                                    "--app-key", sim.app_key, "--app-secret", sim.app_secret,
                                    "--access-token", sim.access_token, "--base-url", sim.url,
                                    "--interval", "120"])
    assert added.exit_code == 0, added.output
    synced = runner.invoke(cli_app, ["sync", "--shop", "tb-cli"])
    assert synced.exit_code == 0, synced.output
    assert "created" in synced.output and " 6 " in synced.output.replace("│", " ")
    listed = runner.invoke(cli_app, ["shops", "list"], env={"COLUMNS": "200"})
    assert "tb-cli" in listed.output and "healthy" in listed.output
    hook = runner.invoke(cli_app, ["shops", "add", "--channel", "webhook", "--name", "h5"])
    assert "whsec_" in hook.output
    unknown = runner.invoke(cli_app, ["sync", "--shop", "nope"])
    assert unknown.exit_code == 2 and "no active shop" in unknown.output


def test_the_console_lists_shops_adds_one_and_pulls_now(make_sim, committed) -> None:
    sim = make_sim("taobao")
    now = datetime.now(UTC)
    sim.generate(4, start=now - timedelta(hours=1), end=now - timedelta(seconds=5))
    with TestClient(shared_app()) as client:
        log_in(client, "ops-lead", "ops")
        csrf = csrf_from(client, "/channels")
        added = client.post("/channels/add", data={
            "csrf_token": csrf, "channel": "taobao", "name": "tb-console",
            "app_key": sim.app_key, "app_secret": sim.app_secret,
            "access_token": sim.access_token, "base_url": sim.url, "interval": "600"})
        assert added.status_code == 200 and "tb-console" in added.text
        pulled = client.post("/channels/tb-console/sync", data={"csrf_token": csrf})
        assert pulled.status_code == 200
        page = client.get("/channels").text
        assert 'data-shop="tb-console" data-state="healthy"' in page
        detail = client.get("/channels/tb-console").text
        assert sim.app_secret not in detail and 'data-outcome="ok"' in detail
        saved = client.post("/channels/tb-console/update", data={
            "csrf_token": csrf, "field_overrides": '{"lines.platform_sku": "sku_id"}'})
        assert "lines.platform_sku" in saved.text and "sku_id" in saved.text
        refused = client.post("/channels/tb-console/update", data={
            "csrf_token": csrf, "field_overrides": '{"total": "payment"}'})
        assert "cannot be overridden" in refused.text


def test_secrets_survive_only_with_the_key(make_sim, committed, monkeypatch) -> None:
    from orderhub.channels import secrets
    sealed = secrets.seal({"app_secret": "s"})
    assert json.loads(json.dumps(secrets.unseal(sealed))) == {"app_secret": "s"}
    monkeypatch.setattr(secrets, "_current", lambda: secrets._fernet(
        "x" * 43 + "=", secrets.get_settings().data_dir))
    with pytest.raises(secrets.SecretsUnreadable):
        secrets.unseal(sealed)


def _shop_id(engine, name: str) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(Shop.id).where(Shop.name == name))


def test_channel_account_row_has_no_plain_secret_columns() -> None:
    assert not {"app_secret", "access_token"} & set(ChannelAccount.__table__.c.keys())
