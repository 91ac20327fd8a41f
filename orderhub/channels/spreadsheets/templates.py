"""Import templates (a saved column mapping per kind of sheet) and console uploads waiting for
their mapping step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, get_args

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orderhub.channels.spreadsheets.mapping import check_mapping, suggest_mapping
from orderhub.channels.spreadsheets.models import ImportTemplate, ImportUpload
from orderhub.channels.spreadsheets.reading import Options
from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.core.settings import get_settings
from orderhub.core.spreadsheets import read_sheet
from orderhub.orders.schemas import InputStatus
from orderhub.orders.service import find_shop

STATUSES = get_args(InputStatus)
UPLOAD_KEPT = timedelta(days=1)


class TemplateNotFound(NotFound):
    code = "import_template_not_found"


class UploadNotFound(NotFound):
    code = "import_upload_not_found"


@dataclass(frozen=True)
class Suggestion:
    file_name: str
    encoding: str
    headers: list[str]
    mapping: dict[str, str]
    sample: list[dict[str, str]]


def suggest(*, data: bytes, filename: str, sample_rows: int = 5) -> Suggestion:
    """The file's headers, the mapping we would guess, and its first rows to check it by."""
    sheet = read_sheet(data, filename)
    return Suggestion(file_name=filename, encoding=sheet.encoding, headers=sheet.headers,
                      mapping=suggest_mapping(sheet.headers),
                      sample=[r.cells for r in sheet.rows[:sample_rows]])


def save_template(session: Session, *, name: str, shop: str, mapping: dict[str, str],
                  options: dict[str, Any] | None, actor: Actor) -> tuple[ImportTemplate, bool]:
    """Create the template, or replace the mapping and options of the one with this name."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput("a template needs a name of 1 to 80 characters", details={"field": "name"})
    find_shop(session, shop)  # refuses an unknown shop now, not at the first import
    cleaned, opts = check_mapping(mapping), check_options(options or {})
    template = session.scalar(select(ImportTemplate).where(ImportTemplate.name == name))
    created = template is None
    before = None if created else {"shop": template.shop, "mapping": template.mapping,
                                   "options": template.options}
    if template is None:
        template = ImportTemplate(name=name, created_at=clock.now())
        session.add(template)
    template.shop, template.mapping, template.options = shop, cleaned, opts
    template.updated_at, template.updated_by = clock.now(), actor.name
    session.flush()
    audit.record(session, actor=actor, entity_type="import_template", entity_id=name,
                 action="import_template.saved", before=before,
                 after={"shop": shop, "mapping": cleaned, "options": opts})
    return template, created


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - {"date_format", "default_status"})
    if unknown:
        raise InvalidInput(f"unknown options: {', '.join(unknown)}",
                           details={"unknown": unknown, "known": ["date_format", "default_status"]})
    date_format = str(options.get("date_format") or "").strip()
    if date_format and "%" not in date_format:
        raise InvalidInput(f'date_format "{date_format}" has no strftime codes (e.g. %d/%m/%Y %H:%M)',
                           details={"field": "date_format"})
    status = str(options.get("default_status") or "paid")
    if status not in STATUSES:
        raise InvalidInput(f'default_status "{status}" is not one of {", ".join(STATUSES)}',
                           details={"field": "default_status", "allowed": list(STATUSES)})
    return {"date_format": date_format, "default_status": status}


def options_of(options: dict[str, Any]) -> Options:
    return Options(date_format=options.get("date_format") or "",
                   default_status=options.get("default_status") or "paid",
                   timezone=get_settings().timezone)


def list_templates(session: Session) -> list[ImportTemplate]:
    return list(session.scalars(select(ImportTemplate).order_by(ImportTemplate.name)))


def get_template(session: Session, name: str) -> ImportTemplate:
    template = session.scalar(select(ImportTemplate).where(ImportTemplate.name == name))
    if template is None:
        known = [t.name for t in list_templates(session)]
        raise TemplateNotFound(f'no import template named "{name}"',
                               details={"template": name, "known": known})
    return template


def delete_template(session: Session, *, name: str, actor: Actor) -> None:
    template = get_template(session, name)
    session.delete(template)
    session.flush()
    audit.record(session, actor=actor, entity_type="import_template", entity_id=name,
                 action="import_template.deleted",
                 before={"shop": template.shop, "mapping": template.mapping})


def store_upload(session: Session, *, data: bytes, filename: str, actor: Actor) -> ImportUpload:
    """Keep a console upload for the mapping step; the file is read once now to refuse it early."""
    read_sheet(data, filename)
    # An upload abandoned at the mapping step is not kept for ever.
    session.execute(delete(ImportUpload).where(ImportUpload.created_at < clock.now() - UPLOAD_KEPT))
    upload = ImportUpload(file_name=filename[:255], content=data, uploaded_by=actor.name,
                          created_at=clock.now())
    session.add(upload)
    session.flush()
    return upload


def get_upload(session: Session, upload_id: int) -> ImportUpload:
    upload = session.get(ImportUpload, upload_id)
    if upload is None:
        raise UploadNotFound(f"no upload {upload_id} (it is removed once imported)",
                             details={"upload_id": upload_id})
    return upload


def discard_upload(session: Session, upload_id: int) -> None:
    session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
