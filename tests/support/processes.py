"""Starting real worker processes (`orderhub worker`) against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_worker(*, burst: bool = True, name: str = "test-worker",
                 **env: str) -> subprocess.Popen[str]:
    """env: extra ORDERHUB_* variables. The database URL comes from os.environ (tests/conftest)."""
    child_env = {**os.environ, "PYTHONPATH": str(REPO),
                 "ORDERHUB_PLUGINS": "tests.support.handlers", **env}
    args = [sys.executable, "-m", "orderhub.cli", "worker", "--name", name]
    if burst:
        args.append("--burst")
    return subprocess.Popen(args, cwd=REPO, env=child_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> str:
    """Wait for the worker; its output, and fail loudly with it if the exit was not clean."""
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker exited {proc.returncode}:\n{out}"
    return out


def wait_for_file(path: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early:\n{proc.communicate()[0]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"handler never started:\n{proc.communicate()[0]}")
        time.sleep(0.02)
