"""The default rule pack (SPEC §6): the anomaly rules every seller starts with, enabled.

They are ordinary rules — sellers edit or disable them in the console — installed by
`install_default_pack`, which adds only the keys that are missing, so running it again (every
`orderhub init`, the demo) changes nothing and never undoes a seller's edits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orderhub.core.actor import Actor
from orderhub.rules.editing import create_rule, find_by_key
from orderhub.rules.tasks import schedule_jobs

CREATED_PAID = ["order.created", "order.paid"]
ADDRESS = ["order.created", "order.address_changed"]

DEFAULT_RULES: list[dict[str, Any]] = [
    {"key": "vague-address", "name": "地址模糊或无法解析 Vague or unparseable address",
     "triggers": ADDRESS, "severity": "warning", "priority": 500,
     "condition": 'receiver.country == "CN" and (receiver.parsed.confidence < 0.7 '
                  'or receiver.parsed.vague)',
     "actions": [{"type": "hold", "reason_code": "address_check",
                  "reason": "地址模糊，请与买家核实 / vague address, confirm with the buyer"}]},
    {"key": "rural-short-phone", "name": "农村地址且电话非11位 Rural address, phone not 11 digits",
     "triggers": ADDRESS, "severity": "critical", "priority": 520,
     "condition": 'receiver.country == "CN" and receiver.address =~ ".*(村|屯|组).*" '
                  'and receiver.phone_digits.length != 11',
     "actions": [{"type": "hold", "reason_code": "address_check", "reason": "高风险地址 / high-risk address"},
                 {"type": "create_task", "role": "supervisor",
                  "title": "高风险地址：农村地址且电话非11位，请区域经理核实"},
                 {"type": "notify", "role": "supervisor", "message": "高风险地址订单已暂停发货"}]},
    {"key": "invalid-phone", "name": "电话无效 Invalid phone", "triggers": ADDRESS,
     "severity": "warning", "priority": 510,
     "condition": 'receiver.country == "CN" and receiver.phone_kind == "invalid"',
     "actions": [{"type": "hold", "reason_code": "phone_check",
                  "reason": "电话号码无效 / invalid phone number"}]},
    {"key": "unpaid-15min", "name": "下单15分钟未付款提醒 Unpaid for 15 minutes",
     "triggers": ["order.unpaid_timeout"], "severity": "info", "priority": 100,
     "condition": 'order.status == "pending_payment" and order.minutes_since_created >= 15',
     "actions": [{"type": "notify", "role": "cs",
                  "message": "您的订单即将关闭，请及时付款 / payment reminder"}]},
    {"key": "purchase-limit", "name": "限购商品同一手机号当日超3单 Purchase limit by phone",
     "triggers": CREATED_PAID, "severity": "warning", "priority": 450,
     "condition": "order.limited_lines > 0 and history.limited_orders_today > 3",
     "actions": [{"type": "hold", "reason_code": "risk_review",
                  "reason": "触发限购规则，需人工复核身份 / purchase limit, verify the buyer"}]},
    {"key": "presale", "name": "预售订单进入预售队列 Presale queue",
     "triggers": CREATED_PAID, "severity": "info", "priority": 300,
     "condition": "order.presale or order.presale_lines > 0",
     "actions": [{"type": "tag", "tag": "预售"},
                 {"type": "hold", "reason_code": "presale", "reason": "预售订单，等待开售发货 / presale queue"}]},
    {"key": "mixed-presale", "name": "预售与现货混合 Mixed presale and in-stock lines",
     "triggers": ["order.created", "order.lines_changed"], "severity": "warning", "priority": 310,
     "condition": "order.presale_lines > 0 and order.instock_lines > 0",
     "actions": [{"type": "tag", "tag": "预售现货混合"},
                 {"type": "hold", "reason_code": "mixed_presale",
                  "reason": "预售与现货同单，请确认拆单 / mixed presale and in-stock, split?"}]},
    {"key": "high-value", "name": "大额订单审批 High value needs approval",
     "triggers": CREATED_PAID, "severity": "warning", "priority": 400,
     "condition": "order.paid and order.total >= 2000",
     "actions": [{"type": "require_approval", "role": "supervisor", "on_reject": "return_to_cs",
                  "reason": "大额订单（≥¥2000）/ high value"},
                 {"type": "set_priority", "priority": 10}]},
    {"key": "buyer-remark", "name": "买家有留言 Buyer remark present",
     "triggers": ["order.created", "order.remark_changed"], "severity": "info", "priority": 200,
     "condition": 'order.buyer_remark != ""',
     "actions": [{"type": "tag", "tag": "有留言"}]},
    {"key": "remark-keywords", "name": "留言含改地址/发票/不要/退 Remark keywords → CS review",
     "triggers": ["order.created", "order.remark_changed"], "severity": "warning", "priority": 420,
     "condition": 'order.buyer_remark =~ ".*(改地址|发票|不要|退).*"',
     "actions": [{"type": "hold", "reason_code": "buyer_remark",
                  "reason": "买家留言需客服处理 / buyer remark for CS"},
                 {"type": "create_task", "role": "cs", "title": "处理买家留言"}]},
    {"key": "address-changed-after-payment", "name": "付款后修改地址 Address changed after payment",
     "triggers": ["order.address_changed"], "severity": "warning", "priority": 480,
     "condition": "order.paid and order.before_shipment",
     "actions": [{"type": "hold", "reason_code": "address_changed",
                  "reason": "付款后修改了收货地址 / address changed after payment"}]},
    {"key": "unmapped-sku", "name": "商品未匹配内部SKU Unmapped SKU",
     "triggers": ["order.created", "order.lines_changed"], "severity": "critical", "priority": 600,
     "condition": "order.unmapped_lines > 0",
     "actions": [{"type": "hold", "reason_code": "unmapped_sku",
                  "reason": "有商品未匹配内部SKU / a line has no internal SKU"}]},
    {"key": "duplicate-order", "name": "疑似重复订单 Duplicate-looking order",
     "triggers": ["order.created"], "severity": "warning", "priority": 440,
     "condition": "history.duplicates_24h > 0",
     "actions": [{"type": "hold", "reason_code": "duplicate",
                  "reason": "24小时内同收货人同商品 / same receiver and items within 24 h"}]},
    {"key": "refund-before-shipment", "name": "发货前申请退款拦截 Refund before shipment",
     "triggers": ["order.created", "order.refund_changed"], "severity": "critical", "priority": 700,
     "condition": "order.refund_requested_lines > 0 and order.before_shipment",
     "actions": [{"type": "hold", "reason_code": "refund_requested",
                  "reason": "发货前申请退款，拦截 / refund requested, intercept"},
                 {"type": "notify", "role": "warehouse", "message": "拦截：发货前申请退款"}]},
    {"key": "suspicious-buyer", "name": "可疑买家：24小时超15单且退货率>60% Suspicious buyer",
     "triggers": CREATED_PAID, "severity": "critical", "priority": 460,
     "condition": "history.buyer_orders_24h > 15 and history.buyer_return_rate_30d > 0.6",
     "actions": [{"type": "tag", "tag": "可疑"},
                 {"type": "hold", "reason_code": "risk_review",
                  "reason": "可疑：高频下单且高退货率 / suspicious: velocity and returns"}]},
    {"key": "shared-address", "name": "同一地址5个以上账户 Address used by 5+ accounts",
     "triggers": CREATED_PAID, "severity": "critical", "priority": 470,
     "condition": "history.address_accounts >= 5",
     "actions": [{"type": "require_approval", "role": "supervisor", "on_reject": "cancel",
                  "reason": "二级审核：同一地址多个账户 / second-level review"}]},
    {"key": "repeat-category", "name": "收货人近期已购同类商品 Same category bought recently",
     "triggers": ["order.created"], "severity": "info", "priority": 150,
     "condition": "history.repeat_categories.length > 0",
     "actions": [{"type": "tag", "tag": "近期已购同类"},
                 {"type": "notify", "role": "cs", "severity": "info",
                  "message": "收货人近期已购同类商品，请核对 / same category bought recently"}]},
    {"key": "carrier-area", "name": "快递不派送区域改派 Carrier does not deliver here",
     "triggers": ["order.created", "order.address_changed"], "severity": "warning", "priority": 250,
     "condition": "order.carrier in receiver.excluded_carriers",
     "actions": [{"type": "choose_carrier", "carrier": "EMS"},
                 {"type": "tag", "tag": "改派EMS"}]},
]


def install_default_pack(session: Session, *, actor: Actor) -> int:
    """Add the default rules whose keys are missing (and schedule the unpaid sweep); returns
    how many rules were added."""
    schedule_jobs(session)
    added = 0
    for rule in DEFAULT_RULES:
        if find_by_key(session, rule["key"]) is None:
            create_rule(session, data={**rule, "enabled": True}, actor=actor)
            added += 1
    return added
