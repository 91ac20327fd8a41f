"""Console passwords: Argon2id with argon2-cffi's RFC 9106 parameters unless settings say
otherwise, and a hash made under other parameters is replaced at the next good login."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from orderhub.core import auth
from orderhub.core.errors import AuthenticationFailed
from orderhub.core.settings import Settings, get_settings
from tests.builders import TEST_ACTOR

REAL = "$argon2id$v=19$m=65536,t=3,p=4$"  # RFC 9106's low-memory choice
CHEAPEST = "$argon2id$v=19$m=8,t=1,p=1$"  # what the test run sets


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Lets a test switch the profile; the hasher made under it is dropped afterwards."""
    auth._hasher.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    auth._hasher.cache_clear()


def test_a_seller_gets_the_real_parameters_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERHUB_PASSWORD_HASH_PROFILE")
    assert Settings().password_hash_profile == "rfc9106-low-memory"


def test_a_hash_of_other_parameters_is_replaced_at_the_next_login(
        session: Session, profile: pytest.MonkeyPatch) -> None:
    profile.setattr(get_settings(), "password_hash_profile", "rfc9106-low-memory")
    user = auth.create_user(session, username="wang", role="ops", password="secret-123",
                            actor=TEST_ACTOR)
    assert user.password_hash.startswith(REAL)

    profile.setattr(get_settings(), "password_hash_profile", "cheapest")
    auth._hasher.cache_clear()
    with pytest.raises(AuthenticationFailed):
        auth.check_password(session, username="wang", password="secret-124")
    assert user.password_hash.startswith(REAL)  # a wrong password changes nothing
    assert auth.check_password(session, username="wang", password="secret-123") is user
    assert user.password_hash.startswith(CHEAPEST)
    assert auth.check_password(session, username="wang", password="secret-123") is user


def test_an_unknown_profile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERHUB_PASSWORD_HASH_PROFILE", "md5")
    with pytest.raises(ValueError, match="password_hash_profile"):
        Settings()
