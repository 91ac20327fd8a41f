"""Shops' app secrets and access tokens are encrypted at rest (Fernet: AES-128-CBC + HMAC).

The key comes from ORDERHUB_SECRET_KEY, or from `secret.key` in the data directory, created
with owner-only permissions the first time it is needed. A database copy without the key reveals
no credentials.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from orderhub.core.settings import get_settings


class SecretsUnreadable(RuntimeError):
    """The stored credentials were encrypted with another key."""


@lru_cache(maxsize=4)
def _fernet(key: str | None, data_dir: Path) -> Fernet:
    if key:
        return Fernet(key.encode())
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def _current() -> Fernet:
    settings = get_settings()
    return _fernet(settings.secret_key, settings.data_dir.resolve())


def seal(values: dict[str, Any]) -> str:
    return _current().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_current().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretsUnreadable("shop credentials were encrypted with a different key "
                                "(ORDERHUB_SECRET_KEY or data_dir/secret.key changed)") from exc
