"""Demo region rules for `orderhub demo` (the warehouses come from orderhub.inventory.demo):
Jiangsu/Zhejiang/Shanghai/Anhui -> Hangzhou, remote provinces -> Guangzhou, the north (which no
demo warehouse lists among its provinces) -> Hangzhou. Idempotent: existing rules are kept."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.routing import regions

RULES = (
    ("江浙沪皖 → 杭州仓", 10, ["江苏省", "浙江省", "上海市", "安徽省"], "HZ"),
    ("偏远地区 → 广州仓", 20, ["新疆维吾尔自治区", "西藏自治区", "青海省", "内蒙古自治区",
                            "宁夏回族自治区", "甘肃省"], "GZ"),
    ("华北东北 → 杭州仓", 30, ["北京市", "天津市", "河北省", "山西省", "山东省", "辽宁省", "吉林省",
                            "黑龙江省", "江西省", "湖南省"], "HZ"),
)


def seed_demo_rules(session: Session, *, actor: Actor) -> int:
    """Adds the rules not there yet (by name); how many were added."""
    have = {rule.name for rule in regions.list_rules(session)}
    added = 0
    for name, priority, provinces, code in RULES:
        if name not in have:
            regions.create_rule(session, actor=actor, name=name, priority=priority,
                                provinces=provinces, warehouse_code=code)
            added += 1
    return added
