"""A scan result as JSON and as words: the message in the reader's language (web/i18n.py keys)."""

from __future__ import annotations

from typing import Any

from orderhub.fulfilment.outbound.models import ScanLog
from orderhub.fulfilment.outbound.service import ScanResult
from orderhub.web.i18n import LOCALES, Translator


def message(result: ScanResult, locale: str) -> str:
    t = Translator(locale)
    params = dict(result.params)
    if "status" in params:  # a status is data: shown in the reader's words
        params["status"] = t.of("status", params["status"])
    return t(result.message_key, **params)


def result_dict(result: ScanResult, locale: str = "zh-CN") -> dict[str, Any]:
    return {
        "ok": result.ok, "kind": result.kind, "message": message(result, locale),
        "messages": {code: message(result, code) for code in LOCALES},
        "message_key": result.message_key, "params": result.params, "code": result.code,
        "order_no": result.order_no or None, "status": result.status or None,
        "carrier": result.carrier or None, "tracking_no": result.tracking_no or None,
        "receiver": result.receiver or None, "items": result.items or None,
        "candidates": result.candidates, "holds": result.holds,
        "shipped_at": result.shipped_at.isoformat() if result.shipped_at else None,
        "shipped_by": result.shipped_by or None, "scan_id": result.scan_id,
        "scanned_at": result.scanned_at.isoformat() if result.scanned_at else None,
    }


def log_dict(row: ScanLog) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "kind": row.kind, "ok": row.ok,
            "order_no": row.order_no or None, "tracking_no": row.tracking_no or None,
            "actor": row.actor, "station": row.station or None,
            "scanned_at": row.scanned_at.isoformat()}
