"""Label batches as the API, the CLI and the console show them."""

from __future__ import annotations

from typing import Any

from orderhub.fulfilment.labels.models import LabelBatch

API = "/api/v1/labels"


def pdf_url(batch_id: int) -> str:
    return f"{API}/batches/{batch_id}.pdf"


def batch_dict(batch: LabelBatch) -> dict[str, Any]:
    entries = batch.entries or []
    return {
        "id": batch.id, "created_at": batch.created_at.isoformat(), "actor": batch.actor,
        "selection": batch.selection, "count": batch.count,
        "printed": [e["order_no"] for e in entries if not e["reprint"]],
        "reprinted": [e["order_no"] for e in entries if e["reprint"]],
        "waiting": batch.waiting, "skipped": batch.skipped,
        "labels": [{k: e.get(k) for k in ("order_no", "tracking_no", "deadline", "urgent", "reprint")}
                   for e in entries],
        "pdf_url": pdf_url(batch.id) if entries else None}
