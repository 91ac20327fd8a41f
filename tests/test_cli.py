"""The `orderhub` command against the test database."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.core import auth
from orderhub.core.db import unit_of_work
from orderhub.orders.service import find_shop

runner = CliRunner()


def test_init_creates_shop_and_admin_and_is_idempotent(committed):
    first = runner.invoke(app, ["init", "--admin-username", "boss", "--admin-password", "s3cret-pass"])
    assert first.exit_code == 0, first.output
    assert "boss" in first.output
    again = runner.invoke(app, ["init", "--admin-username", "boss"])
    assert again.exit_code == 0 and "exists already" in again.output
    with unit_of_work() as s:
        assert find_shop(s, "own-store").channel == "webhook"
        user = auth.check_password(s, username="boss", password="s3cret-pass")
        assert user.role == "admin"


def test_users_create_and_bad_role(committed):
    ok = runner.invoke(app, ["users", "create", "--username", "kefu1", "--role", "cs",
                             "--password", "long-enough-pw"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["users", "create", "--username", "x", "--role", "king",
                              "--password", "long-enough-pw"])
    assert bad.exit_code == 2 and "unknown role" in bad.output


def test_apikeys_create_prints_the_key_last(committed):
    result = runner.invoke(app, ["apikeys", "create", "--name", "mini-program", "--role", "ops"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    with unit_of_work() as s:
        actor = auth.actor_for_api_key(s, key)
    assert actor.role == "ops" and actor.name == "mini-program"


def test_worker_burst_runs_as_a_real_command(committed):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "orderhub.cli", "worker", "--burst"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "processed" in done.stdout
