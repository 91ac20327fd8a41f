"""The demo's warehouse side: e-waybill simulators (Cainiao, PDD, Douyin, a direct carrier API) and the
Kuaidi100 simulator in this process; carrier accounts and rules pointed at them; and a courier
that walks every subscribed parcel from pick-up to delivery a minute or two apart — so a
newcomer prints labels, scans parcels out and watches tracking arrive and orders get delivered."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.fulfilment.carriers import accounts, rules
from orderhub.fulfilment.carriers.models import CarrierAccount, CarrierRule
from orderhub.fulfilment.tracking import service as tracking
from orderhub.sim.cainiao import CainiaoSim
from orderhub.sim.carrier_direct import CarrierDirectSim
from orderhub.sim.douyin_waybill import DouyinWaybillSim
from orderhub.sim.kuaidi100 import Kuaidi100Sim
from orderhub.sim.pdd_waybill import PddWaybillSim

DEMO = Actor.system("demo")
SENDER = {"name": "订单中枢演示仓", "mobile": "13900001111", "province": "浙江省", "city": "杭州市",
          "district": "余杭区", "detail": "仓前街道文一西路1号"}
DEMO_CARRIERS = ("ZTO", "YUNDA", "YTO", "SF")
# (name, priority, carrier, conditions): "Jiangsu/Zhejiang/Shanghai -> ZTO, Guangdong -> Yunda"
# (SPEC §8), dear parcels by SF, the rest by YTO.
DEMO_RULES = (
    ("演示 贵重件走顺丰", 10, "SF", {"min_value": 100000}),
    ("演示 江浙沪走中通", 20, "ZTO", {"provinces": ["江苏", "浙江", "上海"]}),
    ("演示 广东走韵达", 30, "YUNDA", {"provinces": ["广东"]}),
)
DEFAULT_CARRIER = "YTO"
# Seconds after the subscription at which the courier scans: pick-up, hub, out for delivery,
# signed. One parcel in RETURN_EVERY is sent back instead (a tracking exception to look at).
COURIER_STEPS = ((20, "collect", "杭州市"), (60, "transit", "上海转运中心"),
                 (100, "dispatch", "收件地网点"), (140, "deliver", "收件地网点"))
RETURN_EVERY = 12


def start_carrier_simulators(seed: int | None = None) -> dict[str, Any]:
    # Each simulator numbers its waybills from its own seed: one seed for all would hand out
    # the same ZTO numbers through Cainiao and the direct API.
    seeds = [None if seed is None else seed * 10 + i for i in range(4)]
    sims: dict[str, Any] = {"cainiao": CainiaoSim(seed=seeds[0]),
                            "pdd_waybill": PddWaybillSim(seed=seeds[1]),
                            "douyin_waybill": DouyinWaybillSim(seed=seeds[2]),
                            "carrier_direct": CarrierDirectSim(seed=seeds[3]),
                            "kuaidi100": Kuaidi100Sim()}
    for sim in sims.values():
        sim.start()
    return sims


def stop_carrier_simulators(sims: dict[str, Any]) -> None:
    for sim in sims.values():
        sim.stop()


def connect_carriers(session: Session, sims: dict[str, Any]) -> None:
    """Accounts for each demo carrier on each e-waybill source, the rules, and Kuaidi100.
    On a restart the accounts follow the simulators' new addresses."""
    for carrier in DEMO_CARRIERS:
        for source, (url, key, secrets) in _sources(sims).items():
            _account(session, name=f"演示 {carrier} {source}", carrier=carrier, source=source,
                     base_url=url, app_key=key, secrets=secrets)
    _rules(session)
    k100 = sims["kuaidi100"]
    tracking.configure_kuaidi100(session, base_url=k100.url, customer=k100.customer, key=k100.key,
                                 actor=DEMO)


def _sources(sims: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, str]]]:
    cainiao, pdd, direct = sims["cainiao"], sims["pdd_waybill"], sims["carrier_direct"]
    douyin = sims["douyin_waybill"]
    return {
        "direct": (direct.url, direct.partner_id, {"app_secret": direct.secret}),
        "cainiao": (cainiao.url, cainiao.app_key, {"app_secret": cainiao.app_secret,
                                                   "access_token": cainiao.session_key}),
        "pdd": (pdd.url, pdd.client_id, {"app_secret": pdd.client_secret,
                                         "access_token": pdd.access_token}),
        "douyin": (douyin.url, douyin.app_key, {"app_secret": douyin.app_secret,
                                                "access_token": douyin.access_token}),
    }


def _account(session: Session, *, name: str, carrier: str, source: str, base_url: str,
             app_key: str, secrets: dict[str, str]) -> None:
    found = session.scalar(select(CarrierAccount).where(CarrierAccount.name == name))
    if found is None:
        accounts.create_account(session, name=name, carrier=carrier, source=source,
                                base_url=base_url, app_key=app_key, secrets=secrets,
                                sender=SENDER, monthly_account="0571000123",
                                branch="杭州余杭网点", actor=DEMO)
    else:
        accounts.update_account(session, account_id=found.id, base_url=base_url,
                                app_key=app_key, secrets=secrets, actor=DEMO)


def _rules(session: Session) -> None:
    if session.scalar(select(CarrierRule.id).limit(1)) is not None:
        return  # the seller's own rules (or the demo's from an earlier start) stay
    for name, priority, carrier, conditions in DEMO_RULES:
        rules.create_rule(session, name=name, priority=priority, carrier=carrier, actor=DEMO,
                          **conditions)
    rules.create_rule(session, name="演示 默认圆通", carrier=DEFAULT_CARRIER, is_default=True,
                      actor=DEMO)


class Courier:
    """Scans the Kuaidi100 simulator's parcels as time passes; Kuaidi100 pushes each scan to
    OrderHub's callback (signed), exactly as it would in production."""

    def __init__(self, sim: Kuaidi100Sim, *, seed: int | None = None) -> None:
        self.sim = sim
        self.rng = random.Random(seed)
        self.seen: dict[str, tuple[float, int, bool]] = {}  # number -> (first seen, steps done, returned)

    def tick(self, now: float | None = None) -> list[tuple[str, str]]:
        """Scan what is due; returns (number, scan kind) for each scan made."""
        now = time.monotonic() if now is None else now
        done = []
        for number in self.sim.numbers():
            first, steps, returned = self.seen.setdefault(
                number, (now, 0, self.rng.randrange(RETURN_EVERY) == 0))
            while steps < len(COURIER_STEPS) and now - first >= COURIER_STEPS[steps][0]:
                _, kind, area = COURIER_STEPS[steps]
                if returned and kind == "deliver":
                    kind = "return"
                try:
                    self.sim.advance(number, kind, area=area)
                except httpx.HTTPError:
                    break  # OrderHub is restarting: scan again next tick
                steps += 1
                done.append((number, kind))
            self.seen[number] = (first, steps, returned)
        return done

    def run(self, stop: threading.Event, every: float = 5.0) -> None:
        while not stop.wait(every):
            self.tick()
