"""Who may change an order's address now, and what the change costs; and what a valid address is.

Plain decisions over an order's status, its creation time and whether a waybill was taken, so
the use case, the API and the console page all say the same thing. SPEC §8: an address is
editable for 15 minutes (a setting) after the order was created; after that only a supervisor
changes it (recorded as an override) because the warehouse may already be working on it; once
a waybill was taken the old label carries the old address, so the change voids it and the
order goes back to `allocated` to be printed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from orderhub.address import classify_phone
from orderhub.address.divisions import CITY, PROVINCE, divisions
from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict, InvalidInput
from orderhub.core.settings import get_settings
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order

WINDOW_SETTING = "fulfilment.address_change_window_minutes"
DEFAULT_WINDOW_MINUTES = 15
MAX_WINDOW_MINUTES = 24 * 60
# Who may change an address at all (admin, ops, cs, supervisor: core.auth).
CHANGE_PERMISSION = "orders.address"
OVERRIDE_ROLES = frozenset({"admin", "supervisor"})
AFTER_SHIPMENT = frozenset({lc.SHIPPED, lc.DELIVERED, lc.COMPLETED})
ENDED = frozenset({lc.CANCELLED, lc.CLOSED})
PHONE_KINDS_ACCEPTED = ("mobile", "landline", "virtual")  # virtual: a platform privacy number
MAX_COMPENSATION = 100_000_00  # minor units; more than ¥100,000 is a typing error


class ChangeRefused(Conflict):
    code = "address_change_refused"


class WindowClosed(ChangeRefused):
    code = "address_change_window_closed"


@dataclass(frozen=True)
class Allowance:
    """What an address change of this order by this actor would be now."""

    allowed: bool
    kind: str  # in_window | override | "" when refused
    reprint: bool  # a waybill was taken: it is voided and the label printed again
    closes_at: datetime
    refusal: str = ""
    window_closed: bool = False  # refused only because the window closed (a supervisor may)

    def seconds_left(self, now: datetime) -> int:
        return max(0, int((self.closes_at - now).total_seconds()))


@dataclass(frozen=True)
class Compensation:
    amount: int  # minor units of the order's currency
    note: str = ""


def window_minutes(session: Session) -> int:
    return int(audit.get_setting(session, WINDOW_SETTING, DEFAULT_WINDOW_MINUTES))


def set_window_minutes(session: Session, *, minutes: int, actor: Actor) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_WINDOW_MINUTES:
        raise InvalidInput(f"the address change window is 1 to {MAX_WINDOW_MINUTES} minutes",
                           details={"field": "minutes", "value": minutes})
    audit.put_setting(session, actor=actor, key=WINDOW_SETTING, value=minutes)


def allowance(session: Session, order: Order, *, actor: Actor, has_waybill: bool,
              now: datetime | None = None) -> Allowance:
    now = now or clock.now()
    closes_at = order.created_at + timedelta(minutes=window_minutes(session))
    status = order.held_from if order.status == lc.ON_HOLD else order.status
    refused = lambda why: Allowance(False, "", False, closes_at, why)
    if status in AFTER_SHIPMENT:
        return refused(f"order {order.order_no} has shipped ({status}): changing where it goes "
                       "is an after-sales matter now (intercept or redirect with the carrier)")
    if status in ENDED:
        return refused(f"order {order.order_no} is {status}: there is nothing to deliver")
    reprint = has_waybill or status == lc.LABEL_PRINTED
    if reprint and order.status == lc.ON_HOLD:
        return refused(f"order {order.order_no} is on hold with its label printed: resolve the "
                       "hold first, then change the address (the waybill is voided and reprinted)")
    if now < closes_at:
        return Allowance(True, "in_window", reprint, closes_at)
    if (actor.role or "") in OVERRIDE_ROLES:
        return Allowance(True, "override", reprint, closes_at)
    return Allowance(False, "", reprint, closes_at, f"the address change window of order {order.order_no} closed at "
                   f"{clock.local(closes_at, get_settings().timezone):%Y-%m-%d %H:%M} "
                   f"({window_minutes(session)} minutes after it was created); ask a supervisor",
                     window_closed=True)


def clean_address(values: dict[str, Any]) -> dict[str, str]:
    """The order's receiver_* columns for a new address, or InvalidInput naming the field."""
    text = {key: str(values.get(key) or "").strip() for key in
            ("name", "phone", "province", "city", "district", "street", "detail", "zip")}
    for key, limit in (("name", 120), ("phone", 40), ("province", 40), ("city", 60),
                       ("district", 60), ("street", 120), ("detail", 500), ("zip", 20)):
        if key in ("name", "phone", "province", "city", "detail") and not text[key]:
            raise InvalidInput(f"address.{key} is required", details={"field": f"address.{key}"})
        if len(text[key]) > limit:
            raise InvalidInput(f"address.{key} is longer than {limit} characters",
                               details={"field": f"address.{key}"})
    phone = classify_phone(text["phone"])
    if phone.kind not in PHONE_KINDS_ACCEPTED:
        raise InvalidInput(f"address.phone {text['phone']!r} is not a valid phone number ({phone.kind}); "
                           "give an 11-digit mobile or a landline with its area code",
                           details={"field": "address.phone", "kind": phone.kind})
    province = _province(text["province"])
    _check_city(province, text["city"])
    if text["zip"] and not (text["zip"].isdigit() and len(text["zip"]) == 6):
        raise InvalidInput(f"address.zip {text['zip']!r} is not a 6-digit postcode",
                           details={"field": "address.zip"})
    return {"receiver_name": text["name"], "receiver_phone": text["phone"],
            "receiver_province": province, "receiver_city": text["city"],
            "receiver_district": text["district"], "receiver_street": text["street"],
            "receiver_detail": text["detail"], "receiver_zip": text["zip"]}


def _province(name: str) -> str:
    """The official name of a province given in full or short (浙江 → 浙江省)."""
    for unit, _short in divisions().names.get(name, []):
        if unit.level == PROVINCE:
            return unit.name
    raise InvalidInput(f"address.province {name!r} is not a province of China",
                       details={"field": "address.province"})


def _check_city(province: str, city: str) -> None:
    """A city we know must lie in the province; names we do not know are left to the rules'
    address scoring (platforms use many informal names)."""
    data = divisions()
    cities = [u for u, _ in data.names.get(city, []) if u.level == CITY]
    if cities and not any(data.units[u.province_code].name == province for u in cities):
        raise InvalidInput(f"address.city {city!r} is not in {province}",
                           details={"field": "address.city"})


def clean_compensation(compensation: Compensation | dict[str, Any] | None) -> Compensation | None:
    if compensation is None:
        return None
    if isinstance(compensation, dict):
        compensation = Compensation(amount=compensation.get("amount"),  # type: ignore[arg-type]
                                    note=str(compensation.get("note") or ""))
    amount = compensation.amount
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_COMPENSATION:
        raise InvalidInput("compensation.amount is a whole number of minor units (fen) above 0 "
                           f"and at most {MAX_COMPENSATION}", details={"field": "compensation.amount"})
    note = compensation.note.strip()
    if len(note) > 200:
        raise InvalidInput("compensation.note is longer than 200 characters",
                           details={"field": "compensation.note"})
    return Compensation(amount=amount, note=note)
