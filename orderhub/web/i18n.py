"""Console wording in Simplified Chinese (the default) and English.

One table, key -> (zh-CN, en), so a missing translation is visible in review and a test can check
that every key a template uses exists. Templates call `t("key")`, or `t.of("status", value)` for
values that come from the data (a status, a channel, an event topic) and fall back to the raw
value when the table does not know it.
"""

from __future__ import annotations

from fastapi import Request

from orderhub.core.settings import get_settings

LOCALES = ("zh-CN", "en")
LANG_COOKIE = "orderhub_lang"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}

MESSAGES: dict[str, tuple[str, str]] = {
    # Layout
    "app.name": ("订单中枢", "OrderHub"),
    "nav.orders": ("订单", "Orders"),
    "nav.dead_letters": ("死信", "Dead letters"),
    "nav.main": ("主导航", "Main navigation"),
    "nav.language": ("语言", "Language"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.signed_in_as": ("当前用户", "Signed in as"),
    "common.none": ("—", "—"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.back_to_orders": ("返回订单列表", "Back to orders"),
    "common.next_page": ("下一页", "Next page"),
    "common.first_page": ("回到第一页", "First page"),
    "common.loading": ("加载中…", "Loading…"),
    "common.hidden_for_role": ("当前角色不可查看", "Hidden for your role"),
    "common.fields": ("{count} 个字段", "{count} fields"),
    # Login
    "login.title": ("登录", "Log in"),
    "login.heading": ("登录订单中枢", "Log in to OrderHub"),
    "login.subtitle": ("多平台订单集中处理", "Every order from every channel, in one place"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误。", "Wrong username or password."),
    # Order list
    "orders.title": ("订单", "Orders"),
    "orders.filters": ("筛选", "Filters"),
    "orders.filter.status": ("状态", "Status"),
    "orders.filter.channel": ("渠道", "Channel"),
    "orders.filter.shop": ("店铺", "Shop"),
    "orders.filter.order_no": ("订单号", "Order no."),
    "orders.filter.platform_order_id": ("平台单号", "Platform order ID"),
    "orders.filter.phone_tail": ("手机尾号", "Phone (last 4)"),
    "orders.filter.created_from": ("下单日期从", "Created from"),
    "orders.filter.created_to": ("下单日期至", "Created to"),
    "orders.filter.all": ("全部", "All"),
    "orders.filter.apply": ("查询", "Search"),
    "orders.filter.reset": ("重置", "Reset"),
    "orders.empty": ("没有符合条件的订单。", "No orders match these filters."),
    "orders.col.order_no": ("订单号", "Order no."),
    "orders.col.shop": ("店铺", "Shop"),
    "orders.col.channel": ("渠道", "Channel"),
    "orders.col.platform_order_id": ("平台单号", "Platform order ID"),
    "orders.col.status": ("状态", "Status"),
    "orders.col.holds": ("挂起", "Holds"),
    "orders.col.receiver": ("收货人", "Receiver"),
    "orders.col.total": ("实付金额", "Total"),
    "orders.col.created_at": ("下单时间", "Created"),
    "orders.page_hint": ("最新进入系统的订单在前，每页 {size} 条", "Latest arrivals first, {size} per page"),
    # Order detail
    "order.title": ("订单 {order_no}", "Order {order_no}"),
    "order.section.info": ("订单信息", "Order"),
    "order.section.receiver": ("收货信息", "Receiver"),
    "order.section.amounts": ("金额", "Amounts"),
    "order.section.remarks": ("留言与备注", "Remarks"),
    "order.section.lines": ("商品明细", "Items"),
    "order.section.holds": ("挂起记录", "Holds"),
    "order.section.timeline": ("订单动态", "Timeline"),
    "order.section.audit": ("操作日志", "Audit trail"),
    "order.field.order_no": ("订单号", "Order no."),
    "order.field.shop": ("店铺", "Shop"),
    "order.field.channel": ("渠道", "Channel"),
    "order.field.platform_order_id": ("平台单号", "Platform order ID"),
    "order.field.platform_status": ("平台状态", "Platform status"),
    "order.field.created_at": ("下单时间", "Created"),
    "order.field.paid_at": ("付款时间", "Paid"),
    "order.field.received_at": ("进入系统", "Received"),
    "order.field.presale": ("预售", "Presale"),
    "order.field.promised_ship_at": ("承诺发货", "Promised ship by"),
    "order.field.buyer": ("买家", "Buyer"),
    "order.field.receiver_name": ("收货人", "Name"),
    "order.field.receiver_phone": ("手机", "Phone"),
    "order.field.receiver_address": ("地址", "Address"),
    "order.field.goods_total": ("商品金额", "Goods"),
    "order.field.discount_total": ("优惠", "Discounts"),
    "order.field.shipping_fee": ("运费", "Shipping"),
    "order.field.total": ("实付金额", "Total paid"),
    "order.field.buyer_remark": ("买家留言", "Buyer remark"),
    "order.field.seller_memo": ("卖家备注", "Seller memo"),
    "order.field.held_from": ("挂起前状态", "Held from"),
    "order.line.no": ("#", "#"),
    "order.line.title": ("商品", "Item"),
    "order.line.platform_sku": ("平台 SKU", "Platform SKU"),
    "order.line.sku": ("内部 SKU", "Internal SKU"),
    "order.line.quantity": ("数量", "Qty"),
    "order.line.unit_price": ("单价", "Unit price"),
    "order.line.discount": ("优惠", "Discount"),
    "order.line.refund_status": ("退款", "Refund"),
    "order.cancel": ("取消订单", "Cancel order"),
    "order.cancel.reason": ("取消原因", "Reason for cancelling"),
    "order.cancel.confirm": ("确认取消订单", "Confirm cancellation"),
    "order.cancel.confirm_question": ("确定要取消订单 {order_no} 吗？此操作不可撤销。",
                                      "Cancel order {order_no}? This cannot be undone."),
    "order.cancel.default_reason": ("客服取消", "Cancelled by customer service"),
    "order.cancelled": ("订单已取消。", "The order was cancelled."),
    "holds.none": ("没有挂起记录。", "No holds."),
    "holds.open": ("未解除", "Open"),
    "holds.resolved": ("已解除", "Resolved"),
    "holds.reason_code": ("原因类型", "Reason code"),
    "holds.reason": ("说明", "Details"),
    "holds.raised": ("发起", "Raised"),
    "holds.resolved_by": ("解除", "Resolved"),
    "holds.resolution": ("处理结果", "Resolution"),
    "holds.add": ("添加挂起", "Add hold"),
    "holds.add.submit": ("挂起订单", "Hold order"),
    "holds.add.reason_placeholder": ("例如：买家来电要求改地址", "e.g. buyer phoned to change the address"),
    "holds.resolve.submit": ("解除挂起", "Release hold"),
    "holds.resolve.placeholder": ("处理结果，例如：已与买家确认", "Resolution, e.g. confirmed with buyer"),
    "holds.added": ("已挂起订单。", "Hold added."),
    "holds.released": ("已解除挂起。", "Hold released."),
    "holds.by_kind": ("{name}（{kind}）", "{name} ({kind})"),
    "timeline.none": ("暂无动态。", "Nothing has happened yet."),
    "audit.none": ("暂无操作日志。", "No audit entries."),
    "audit.col.at": ("时间", "When"),
    "audit.col.who": ("操作人", "Who"),
    "audit.col.action": ("操作", "Action"),
    "audit.col.change": ("变更", "Change"),
    # Dead letters
    "dead.title": ("死信", "Dead letters"),
    "dead.intro": ("以下事件在多次重试后仍处理失败。排查原因后可重新投递。",
                   "These events failed every retry. Fix the cause, then send them again."),
    "dead.empty": ("没有死信，所有事件均已处理。", "No dead letters: every event was handled."),
    "dead.col.id": ("编号", "ID"),
    "dead.col.topic": ("事件", "Event"),
    "dead.col.subject": ("关联", "Subject"),
    "dead.col.attempts": ("尝试次数", "Attempts"),
    "dead.col.last_error": ("最后错误", "Last error"),
    "dead.col.created_at": ("发生时间", "Happened"),
    "dead.retry": ("重新投递", "Retry"),
    "dead.retried": ("事件 {id} 已重新排队。", "Event {id} is queued again."),
    # Errors
    "error.title": ("出错了", "Something went wrong"),
    "error.status.400": ("请求有误", "Bad request"),
    "error.status.401": ("请先登录", "Please log in"),
    "error.status.403": ("没有权限", "Not allowed"),
    "error.status.404": ("找不到页面", "Not found"),
    "error.status.405": ("不支持的操作", "Not supported"),
    "error.status.409": ("操作冲突", "Conflict"),
    "error.status.413": ("内容过大", "Too large"),
    "error.status.422": ("输入有误", "Invalid input"),
    "error.status.500": ("系统错误", "Server error"),
    "error.forbidden": ("您的角色（{role}）不能执行此操作。", "Your role ({role}) may not do this."),
    "error.csrf": ("页面已过期，请刷新后重试。", "This page has expired; reload it and try again."),
    "error.order_not_found": ("找不到订单 {order_no}。", "There is no order {order_no}."),
    "error.not_found": ("要找的内容不存在。", "What you were looking for does not exist."),
    "error.illegal_transition": ("订单当前状态为“{from_status}”，不能变为“{to_status}”。",
                                 "The order is “{from_status}” and cannot become “{to_status}”."),
    "error.hold_not_open": ("该挂起已被解除。", "That hold was already released."),
    "error.bad_date": ("日期格式应为 年-月-日：{value}", "Dates look like 2026-11-23: {value}"),
    "error.bad_phone_tail": ("手机尾号应为 1 到 4 位数字。", "Phone tail is 1 to 4 digits."),
    "error.server": ("服务器出现问题，已记录。请稍后再试。",
                     "The server ran into a problem and logged it. Please try again later."),
    "error.box": ("{title}：{message}", "{title}: {message}"),
    # Roles
    "role.admin": ("管理员", "Admin"),
    "role.ops": ("运营", "Ops"),
    "role.cs": ("客服", "Customer service"),
    "role.supervisor": ("主管", "Supervisor"),
    "role.warehouse": ("仓库", "Warehouse"),
    "role.finance": ("财务", "Finance"),
    "role.viewer": ("只读", "Viewer"),
    # Who did something
    "actor.user": ("用户", "user"),
    "actor.api_key": ("API 密钥", "API key"),
    "actor.rule": ("规则", "rule"),
    "actor.system": ("系统", "system"),
    # Order statuses (SPEC §2)
    "status.pending_payment": ("待付款", "Awaiting payment"),
    "status.paid": ("已付款", "Paid"),
    "status.on_hold": ("已挂起", "On hold"),
    "status.allocated": ("已分配", "Allocated"),
    "status.awaiting_stock": ("缺货待发", "Awaiting stock"),
    "status.label_printed": ("已打单", "Label printed"),
    "status.shipped": ("已发货", "Shipped"),
    "status.delivered": ("已签收", "Delivered"),
    "status.completed": ("已完成", "Completed"),
    "status.cancelled": ("已取消", "Cancelled"),
    "status.closed": ("已关闭", "Closed"),
    "status.unpaid": ("待付款", "Unpaid"),  # platforms' word for pending_payment
    # Channels
    "channel.taobao": ("淘宝/天猫", "Taobao/Tmall"),
    "channel.jd": ("京东", "JD"),
    "channel.douyin": ("抖音小店", "Douyin shop"),
    "channel.pdd": ("拼多多", "Pinduoduo"),
    "channel.kuaishou": ("快手", "Kuaishou"),
    "channel.shopify": ("Shopify", "Shopify"),
    "channel.webhook": ("自营商城", "Own store"),
    "channel.spreadsheet": ("表格导入", "Spreadsheet"),
    # Refund status of a line
    "refund.none": ("无", "None"),
    "refund.requested": ("已申请", "Requested"),
    "refund.refunding": ("退款中", "Refunding"),
    "refund.refunded": ("已退款", "Refunded"),
    "refund.rejected": ("已拒绝", "Rejected"),
    # Common hold reason codes (anything else is shown as typed)
    "reason.address_check": ("地址待核实", "Address to check"),
    "reason.buyer_remark": ("买家留言待处理", "Buyer remark to handle"),
    "reason.address_changed": ("付款后改地址", "Address changed after payment"),
    "reason.high_value": ("大额订单审核", "High-value review"),
    "reason.risk_review": ("风险审核", "Risk review"),
    "reason.presale": ("预售待发", "Presale queue"),
    "reason.refund_requested": ("发货前申请退款", "Refund requested before shipping"),
    "reason.stock_check": ("库存核对", "Stock check"),
    "reason.manual": ("人工挂起", "Manual hold"),
    # Reasons the order service writes itself (orderhub.orders.service / holds)
    "reason.holds resolved": ("挂起已全部解除", "All holds released"),
    "reason.platform status": ("平台状态同步", "Platform status"),
    "reason.order cancelled": ("订单已取消", "Order cancelled"),
    "reason.order closed": ("订单已关闭", "Order closed"),
    "reason.order completed": ("订单已完成", "Order completed"),
    # Event topics on the timeline
    "topic.order.created": ("订单已接入", "Order received"),
    "topic.order.paid": ("买家已付款", "Paid"),
    "topic.order.held": ("订单已挂起", "Put on hold"),
    "topic.order.released": ("挂起已全部解除", "Released from hold"),
    "topic.order.hold_added": ("添加挂起", "Hold added"),
    "topic.order.hold_resolved": ("解除挂起", "Hold released"),
    "topic.order.allocated": ("已分配仓库", "Stock allocated"),
    "topic.order.backordered": ("缺货等待", "Backordered"),
    "topic.order.label_printed": ("已打印面单", "Label printed"),
    "topic.order.shipped": ("已发货", "Shipped"),
    "topic.order.delivered": ("已签收", "Delivered"),
    "topic.order.completed": ("已完成", "Completed"),
    "topic.order.cancelled": ("订单已取消", "Cancelled"),
    "topic.order.closed": ("订单已关闭", "Closed"),
    "topic.order.address_changed": ("收货地址已修改", "Address changed"),
    "topic.order.remark_changed": ("留言或备注已修改", "Remark changed"),
    "topic.order.refund_changed": ("退款状态变化", "Refund status changed"),
    "topic.order.lines_changed": ("商品明细已修改", "Items changed"),
    "topic.order.platform_status_ignored": ("忽略平台状态", "Platform status ignored"),
    # Audit actions
    "action.order.created": ("创建订单", "Order created"),
    "action.order.updated": ("更新订单", "Order updated"),
    "action.order.status_changed": ("状态变更", "Status changed"),
    "action.hold.added": ("添加挂起", "Hold added"),
    "action.hold.resolved": ("解除挂起", "Hold released"),
    "action.dead_letter.retried": ("重新投递死信", "Dead letter retried"),
}


class _Params(dict):
    """A parameter the caller did not give shows as empty rather than failing the page."""

    def __missing__(self, key: str) -> str:
        return ""


def pick_locale(request: Request) -> str:
    """The language cookie if it names a locale we have, else the installation's default."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    default = get_settings().default_locale
    return default if default in LOCALES else LOCALES[0]


class Translator:
    """`t(key, **params)` for fixed wording; `t.of(group, value)` for data-driven labels."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._index = 0 if locale == "zh-CN" else 1

    def __call__(self, key: str, **params: object) -> str:
        pair = MESSAGES.get(key)
        if pair is None:
            return key  # visible in the page and caught by the template key test
        text = pair[self._index]
        return text.format_map(_Params(params))

    def of(self, group: str, value: str | None) -> str:
        if value is None or value == "":
            return self("common.none")
        key = f"{group}.{value}"
        return self(key) if key in MESSAGES else value
