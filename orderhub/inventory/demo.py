"""Demo master data and stock for `orderhub demo`: three warehouses, the simulated store's SKUs,
a bundle and a hot SKU with only 5 units, so allocation, a backorder and its activation on
receipt are all visible. Idempotent: existing stock rows are left as they are."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.inventory import stock
from orderhub.inventory.masterdata import set_bundle, upsert_sku, upsert_warehouse
from orderhub.inventory.provinces import PROVINCES
from orderhub.inventory.sellable import upsert_channel_rule
from orderhub.sim.own_store import PRODUCTS

BUNDLE = "SET-WINTER-3"
HOT_SKU = "YD-2026-BLK-M"

# code -> (category, weight in grams)
CATALOG = {
    "YD-2026-BLK-M": ("羽绒服", 1200), "YD-2026-BLK-L": ("羽绒服", 1300),
    "YD-2026-WHT-S": ("羽绒服", 1100), "MY-CASH-GRY": ("围巾", 250),
    "KZ-WOOL-NVY-30": ("裤装", 600), "WY-HOOD-PNK-M": ("卫衣", 700),
    "BX-THERM-2P": ("内衣", 500), "XZ-SNOW-BRN-38": ("鞋靴", 1500),
    "ST-GLOVE-TOUCH": ("手套", 120), "GIFT-SOCKS-3P": ("袜子", 200),
}
PURCHASE_LIMITED = {HOT_SKU}


def _days(tiers: dict[int, tuple[str, ...]]) -> dict[str, int]:
    days = {p: d for d, provinces in tiers.items() for p in provinces}
    assert set(days) == set(PROVINCES), set(PROVINCES) ^ set(days)
    return days


HZ_DAYS = _days({
    1: ("浙江省", "江苏省", "上海市", "安徽省"),
    2: ("北京市", "天津市", "河北省", "山东省", "福建省", "江西省", "湖北省", "湖南省", "河南省"),
    3: ("山西省", "广东省", "广西壮族自治区", "重庆市", "四川省", "贵州省", "陕西省", "辽宁省",
        "吉林省", "黑龙江省", "海南省", "云南省", "内蒙古自治区"),
    4: ("甘肃省", "宁夏回族自治区", "青海省"),
    5: ("新疆维吾尔自治区", "西藏自治区"),
})
GZ_DAYS = _days({
    1: ("广东省", "广西壮族自治区"),
    2: ("福建省", "海南省", "湖南省", "江西省", "云南省", "贵州省"),
    3: ("浙江省", "江苏省", "上海市", "安徽省", "湖北省", "重庆市", "四川省", "河南省", "北京市",
        "天津市", "河北省", "山东省", "陕西省"),
    4: ("山西省", "辽宁省", "吉林省", "黑龙江省", "内蒙古自治区", "甘肃省", "宁夏回族自治区",
        "青海省", "新疆维吾尔自治区", "西藏自治区"),
})
CD_DAYS = _days({
    1: ("四川省", "重庆市"),
    2: ("贵州省", "陕西省", "湖北省", "河南省", "云南省", "甘肃省", "湖南省"),
    3: ("广东省", "广西壮族自治区", "宁夏回族自治区", "青海省", "山西省", "安徽省", "江西省",
        "西藏自治区", "河北省", "北京市", "天津市", "山东省"),
    4: ("浙江省", "江苏省", "上海市", "福建省", "海南省", "内蒙古自治区", "新疆维吾尔自治区"),
    5: ("辽宁省", "吉林省", "黑龙江省"),
})

WAREHOUSES = [
    {"code": "HZ", "name": "杭州仓", "province": "浙江省", "city": "杭州市", "daily_capacity": 800,
         "serves_provinces": ["浙江省", "江苏省", "上海市", "安徽省"], "delivery_days": HZ_DAYS,
         "error_rate": 0.008},
    {"code": "GZ", "name": "广州仓", "province": "广东省", "city": "广州市", "daily_capacity": 600,
         "serves_provinces": ["广东省", "广西壮族自治区", "福建省", "海南省", "云南省",
                           "新疆维吾尔自治区", "西藏自治区", "青海省", "内蒙古自治区",
                           "宁夏回族自治区", "甘肃省"],
         "delivery_days": GZ_DAYS, "error_rate": 0.012},
    {"code": "CD", "name": "成都仓", "province": "四川省", "city": "成都市", "daily_capacity": 400,
         "serves_provinces": ["四川省", "重庆市", "贵州省", "陕西省", "湖北省", "河南省"],
         "delivery_days": CD_DAYS, "error_rate": 0.015},
]

# code -> {warehouse: (on hand, safety stock)}
STOCK = {
    HOT_SKU: {"HZ": (3, 0), "GZ": (2, 0), "CD": (0, 0)},
    "YD-2026-BLK-L": {"HZ": (120, 20), "GZ": (80, 15), "CD": (60, 10)},
    "YD-2026-WHT-S": {"HZ": (90, 15), "GZ": (40, 10), "CD": (30, 5)},
    "MY-CASH-GRY": {"HZ": (200, 30), "GZ": (150, 20), "CD": (100, 15)},
    "KZ-WOOL-NVY-30": {"HZ": (60, 10), "GZ": (45, 8), "CD": (25, 5)},
    "WY-HOOD-PNK-M": {"HZ": (150, 20), "GZ": (110, 15), "CD": (70, 10)},
    "BX-THERM-2P": {"HZ": (300, 40), "GZ": (260, 30), "CD": (180, 20)},
    "XZ-SNOW-BRN-38": {"HZ": (40, 10), "GZ": (12, 10), "CD": (35, 8)},
    "ST-GLOVE-TOUCH": {"HZ": (400, 50), "GZ": (300, 40), "CD": (150, 20)},
    "GIFT-SOCKS-3P": {"HZ": (500, 60), "GZ": (420, 50), "CD": (260, 30)},
}
IN_TRANSIT = {(HOT_SKU, "HZ"): (50, 3)}  # (units, days until expected)


def seed_demo_stock(session: Session, *, actor: Actor) -> None:
    codes = {}
    for spec in WAREHOUSES:
        wh, _ = upsert_warehouse(session, actor=actor, **spec)
        codes[wh.code] = wh.id
    for code, name, _price in PRODUCTS:
        category, weight = CATALOG.get(code, ("", 0))
        upsert_sku(session, code=code, actor=actor, name=name, category=category, weight_g=weight,
                   purchase_limited=code in PURCHASE_LIMITED)
    upsert_sku(session, code=BUNDLE, actor=actor, name="冬季保暖三件套（羽绒服+围巾+手套）",
               category="套装", weight_g=1670)
    set_bundle(session, code=BUNDLE, actor=actor,
               parts=[("YD-2026-BLK-L", 1), ("MY-CASH-GRY", 1), ("ST-GLOVE-TOUCH", 1)])
    for code, per_wh in STOCK.items():
        for wh_code, (on_hand, safety) in per_wh.items():
            if stock.level_of(session, code, codes[wh_code]) is not None:
                continue
            transit, days = IN_TRANSIT.get((code, wh_code), (0, 0))
            stock.set_level(session, sku=code, warehouse_id=codes[wh_code], on_hand=on_hand,
                            safety_stock=safety, in_transit=transit,
                            in_transit_expected_at=clock.now() + timedelta(days=days) if transit else None,
                            actor=actor, reason="demo opening stock")
    upsert_channel_rule(session, shop="own-store", warehouse_codes=[], share_pct=100, actor=actor,
                        only_if_missing=True)
