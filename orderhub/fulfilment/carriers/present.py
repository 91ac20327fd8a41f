"""Waybills and waits as the API and the console show them."""

from __future__ import annotations

from typing import Any

from orderhub.fulfilment.carriers.models import Waybill, WaybillWait
from orderhub.fulfilment.carriers.service import Report


def waybill_dict(w: Waybill) -> dict[str, Any]:
    return {"id": w.id, "order_id": w.order_id, "carrier": w.carrier, "account_id": w.account_id,
            "tracking_no": w.tracking_no, "sort_code": w.sort_code, "status": w.status,
            "rule": w.rule, "issued_at": w.issued_at.isoformat(),
            "voided_at": w.voided_at.isoformat() if w.voided_at else None, "print_data": w.print_data}


def wait_dict(w: WaybillWait) -> dict[str, Any]:
    return {"order_id": w.order_id, "carrier": w.carrier, "account_id": w.account_id, "kind": w.kind,
            "reason": w.reason, "attempts": w.attempts, "updated_at": w.updated_at.isoformat()}


def report_dict(report: Report, order_nos: dict[int, str]) -> dict[str, Any]:
    def named(values: dict[int, str]) -> dict[str, str]:
        return {order_nos.get(k, str(k)): v for k, v in values.items()}

    return {"issued": named(report.issued), "reused": named(report.reused),
            "waiting": named(report.waiting), "refused": named(report.refused)}
