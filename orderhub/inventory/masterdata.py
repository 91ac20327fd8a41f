"""Master data use cases: SKUs, bundles, warehouses (all audited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.inventory.errors import UnknownSku
from orderhub.inventory.models import BundleComponent, Sku, Warehouse
from orderhub.inventory.provinces import PROVINCES

SKU_FIELDS = ("name", "category", "barcode", "weight_g", "purchase_limited", "presale", "active")
WAREHOUSE_FIELDS = ("name", "province", "city", "daily_capacity", "serves_provinces",
                    "delivery_days", "error_rate", "active")


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput(f"{field} is required", details={"field": field})
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", details={"field": field})
    return text


def _sku_values(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", 200, required=True)
    if "category" in data:
        out["category"] = _text(data["category"], "category", 60)
    if "barcode" in data:
        out["barcode"] = _text(data["barcode"], "barcode", 64) or None
    if "weight_g" in data:
        weight = data["weight_g"]
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            raise InvalidInput("weight_g must be a whole number of grams, at least 0",
                               details={"field": "weight_g", "value": weight})
        out["weight_g"] = weight
    for flag in ("purchase_limited", "presale", "active"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise InvalidInput(f"{flag} must be true or false", details={"field": flag})
            out[flag] = data[flag]
    return out


def upsert_sku(session: Session, *, code: str, actor: Actor, **fields: Any) -> tuple[Sku, bool]:
    """Create the SKU or update the given fields; (sku, created)."""
    code = _text(code, "code", 120, required=True)
    unknown = set(fields) - set(SKU_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown SKU fields: {', '.join(sorted(unknown))}",
                           details={"allowed": list(SKU_FIELDS)})
    values = _sku_values(fields)
    sku = session.scalar(select(Sku).where(Sku.code == code))
    if sku is None:
        if "name" not in values:
            raise InvalidInput("name is required for a new SKU", details={"field": "name", "code": code})
        defaults = {"category": "", "barcode": None, "weight_g": 0, "purchase_limited": False,
                    "presale": False, "active": True}
        sku = Sku(code=code, created_at=clock.now(), **{**defaults, **values})
        session.add(sku)
        session.flush()
        audit.record(session, actor=actor, entity_type="sku", entity_id=code, action="sku.created",
                     after={"code": code, **values})
        return sku, True
    before = {k: getattr(sku, k) for k in values}
    for key, value in values.items():
        setattr(sku, key, value)
    session.flush()
    b, a = audit.changed_fields(before, values)
    if a:
        audit.record(session, actor=actor, entity_type="sku", entity_id=code, action="sku.updated",
                     before=b, after=a)
    return sku, False


def set_bundle(session: Session, *, code: str, parts: list[tuple[str, int]], actor: Actor) -> None:
    """Make `code` a bundle of parts [(component code, ratio)] (replacing earlier components)."""
    bundle = session.scalar(select(Sku).where(Sku.code == code))
    if bundle is None:
        raise UnknownSku(f"unknown SKU {code!r}", details={"sku": code})
    if not parts:
        raise InvalidInput("a bundle needs at least one component", details={"sku": code})
    codes = [c for c, _ in parts]
    if len(set(codes)) != len(codes) or code in codes:
        raise InvalidInput("components must be distinct and not the bundle itself",
                           details={"components": codes})
    found = {s.code: s for s in session.scalars(select(Sku).where(Sku.code.in_(codes)))}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise UnknownSku(f"unknown component SKU {', '.join(missing)}", details={"skus": missing})
    nested = session.scalars(select(BundleComponent.bundle_sku_id)
                             .where(BundleComponent.bundle_sku_id.in_([s.id for s in found.values()]))).first()
    if nested is not None:
        raise InvalidInput("a component cannot itself be a bundle", details={"components": codes})
    for c, ratio in parts:
        if not isinstance(ratio, int) or isinstance(ratio, bool) or ratio <= 0:
            raise InvalidInput("a ratio is a whole number above 0", details={"sku": c, "ratio": ratio})
    session.execute(delete(BundleComponent).where(BundleComponent.bundle_sku_id == bundle.id))
    for c, ratio in parts:
        session.add(BundleComponent(bundle_sku_id=bundle.id, component_sku_id=found[c].id, ratio=ratio))
    session.flush()
    audit.record(session, actor=actor, entity_type="sku", entity_id=code, action="sku.bundle_set",
                 after={"components": [[c, r] for c, r in parts]})


def _warehouse_values(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", 120, required=True)
    for key, limit in (("province", 40), ("city", 60)):
        if key in data:
            out[key] = _text(data[key], key, limit)
    if "daily_capacity" in data:
        cap = data["daily_capacity"]
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            raise InvalidInput("daily_capacity must be a whole number of at least 0",
                               details={"field": "daily_capacity"})
        out["daily_capacity"] = cap
    if "serves_provinces" in data:
        serves = list(data["serves_provinces"] or [])
        bad = [p for p in serves if p not in PROVINCES]
        if bad:
            raise InvalidInput(f"unknown province {', '.join(map(str, bad))}",
                               details={"field": "serves_provinces", "unknown": bad})
        out["serves_provinces"] = serves
    if "delivery_days" in data:
        days = dict(data["delivery_days"] or {})
        bad = [p for p in days if p not in PROVINCES]
        wrong = [p for p, d in days.items()
                 if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 30]
        if bad or wrong:
            raise InvalidInput("delivery_days maps province names to 0-30 days",
                               details={"field": "delivery_days", "unknown": bad, "invalid": wrong})
        out["delivery_days"] = days
    if "error_rate" in data:
        rate = data["error_rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise InvalidInput("error_rate is between 0 and 1", details={"field": "error_rate"})
        out["error_rate"] = float(rate)
    if "active" in data:
        out["active"] = bool(data["active"])
    return out


def upsert_warehouse(session: Session, *, code: str, actor: Actor,
                     **fields: Any) -> tuple[Warehouse, bool]:
    code = _text(code, "code", 40, required=True)
    unknown = set(fields) - set(WAREHOUSE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown warehouse fields: {', '.join(sorted(unknown))}",
                           details={"allowed": list(WAREHOUSE_FIELDS)})
    values = _warehouse_values(fields)
    wh = session.scalar(select(Warehouse).where(Warehouse.code == code))
    if wh is None:
        if "name" not in values:
            raise InvalidInput("name is required for a new warehouse", details={"field": "name"})
        defaults = {"province": "", "city": "", "daily_capacity": 0, "serves_provinces": [],
                    "delivery_days": {}, "error_rate": 0.0, "active": True}
        wh = Warehouse(code=code, created_at=clock.now(), **{**defaults, **values})
        session.add(wh)
        session.flush()
        audit.record(session, actor=actor, entity_type="warehouse", entity_id=code,
                     action="warehouse.created", after={"code": code, **values})
        return wh, True
    before = {k: getattr(wh, k) for k in values}
    for key, value in values.items():
        setattr(wh, key, value)
    session.flush()
    b, a = audit.changed_fields(before, values)
    if a:
        audit.record(session, actor=actor, entity_type="warehouse", entity_id=code,
                     action="warehouse.updated", before=b, after=a)
    return wh, False


def clear_bundle(session: Session, *, code: str, actor: Actor) -> None:
    """Make `code` a plain SKU again (its components are removed)."""
    bundle = session.scalar(select(Sku).where(Sku.code == code))
    if bundle is None:
        raise UnknownSku(f"unknown SKU {code!r}", details={"sku": code})
    gone = session.execute(delete(BundleComponent).where(BundleComponent.bundle_sku_id == bundle.id))
    session.flush()
    if gone.rowcount:
        audit.record(session, actor=actor, entity_type="sku", entity_id=code,
                     action="sku.bundle_cleared", after={"components": []})


def bundle_parts(session: Session, sku_id: int) -> list[tuple[str, int]]:
    """The bundle's components [(code, ratio)] by code; empty for a plain SKU."""
    stmt = (select(Sku.code, BundleComponent.ratio)
            .join(Sku, Sku.id == BundleComponent.component_sku_id)
            .where(BundleComponent.bundle_sku_id == sku_id).order_by(Sku.code))
    return [(c, r) for c, r in session.execute(stmt)]


