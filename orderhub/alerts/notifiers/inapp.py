"""The in-app inbox: a message row per console user, read in the console (收件箱) and counted
in its header. Delivery is a row in the same database, so it cannot be throttled or time out."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from orderhub.alerts.notifiers.base import Message, NotifierError, register
from orderhub.alerts.notifiers.models import InboxMessage
from orderhub.alerts.notifiers.settings import ChannelSettings
from orderhub.core import clock
from orderhub.core.errors import NotFound
from orderhub.core.models import User

UNREAD_CAP = 100  # the badge shows "99+" beyond this; counting further costs for nothing


class InboxNotifier:
    channel = "inapp"

    def __init__(self, stored: ChannelSettings) -> None:
        pass

    def send(self, session: Session, message: Message) -> str:
        if message.to_user_id is None:
            raise NotifierError("the recipient has no console user for inapp", retryable=False,
                                channel=self.channel, code="no_recipient")
        user_id = message.to_user_id
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotifierError(f"console user {user_id} does not exist or is inactive",
                                retryable=False, channel=self.channel, code="no_recipient")
        row = deliver(session, user_id=user_id, alert_id=message.alert_id or None,
                      severity=message.severity, title=message.title, text=message.text)
        return f"inbox:{row.id}"


def deliver(session: Session, *, user_id: int, title: str, text: str, severity: str = "info",
            alert_id: int | None = None) -> InboxMessage:
    row = InboxMessage(user_id=user_id, alert_id=alert_id, severity=severity, title=title[:200],
                       text=text, created_at=clock.now())
    session.add(row)
    session.flush()
    return row


def messages(session: Session, *, user_id: int, unread_only: bool = False,
             before_id: int | None = None, limit: int = 50) -> list[InboxMessage]:
    """Newest first; `before_id` pages on (the id of the last row shown)."""
    stmt = select(InboxMessage).where(InboxMessage.user_id == user_id)
    if unread_only:
        stmt = stmt.where(InboxMessage.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(InboxMessage.id < before_id)
    return list(session.scalars(stmt.order_by(InboxMessage.id.desc()).limit(limit)))


def unread_count(session: Session, *, user_id: int) -> int:
    """At most UNREAD_CAP: one index-only look at the user's unread rows, on every page."""
    capped = (select(InboxMessage.id)
              .where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None))
              .limit(UNREAD_CAP).subquery())
    return session.scalar(select(func.count()).select_from(capped)) or 0


def mark_read(session: Session, *, user_id: int, message_id: int) -> InboxMessage:
    row = session.get(InboxMessage, message_id)
    if row is None or row.user_id != user_id:  # someone else's message does not exist for you
        raise NotFound(f"no inbox message {message_id}", details={"message_id": message_id})
    if row.read_at is None:
        row.read_at = clock.now()
        session.flush()
    return row


def mark_all_read(session: Session, *, user_id: int) -> int:
    result = session.execute(update(InboxMessage)
                             .where(InboxMessage.user_id == user_id,
                                    InboxMessage.read_at.is_(None))
                             .values(read_at=clock.now()))
    return result.rowcount or 0


register("inapp")(InboxNotifier)
