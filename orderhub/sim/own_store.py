"""A simulated own store (WeChat mini-program) that sends realistic orders in the canonical JSON.

Used by `orderhub demo` to keep orders arriving over real HTTP, and by tests and benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉晨宇欣怡子涵梓轩浩然思远佳琪雨萱"
# (province, city, district, street examples) drawn from real divisions.
PLACES = [
    ("浙江省", "杭州市", "西湖区", ["文三路", "天目山路", "古墩路"]),
    ("浙江省", "宁波市", "鄞州区", ["天童南路", "四明中路"]),
    ("江苏省", "南京市", "鼓楼区", ["中山北路", "湖南路"]),
    ("江苏省", "苏州市", "工业园区", ["星湖街", "现代大道"]),
    ("上海市", "上海市", "浦东新区", ["张杨路", "世纪大道", "陆家嘴环路"]),
    ("上海市", "上海市", "徐汇区", ["漕溪北路", "肇嘉浜路"]),
    ("北京市", "北京市", "朝阳区", ["建国路", "望京街", "朝阳北路"]),
    ("广东省", "广州市", "天河区", ["天河路", "体育西路", "珠江新城华夏路"]),
    ("广东省", "深圳市", "南山区", ["科技园南路", "深南大道", "后海大道"]),
    ("四川省", "成都市", "武侯区", ["人民南路", "天府大道北段"]),
    ("湖北省", "武汉市", "洪山区", ["珞喻路", "光谷大道"]),
    ("山东省", "青岛市", "市南区", ["香港中路", "东海西路"]),
    ("河南省", "郑州市", "金水区", ["花园路", "农业路"]),
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", ["解放南路", "新华北路"]),
    ("云南省", "大理白族自治州", "大理市", ["人民路", "洱海大道"]),
    ("黑龙江省", "哈尔滨市", "南岗区", ["西大直街", "红军街"]),
]
PRODUCTS = [
    ("YD-2026-BLK-M", "冬季加厚羽绒服 黑色 M", "399.00"),
    ("YD-2026-BLK-L", "冬季加厚羽绒服 黑色 L", "399.00"),
    ("YD-2026-WHT-S", "冬季加厚羽绒服 米白 S", "429.00"),
    ("MY-CASH-GRY", "羊绒围巾 灰色", "159.00"),
    ("KZ-WOOL-NVY-30", "羊毛西裤 藏青 30", "269.00"),
    ("WY-HOOD-PNK-M", "连帽卫衣 樱花粉 M", "139.00"),
    ("BX-THERM-2P", "德绒保暖内衣 两件套", "99.00"),
    ("XZ-SNOW-BRN-38", "雪地靴 棕色 38", "219.00"),
    ("ST-GLOVE-TOUCH", "触屏保暖手套", "39.90"),
    ("GIFT-SOCKS-3P", "中筒棉袜 三双装", "29.90"),
]
VAGUE_ADDRESSES = ["学校后面那个小区", "老王家楼下", "菜市场对面的楼", "村口小卖部旁边"]
# What the demo store sends now and then so that rules, holds and approvals have work to do.
ANOMALIES = ("vague_address", "bad_phone", "high_value", "presale", "one_line_address",
             "remark_keyword")
# Most buyers leave no remark; some of those who do trip the remark-keyword rule (不要/发票/改地址).
REMARKS = [""] * 14 + ["请周末不要送货", "发顺丰可以吗", "要发票，抬头见留言", "送人的，不要放价格单",
           "改地址：同小区8栋", "尽快发货，谢谢", "不要退换运费险"]


@dataclass
class OwnStore:
    """Deterministic for a seed, so tests and demos can reproduce a run."""

    shop: str = "own-store"
    seed: int | None = None
    zone: str = "Asia/Shanghai"
    counter: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def odd_order(self, kind: str | None = None, *, now: datetime | None = None) -> dict[str, Any]:
        """An order with one of the problems sellers meet every day (see ANOMALIES)."""
        kind = kind or self.rng.choice(ANOMALIES)
        order = self.new_order(now=now, paid=True)
        receiver = order["receiver"]
        if kind == "vague_address":
            receiver.update(province="", city="", district="", address=self.rng.choice(VAGUE_ADDRESSES))
        elif kind == "bad_phone":
            receiver["phone"] = receiver["phone"][:9]
        elif kind == "high_value":
            sku, title, price = PRODUCTS[2]
            order["lines"] = [{"platform_sku": sku, "title": title, "quantity": 8, "unit_price": price,
                               "discount": "0.00"}]
            order["total"] = f"{Decimal(price) * 8:.2f}"
            order["shipping_fee"] = "0.00"
        elif kind == "presale":
            order["presale"] = True
            order["promised_ship_at"] = (datetime.fromisoformat(order["created_at"])
                                         + timedelta(days=10)).isoformat(timespec="seconds")
        elif kind == "one_line_address":
            receiver["address"] = receiver["province"] + receiver["city"] + receiver["district"] \
                + receiver["address"]
            receiver.update(province="", city="", district="")
        elif kind == "remark_keyword":
            order["buyer_remark"] = self.rng.choice(["改地址到公司：科技园南路18号", "要开发票", "不要发圆通"])
        else:
            raise ValueError(f"unknown anomaly {kind!r}; one of {ANOMALIES}")
        return order

    def new_order(self, *, now: datetime | None = None, paid: bool | None = None) -> dict[str, Any]:
        rng = self.rng
        self.counter += 1
        now = (now or datetime.now(ZoneInfo(self.zone))).astimezone(ZoneInfo(self.zone))
        created = now - timedelta(seconds=rng.randint(5, 90))
        paid = rng.random() < 0.8 if paid is None else paid
        province, city, district, streets = rng.choice(PLACES)
        lines = [self._line() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        goods = sum(Decimal(l["unit_price"]) * l["quantity"] - Decimal(l["discount"]) for l in lines)
        shipping = Decimal("0.00") if goods >= 99 else Decimal("8.00")
        return {
            "shop": self.shop,
            "platform_order_id": f"MP{now:%Y%m%d%H%M%S}{self.counter:05d}{rng.randint(0, 99):02d}",
            "status": "paid" if paid else "pending_payment",
            "created_at": created.isoformat(timespec="seconds"),
            "paid_at": (created + timedelta(seconds=rng.randint(3, 60))).isoformat(timespec="seconds")
            if paid else None,
            "buyer": {"id": f"u-{rng.randint(10000, 99999)}", "nick": self._name() + "的小店迷"},
            "receiver": {"name": self._name(), "phone": self._phone(), "province": province,
                         "city": city, "district": district,
                         "address": f"{rng.choice(streets)}{rng.randint(1, 999)}号"
                                    f"{rng.randint(1, 30)}幢{rng.randint(1, 30)}0{rng.randint(1, 6)}室"},
            "buyer_remark": rng.choice(REMARKS), "seller_memo": "", "currency": "CNY",
            "lines": lines, "shipping_fee": f"{shipping:.2f}", "total": f"{goods + shipping:.2f}",
            "presale": False, "promised_ship_at": None,
        }

    def _line(self) -> dict[str, Any]:
        sku, title, price = self.rng.choice(PRODUCTS)
        qty = self.rng.choice((1, 1, 1, 2))
        discount = Decimal(price) * qty * Decimal(self.rng.choice((0, 0, 5, 10))) / 100
        return {"platform_sku": sku, "title": title, "quantity": qty, "unit_price": price,
                "discount": f"{discount.quantize(Decimal('0.01'))}"}

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))

    def _phone(self) -> str:
        return self.rng.choice(("138", "139", "150", "186", "177", "199")) + f"{self.rng.randint(0, 99999999):08d}"