def search_skus(session: Session, *, q: str = "", limit: int = 50,
                offset: int = 0) -> tuple[list[Sku], bool]:
    """SKUs by code whose code, name or category contains `q`; (page, more after it)."""
    stmt = select(Sku).order_by(Sku.code)
    if q:
        stmt = stmt.where(Sku.code.contains(q, autoescape=True) | Sku.name.contains(q, autoescape=True)
                          | Sku.category.contains(q, autoescape=True))
    rows = list(session.scalars(stmt.offset(offset).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def bundle_ids(session: Session, sku_ids: list[int]) -> set[int]:
    return set(session.scalars(select(BundleComponent.bundle_sku_id)
                               .where(BundleComponent.bundle_sku_id.in_(sku_ids)).distinct()))


def get_sku(session: Session, sku_id: int) -> Sku:
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise NotFound(f"no SKU #{sku_id}", details={"id": sku_id})
    return sku


def get_warehouse(session: Session, warehouse_id: int) -> Warehouse:
    wh = session.get(Warehouse, warehouse_id)
    if wh is None:
        raise NotFound(f"no warehouse #{warehouse_id}", details={"id": warehouse_id})
    return wh


def all_warehouses(session: Session) -> list[Warehouse]:
    """Active and inactive, by code (the console's list; routing uses catalog.warehouses)."""
    return list(session.scalars(select(Warehouse).order_by(Warehouse.code)))


def sku_by_code(session: Session, code: str) -> Sku | None:
    return session.scalar(select(Sku).where(Sku.code == code.strip()))
