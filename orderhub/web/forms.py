"""Parsing what a person typed into console forms into the services' inputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from orderhub.core.errors import InvalidInput
from orderhub.orders.queries import OrderFilter
from orderhub.web.i18n import Translator


@dataclass(frozen=True)
class OrderFilterForm:
    """The order list's filter bar, exactly as typed (so the form can be shown filled in again)."""

    status: str = ""
    channel: str = ""
    shop: str = ""
    order_no: str = ""
    platform_order_id: str = ""
    phone_tail: str = ""
    created_from: str = ""
    created_to: str = ""
    sort: str = ""  # "" newest first | "deadline" (orders with a stage in progress, see sla)
    cursor: str = ""

    @classmethod
    def from_query(cls, params: QueryParams) -> OrderFilterForm:
        return cls(**{f.name: params.get(f.name, "").strip()[:80] for f in fields(cls)})

    def to_filter(self, zone: str, t: Translator) -> OrderFilter:
        """Dates are whole days in the seller's zone; 'to' includes the day it names."""
        tail = self.phone_tail
        if tail and not (tail.isdigit() and len(tail) <= 4):
            raise InvalidInput(t("error.bad_phone_tail"), details={"field": "phone_tail"})
        start = _day(self.created_from, zone, t)
        end = _day(self.created_to, zone, t)
        return OrderFilter(
            status=self.status or None, channel=self.channel or None, shop=self.shop or None,
            order_no=self.order_no or None, platform_order_id=self.platform_order_id or None,
            phone_tail=tail or None, created_from=start,
            created_to=end + timedelta(days=1) if end else None)

    @property
    def active(self) -> bool:
        return any(v for k, v in asdict(self).items() if k != "cursor")

    def url(self, *, cursor: str | None = None) -> str:
        """/orders with these filters (empty ones left out) and the given page cursor."""
        values = {k: v for k, v in asdict(replace(self, cursor=cursor or "")).items() if v}
        return "/orders" + (f"?{urlencode(values)}" if values else "")


def _day(value: str, zone: str, t: Translator) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(t("error.bad_date", value=value), details={"value": value}) from None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
