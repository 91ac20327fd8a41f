"""Helpers for the carrier tests: the three simulators, one account per carrier on them, orders."""

from __future__ import annotations

from typing import Any, Self

from sqlalchemy.orm import Session

from orderhub.fulfilment.carriers import accounts
from orderhub.fulfilment.carriers.models import CarrierAccount
from orderhub.orders.models import Order
from orderhub.sim.cainiao import CainiaoSim
from orderhub.sim.carrier_direct import CarrierDirectSim
from orderhub.sim.pdd_waybill import PddWaybillSim
from tests.builders import ensure_shop, make_order

SENDER = {"name": "杭州仓发货组", "mobile": "13900001111", "province": "浙江省", "city": "杭州市",
          "district": "余杭区", "detail": "仓前街道文一西路1号"}


class Sims:
    def __init__(self) -> None:
        self.cainiao, self.pdd, self.direct = CainiaoSim(seed=1), PddWaybillSim(seed=2), CarrierDirectSim(seed=3)

    def __enter__(self) -> Self:
        for sim in (self.cainiao, self.pdd, self.direct):
            sim.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sim in (self.cainiao, self.pdd, self.direct):
            sim.stop()


def add_account(session: Session, sims: Sims, *, carrier: str, source: str, name: str | None = None,
                secret: str | None = None) -> CarrierAccount:
    if source == "cainiao":
        url, key, secrets = sims.cainiao.url, sims.cainiao.app_key, {
            "app_secret": secret or sims.cainiao.app_secret, "access_token": sims.cainiao.session_key}
    elif source == "pdd":
        url, key, secrets = sims.pdd.url, sims.pdd.client_id, {
            "app_secret": secret or sims.pdd.client_secret, "access_token": sims.pdd.access_token}
    else:
        url, key, secrets = sims.direct.url, sims.direct.partner_id, {
            "app_secret": secret or sims.direct.secret}
    return accounts.create_account(session, name=name or f"{carrier}-{source}", carrier=carrier,
                                   source=source, base_url=url, app_key=key, secrets=secrets,
                                   sender=SENDER, monthly_account="0571000123", branch="杭州余杭网点")


def order(session: Session, *, channel: str = "webhook", province: str = "浙江省", total: str = "379.00",
          **attrs: Any) -> Order:
    shop = f"shop-{channel}"
    ensure_shop(session, shop, channel)
    made = make_order(session, shop=shop, receiver={
        "name": "张三", "phone": "13800138000", "province": province, "city": "某市",
        "district": "某区", "address": "文三路90号3号楼"}, total=total,
        lines=[{"platform_sku": "YD-2026-BLK-M", "title": "冬季加厚羽绒服 黑色 M", "quantity": 1,
                "unit_price": total, "discount": "0.00"}])
    if attrs:
        made.attributes = {**(made.attributes or {}), **attrs}
        session.flush()
    return made
