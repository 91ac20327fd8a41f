"""Seller settings of routing, kept in the audited settings table (orderhub.core.audit).

routing.weights        factor -> weight, summing to 1 (default stock 0.4, delivery 0.3, load 0.2,
                       error 0.1)
routing.allow_split    ship one order from several warehouses when no single one covers it
routing.transfer_days  days a transfer between warehouses takes (for the promised date)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.core.models import Setting
from orderhub.routing.scoring import DEFAULT_WEIGHTS, validate_weights

WEIGHTS = "routing.weights"
ALLOW_SPLIT = "routing.allow_split"
TRANSFER_DAYS = "routing.transfer_days"
KEYS = (WEIGHTS, ALLOW_SPLIT, TRANSFER_DAYS)
DEFAULT_TRANSFER_DAYS = 2
MAX_TRANSFER_DAYS = 60


_STORED = select(Setting.key, Setting.value).where(Setting.key.in_(KEYS))


@dataclass(frozen=True)
class RoutingConfig:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    allow_split: bool = False
    transfer_days: int = DEFAULT_TRANSFER_DAYS

    def as_dict(self) -> dict[str, Any]:
        return {"weights": dict(self.weights), "allow_split": self.allow_split,
                "transfer_days": self.transfer_days}


def load_config(session: Session) -> RoutingConfig:
    """All routing settings in one query; a stored value that no longer validates is ignored."""
    return config_from(dict(session.execute(_STORED).all()))


def config_from(stored: dict[str, Any]) -> RoutingConfig:
    """The config from the stored values of KEYS (absent or invalid ones take their default)."""
    weights = dict(DEFAULT_WEIGHTS)
    if WEIGHTS in stored:
        try:
            weights = validate_weights(stored[WEIGHTS])
        except InvalidInput:
            pass
    split = stored.get(ALLOW_SPLIT)
    days = stored.get(TRANSFER_DAYS)
    return RoutingConfig(
        weights=weights, allow_split=split if isinstance(split, bool) else False,
        transfer_days=days if _valid_days(days) else DEFAULT_TRANSFER_DAYS)


def update_config(session: Session, *, actor: Actor, weights: Any = None, allow_split: Any = None,
                  transfer_days: Any = None) -> RoutingConfig:
    """Change any of the settings (None = leave as is); each change is audited."""
    current = load_config(session)
    changes: dict[str, Any] = {}
    if weights is not None:
        clean = validate_weights(weights)
        if clean != current.weights:
            changes[WEIGHTS] = clean
    if allow_split is not None:
        if not isinstance(allow_split, bool):
            raise InvalidInput("allow_split is true or false", details={"field": "allow_split"})
        if allow_split != current.allow_split:
            changes[ALLOW_SPLIT] = allow_split
    if transfer_days is not None:
        if not _valid_days(transfer_days):
            raise InvalidInput(f"transfer_days is a whole number from 0 to {MAX_TRANSFER_DAYS}",
                               details={"field": "transfer_days", "value": transfer_days})
        if transfer_days != current.transfer_days:
            changes[TRANSFER_DAYS] = transfer_days
    for key, value in changes.items():
        audit.put_setting(session, actor=actor, key=key, value=value)
    if changes:
        outbox.emit(session, "routing.settings_changed", aggregate_type="setting",
                    aggregate_id="routing", actor=actor, payload={"changed": changes})
        session.flush()
    return load_config(session)


def _valid_days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TRANSFER_DAYS
