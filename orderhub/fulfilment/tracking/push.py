"""Kuaidi100's push to us. The signature (UPPER(MD5(param + salt)) with the parcel's own salt) is
checked before anything is stored; a push that is not JSON, names a parcel we do not follow or
is wrongly signed is refused and kept in quarantine, in a transaction of its own."""

from __future__ import annotations

from sqlalchemy import Engine

from orderhub.core.db import unit_of_work
from orderhub.core.errors import AuthenticationFailed, InvalidInput
from orderhub.core.quarantine import quarantine
from orderhub.fulfilment.tracking import kuaidi100 as k100
from orderhub.fulfilment.tracking import service

SOURCE = "push:kuaidi100"


class PushRefused(AuthenticationFailed):
    code = "bad_signature"


def receive_push(engine: Engine, *, param: str, sign: str, raw: bytes,
                 content_type: str | None) -> service.Applied:
    try:
        push = k100.parse_push(param)
    except k100.BadPush as exc:
        _refused(engine, "bad_push", str(exc), raw, content_type)
        raise InvalidInput("the push's param is not Kuaidi100's JSON") from exc
    number = push.last_result.nu
    with unit_of_work(engine) as session:
        shipment = service.shipment_by_number(session, number)
        salt = service.salt_of(shipment) if shipment is not None else None
    if salt is None:
        _refused(engine, "unknown_parcel", f"push for a parcel we do not follow: {number}", raw,
                 content_type)
        raise PushRefused(f"no tracked parcel {number}", details={"tracking_no": number})
    if not sign or not k100.verify_push(param, sign, salt):
        _refused(engine, "bad_signature", f"push for {number}: sign does not match the salt", raw,
                 content_type)
        raise PushRefused("the push's sign does not match", details={"tracking_no": number})
    with unit_of_work(engine) as session:
        return service.apply_push(session, push=push)


def _refused(engine: Engine, code: str, reason: str, raw: bytes, content_type: str | None) -> None:
    with unit_of_work(engine) as session:
        quarantine(session, source=SOURCE, reason_code=code, reason=reason, raw=raw,
                   content_type=content_type)
