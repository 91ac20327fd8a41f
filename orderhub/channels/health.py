"""How each shop's channel is doing: last good pull, lag, orders per hour, errors, throttling."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from orderhub.channels.models import ChannelAccount, PullRun
from orderhub.channels.service import pull_job_name
from orderhub.core import clock
from orderhub.core.models import ScheduledJob
from orderhub.orders.models import Order, Shop


@dataclass
class ShopHealth:
    shop: str
    channel: str
    state: str  # healthy | failing | unhealthy
    unhealthy_reason: str | None
    unhealthy_since: datetime | None
    last_success_at: datetime | None
    checkpoint: datetime | None
    lag_seconds: int | None  # how far behind now the stored orders may be
    next_pull_at: datetime | None
    pull_interval_seconds: int
    orders_last_hour: int
    pulls_24h: int
    errors_24h: int
    throttled_24h: int
    failures: int  # consecutive
    retry_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    webhooks_received: int
    webhooks_rejected: int

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def channel_health(session: Session, *, now: datetime | None = None,
                   shop: str | None = None) -> list[ShopHealth]:
    now = now or clock.now()
    stmt = (select(Shop, ChannelAccount).join(ChannelAccount, ChannelAccount.shop_id == Shop.id)
            .where(Shop.active.is_(True)).order_by(Shop.name))
    if shop is not None:
        stmt = stmt.where(Shop.name == shop)
    rows = session.execute(stmt).all()
    if not rows:
        return []
    ids = [s.id for s, _ in rows]
    hourly = dict(session.execute(
        select(Order.shop_id, func.count()).where(Order.shop_id.in_(ids),
                                                  Order.received_at >= now - timedelta(hours=1))
        .group_by(Order.shop_id)).all())
    runs = {r.shop_id: r for r in session.execute(
        select(PullRun.shop_id, func.count().label("pulls"),
               func.sum(case((PullRun.outcome.notin_(("ok", "running")), 1), else_=0)).label("errors"),
               func.sum(case((PullRun.outcome == "throttled", 1), else_=0)).label("throttled"))
        .where(PullRun.shop_id.in_(ids), PullRun.started_at >= now - timedelta(hours=24))
        .group_by(PullRun.shop_id)).all()}
    jobs = dict(session.execute(select(ScheduledJob.name, ScheduledJob.next_run_at).where(
        ScheduledJob.name.in_([pull_job_name(s.name) for s, _ in rows]))).all())
    return [_health(s, a, now, hourly.get(s.id, 0), runs.get(s.id),
                    jobs.get(pull_job_name(s.name))) for s, a in rows]


def _health(shop: Shop, account: ChannelAccount, now: datetime, hourly: int, runs: Any,
            next_pull: datetime | None) -> ShopHealth:
    state = "unhealthy" if not account.healthy else "failing" if account.failures else "healthy"
    return ShopHealth(
        shop=shop.name, channel=shop.channel, state=state,
        unhealthy_reason=account.unhealthy_reason, unhealthy_since=account.unhealthy_since,
        last_success_at=account.last_success_at, checkpoint=account.checkpoint,
        lag_seconds=int((now - account.checkpoint).total_seconds()) if account.checkpoint else None,
        next_pull_at=next_pull, pull_interval_seconds=account.pull_interval_seconds,
        orders_last_hour=hourly, pulls_24h=int(runs.pulls) if runs else 0,
        errors_24h=int(runs.errors or 0) if runs else 0,
        throttled_24h=int(runs.throttled or 0) if runs else 0, failures=account.failures,
        retry_at=account.retry_at, last_error=account.last_error,
        last_error_at=account.last_error_at, webhooks_received=account.webhooks_received,
        webhooks_rejected=account.webhooks_rejected)


def recent_pulls(session: Session, *, shop_id: int, limit: int = 20) -> list[PullRun]:
    return list(session.scalars(select(PullRun).where(PullRun.shop_id == shop_id)
                                .order_by(PullRun.id.desc()).limit(limit)))
