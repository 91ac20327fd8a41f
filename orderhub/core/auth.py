"""Users, roles, API keys and console sessions. Passwords use argon2; keys and session tokens are
random 256-bit secrets stored only as SHA-256 (fast to check per request, useless if leaked)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from orderhub.core.models import ApiKey, User, UserSession
from orderhub.core.settings import get_settings

ROLES = ("admin", "ops", "cs", "supervisor", "warehouse", "finance", "viewer")

# What each permission needs. Admin can do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "orders.read": frozenset(ROLES),
    "orders.create": frozenset({"admin", "ops", "cs"}),
    "orders.cancel": frozenset({"admin", "ops", "cs", "supervisor"}),
    # Changing the receiver's address inside its window (after it: admin and supervisor only).
    "orders.address": frozenset({"admin", "ops", "cs", "supervisor"}),
    "holds.manage": frozenset({"admin", "ops", "cs", "supervisor"}),
    "outbox.manage": frozenset({"admin", "ops"}),
    "metrics.read": frozenset({"admin", "ops", "supervisor", "viewer"}),
    "users.manage": frozenset({"admin"}),
    "inventory.read": frozenset(ROLES),
    "inventory.manage": frozenset({"admin", "ops", "warehouse"}),
    "stocktake.approve": frozenset({"admin", "supervisor"}),
    "rules.read": frozenset({"admin", "ops", "cs", "supervisor", "viewer"}),
    "rules.manage": frozenset({"admin", "ops"}),
    "approvals.decide": frozenset({"admin", "supervisor"}),
    "tasks.read": frozenset(ROLES),
    "tasks.manage": frozenset({"admin", "ops", "supervisor"}),
    "routing.manage": frozenset({"admin", "ops"}),
    "routing.assign": frozenset({"admin", "ops", "supervisor", "warehouse"}),
    "channels.read": frozenset({"admin", "ops", "cs", "supervisor", "viewer"}),
    "channels.manage": frozenset({"admin", "ops"}),
    "notifiers.manage": frozenset({"admin", "ops"}),
    "inbox.read": frozenset(ROLES),  # everyone reads and marks their own messages
    "sla.read": frozenset(ROLES),
    "sla.manage": frozenset({"admin", "ops", "supervisor"}),
    "sla.assign": frozenset({"admin", "ops", "supervisor"}),
    # Alerts: everyone who works orders sees and acknowledges them; the escalation policy is
    # the supervisors' and ops' to set.
    "alerts.read": frozenset({"admin", "ops", "cs", "supervisor", "warehouse", "viewer"}),
    "alerts.acknowledge": frozenset({"admin", "ops", "cs", "supervisor", "warehouse"}),
    "alerts.manage": frozenset({"admin", "ops", "supervisor"}),
    # Tracking: everyone sees parcels; warehouse and ops also query Kuaidi100 and set the account.
    "tracking.read": frozenset(ROLES),
    "tracking.manage": frozenset({"admin", "ops", "supervisor", "warehouse"}),
    # Carriers: accounts and rules are ops' to set; the warehouse takes and voids waybills.
    "carriers.read": frozenset(ROLES),
    "carriers.manage": frozenset({"admin", "ops"}),
    "waybills.request": frozenset({"admin", "ops", "supervisor", "warehouse"}),
    # Labels: everyone sees batches; whoever takes waybills prints them.
    "labels.read": frozenset(ROLES),
    "labels.print": frozenset({"admin", "ops", "supervisor", "warehouse"}),
}

_PROFILES = {"rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher.from_parameters(_PROFILES[get_settings().password_hash_profile])


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so a wrong username costs as long as a
    wrong password. Made on the first login, not when a command imports this module."""
    return _hasher().hash("orderhub-dummy-password")


def can(role: str, permission: str) -> bool:
    return role == "admin" or role in PERMISSIONS[permission]


def require(actor: Actor, permission: str) -> None:
    if not can(actor.role or "", permission):
        raise PermissionDenied(f"role {actor.role!r} may not {permission}",
                               details={"permission": permission, "role": actor.role})


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", details={"allowed": list(ROLES)})


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, *, username: str, role: str, password: str, actor: Actor,
                display_name: str = "") -> User:
    _check_role(role)
    username = username.strip()
    if not username or len(username) > 80:
        raise InvalidInput("a username is 1 to 80 characters", details={"field": "username"})
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", details={"field": "password"})
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InvalidInput(f"user {username!r} exists already", details={"field": "username"})
    user = User(username=username, role=role, password_hash=_hasher().hash(password),
                display_name=display_name or username, created_at=clock.now())
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, entity_type="user", entity_id=user.id, action="user.created",
                 after={"username": username, "role": role})
    return user


def check_password(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong username or password") from None
    if user is None or not user.active:
        raise AuthenticationFailed("wrong username or password")
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return user


def set_password(session: Session, *, user: User, password: str, actor: Actor) -> None:
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", details={"field": "password"})
    user.password_hash = _hasher().hash(password)
    audit.record(session, actor=actor, entity_type="user", entity_id=user.id,
                 action="user.password_changed")


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))


def revoke_api_keys(session: Session, *, name: str, actor: Actor) -> int:
    keys = list(session.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))))
    for key in keys:
        key.revoked_at = clock.now()
        audit.record(session, actor=actor, entity_type="api_key", entity_id=key.id,
                     action="api_key.revoked", after={"name": name})
    return len(keys)


def create_api_key(session: Session, *, name: str, role: str, actor: Actor) -> tuple[ApiKey, str]:
    """Returns the key row and the secret, which is shown once and never stored."""
    _check_role(role)
    secret = "ohk_" + secrets.token_urlsafe(32)
    key = ApiKey(name=name, role=role, prefix=secret[:12], key_hash=_sha(secret), created_at=clock.now())
    session.add(key)
    session.flush()
    audit.record(session, actor=actor, entity_type="api_key", entity_id=key.id,
                 action="api_key.created", after={"name": name, "role": role, "prefix": key.prefix})
    return key, secret


def actor_for_api_key(session: Session, secret: str) -> Actor:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == _sha(secret)))
    if key is None or key.revoked_at is not None:
        raise AuthenticationFailed("unknown or revoked API key")
    return Actor(kind="api_key", name=key.name, id=key.id, role=key.role)


def actor_for_user(user: User) -> Actor:
    return Actor(kind="user", name=user.username, id=user.id, role=user.role)


def start_session(session: Session, *, user: User, hours: int) -> tuple[UserSession, str]:
    token = secrets.token_urlsafe(32)
    row = UserSession(id=_sha(token), user_id=user.id, csrf_token=secrets.token_urlsafe(24),
                      created_at=clock.now(), expires_at=clock.now() + timedelta(hours=hours))
    session.add(row)
    return row, token


def resume_session(session: Session, token: str) -> tuple[UserSession, User]:
    row = session.get(UserSession, _sha(token))
    if row is None or row.expires_at <= clock.now():
        raise AuthenticationFailed("the session has ended; please log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("the session has ended; please log in again")
    return row, user


def end_session(session: Session, token: str) -> None:
    row = session.get(UserSession, _sha(token))
    if row is not None:
        session.delete(row)
