"""Carrier accounts: create/edit them, and pick the account an order's waybill is taken with.

The platform e-waybill rule: an order from a platform that requires its own e-waybill must take
its number through that platform's service (PLATFORM_SOURCES); any other order uses a direct
account of the carrier, else a Cainiao one (Cainiao issues waybills for non-Taobao orders too).
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.channels.base import CARRIERS
from orderhub.channels.secrets import seal, unseal
from orderhub.core import audit
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.fulfilment.carriers.cainiao import CainiaoAdapter
from orderhub.fulfilment.carriers.direct import DirectAdapter
from orderhub.fulfilment.carriers.douyin_waybill import DouyinWaybillAdapter
from orderhub.fulfilment.carriers.models import SOURCES, CarrierAccount
from orderhub.fulfilment.carriers.pdd_waybill import PddWaybillAdapter
from orderhub.fulfilment.carriers.waybills import (
    AccountInfo,
    CarrierRefused,
    WaybillAdapter,
)

# Order channel -> the e-waybill source its platform requires (Taobao and Tmall share a channel).
PLATFORM_SOURCES = {"taobao": "cainiao", "tmall": "cainiao", "pdd": "pdd", "douyin": "douyin"}
OPEN_SOURCES = ("direct", "cainiao")  # tried in this order for every other channel
ADAPTERS: dict[str, type[WaybillAdapter]] = {
    "cainiao": CainiaoAdapter, "pdd": PddWaybillAdapter, "douyin": DouyinWaybillAdapter,
    "direct": DirectAdapter}
SENDER_FIELDS = ("name", "mobile", "phone", "province", "city", "district", "detail")


class CarrierAccountNotFound(NotFound):
    code = "carrier_account_not_found"


def create_account(session: Session, *, name: str, carrier: str, source: str, base_url: str,
                   app_key: str, secrets: dict[str, Any], sender: dict[str, Any],
                   monthly_account: str = "", branch: str = "", active: bool = True,
                   actor: Actor | None = None) -> CarrierAccount:
    _check(carrier=carrier, source=source, name=name)
    if session.scalar(select(CarrierAccount.id).where(CarrierAccount.name == name)):
        raise InvalidInput(f"carrier account {name!r} exists already", details={"field": "name"})
    account = CarrierAccount(name=name, carrier=carrier, source=source, base_url=base_url.rstrip("/"),
                             app_key=app_key, sealed_secrets=seal(secrets), sender=_sender(sender),
                             monthly_account=monthly_account, branch=branch, active=active)
    session.add(account)
    session.flush()
    if actor is not None:  # never the secrets: only that they were set
        audit.record(session, actor=actor, entity_type="carrier_account", entity_id=account.id,
                     action="carriers.account_created", after=account_dict(account))
    return account


def update_account(session: Session, *, account_id: int, secrets: dict[str, Any] | None = None,
                   actor: Actor | None = None, **changes: Any) -> CarrierAccount:
    account = get_account(session, account_id)
    before = account_dict(account)
    _check(carrier=changes.get("carrier") or account.carrier,
           source=changes.get("source") or account.source, name=changes.get("name") or account.name)
    for key in ("name", "carrier", "source", "base_url", "app_key", "monthly_account", "branch", "active"):
        if key in changes and changes[key] is not None:
            setattr(account, key, changes[key])
    if changes.get("sender") is not None:
        account.sender = _sender(changes["sender"])
    if secrets:  # blank means "keep": the form never shows the stored secrets
        account.sealed_secrets = seal(secrets)
    session.flush()
    if actor is not None:
        old, new = audit.changed_fields(before, account_dict(account))
        if secrets:
            new["secrets"] = "replaced"
        audit.record(session, actor=actor, entity_type="carrier_account", entity_id=account.id,
                     action="carriers.account_changed", before=old, after=new)
    return account


def account_dict(account: CarrierAccount) -> dict[str, Any]:
    """An account as people and the API see it: secrets only as "set" or not."""
    return {"id": account.id, "name": account.name, "carrier": account.carrier,
            "carrier_name": CARRIERS.get(account.carrier, account.carrier), "source": account.source,
            "base_url": account.base_url, "app_key": account.app_key,
            "secrets_set": bool(account.sealed_secrets), "sender": dict(account.sender or {}),
            "monthly_account": account.monthly_account, "branch": account.branch,
            "active": account.active, "last_error": account.last_error}


def get_account(session: Session, account_id: int) -> CarrierAccount:
    account = session.get(CarrierAccount, account_id)
    if account is None:
        raise CarrierAccountNotFound(f"no carrier account {account_id}")
    return account


def list_accounts(session: Session) -> list[CarrierAccount]:
    return list(session.scalars(select(CarrierAccount).order_by(CarrierAccount.carrier, CarrierAccount.id)))


def account_for(session: Session, *, carrier: str, channel: str) -> tuple[CarrierAccount | None, str]:
    """The account for `carrier` an order from `channel` must use, or None and why not."""
    return pick_account(active_accounts(session), carrier=carrier, channel=channel)


def active_accounts(session: Session) -> list[CarrierAccount]:
    """Every active account, oldest first: what `pick_account` chooses from (read once per batch)."""
    return list(session.scalars(select(CarrierAccount).where(CarrierAccount.active.is_(True))
                                .order_by(CarrierAccount.id)))


def pick_account(accounts: list[CarrierAccount], *, carrier: str,
                 channel: str) -> tuple[CarrierAccount | None, str]:
    """`account_for` over accounts already read (active ones, oldest first): the platform's
    required source, else direct before cainiao; the oldest account of that source wins."""
    required = PLATFORM_SOURCES.get(channel)
    sources = (required,) if required else OPEN_SOURCES
    for source in sources:
        for account in accounts:
            if account.active and account.carrier == carrier and account.source == source:
                return account, f"{source} account {account.name}"
    if required:
        return None, f"{channel} orders need a {required} e-waybill account for {carrier}; none is active"
    return None, f"no active direct or cainiao account for {carrier}"


def info(account: CarrierAccount) -> AccountInfo:
    return AccountInfo(id=account.id, carrier=account.carrier, source=account.source,
                       base_url=account.base_url, app_key=account.app_key,
                       secrets=unseal(account.sealed_secrets), sender=dict(account.sender or {}),
                       monthly_account=account.monthly_account, branch=account.branch)


def adapter_for(account: AccountInfo, *, client: httpx.Client | None = None) -> WaybillAdapter:
    cls = ADAPTERS.get(account.source)
    if cls is None:
        raise CarrierRefused(f"{account.source} e-waybills are not supported yet")
    return cls(account, client=client)


def _check(*, carrier: str, source: str, name: str) -> None:
    if carrier not in CARRIERS:
        raise InvalidInput(f"unknown carrier {carrier!r}; one of {sorted(CARRIERS)}",
                           details={"field": "carrier"})
    if source not in SOURCES:
        raise InvalidInput(f"unknown waybill source {source!r}; one of {list(SOURCES)}",
                           details={"field": "source"})
    if not name.strip():
        raise InvalidInput("an account needs a name", details={"field": "name"})


def _sender(sender: dict[str, Any]) -> dict[str, str]:
    return {key: str(sender.get(key, "") or "") for key in SENDER_FIELDS}
