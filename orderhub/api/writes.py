"""What every POST handler gets, in this order: the caller (authenticated and authorised before
anything else is looked at), the raw body, and the optional Idempotency-Key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from orderhub.api import idempotency
from orderhub.api.body import RawBody, read_body
from orderhub.api.deps import requires
from orderhub.api.idempotency import Reply
from orderhub.core.actor import Actor

M = TypeVar("M", bound=BaseModel)

IdempotencyKey = Annotated[str | None, Header(
    alias=idempotency.HEADER, min_length=1, max_length=200,
    description="Send the same key again to get the first answer instead of acting twice.")]


@dataclass(frozen=True)
class Write:
    actor: Actor
    body: RawBody
    idempotency_key: str | None
    request_hash: str

    def parse(self, model: type[M]) -> M:
        return self.body.parse(model)

    def answer(self, session: Session, run: Callable[[], Reply]) -> JSONResponse:
        """Call inside the use case's unit of work: the stored answer commits with it."""
        return idempotency.answer_once(session, actor=self.actor, key=self.idempotency_key,
                                       request_hash=self.request_hash, run=run)


def writer(permission: str) -> Callable[..., Awaitable[Write]]:
    """FastAPI dependency for a POST: `write: Write = Depends(writer("orders.cancel"))`."""
    authorised = requires(permission)

    # A default, not Annotated: postponed annotations cannot see the local `authorised`.
    async def dependency(request: Request, idempotency_key: IdempotencyKey = None,
                         actor: Actor = Depends(authorised)) -> Write:
        body = await read_body(request)
        request_hash = idempotency.fingerprint(request.method, request.url.path, body.data)
        return Write(actor=actor, body=body, idempotency_key=idempotency_key,
                     request_hash=request_hash)

    dependency.__name__ = f"write_{permission.replace('.', '_')}"
    return dependency
