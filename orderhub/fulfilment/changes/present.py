"""Address changes as the API returns them."""

from __future__ import annotations

from typing import Any

from orderhub.core.money import to_major
from orderhub.fulfilment.changes.models import AddressChange
from orderhub.fulfilment.changes.policy import Allowance
from orderhub.orders.present import MASKED_ROLES, mask_phone


def change_dict(change: AddressChange, *, role: str = "") -> dict[str, Any]:
    """Roles that see receivers masked (PIPL) see the phone and street address masked here too."""
    compensation = None
    if change.compensation_amount is not None:
        compensation = {"amount": change.compensation_amount, "currency": change.compensation_currency,
                        "display": to_major(change.compensation_amount, change.compensation_currency or "CNY"),
                        "note": change.compensation_note}
    return {"id": change.id, "order_no": change.order_no, "kind": change.kind,
            "status_at_change": change.status_at_change, "before": _masked(change.before, role), "after": _masked(change.after, role),
            "reason": change.reason,
            "voided_waybill": ({"carrier": change.voided_carrier, "tracking_no": change.voided_tracking_no}
                               if change.voided_tracking_no else None),
            "compensation": compensation, "window_closes_at": change.window_closes_at.isoformat(),
            "actor": {"kind": change.actor_kind, "name": change.actor_name, "id": change.actor_id},
            "created_at": change.created_at.isoformat()}


def allowance_dict(allowed: Allowance) -> dict[str, Any]:
    return {"allowed": allowed.allowed, "kind": allowed.kind or None, "reprint": allowed.reprint,
            "window_closes_at": allowed.closes_at.isoformat(), "refusal": allowed.refusal or None}


def _masked(address: dict[str, Any], role: str) -> dict[str, Any]:
    if role not in MASKED_ROLES:
        return address
    return {**address, "receiver_phone": mask_phone(address.get("receiver_phone", "")),
            "receiver_detail": "****", "receiver_name": (address.get("receiver_name", "")[:1] + "**")}
