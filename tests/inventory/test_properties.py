"""Property-based: random sequences of receive / reserve (with or without TTL) / pay (confirm) /
expire / cancel (release) / ship (consume) / adjust / transfer against a plain in-memory model. After every
step the stored levels equal the model, reserved equals the active reservations, the CHECK
invariants hold and the ledger rebuild equals the levels."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.inventory import service
from orderhub.inventory.errors import InsufficientStock, NothingReserved
from orderhub.inventory.models import Reservation, Sku, StockLevel
from tests.inventory.helpers import ACTOR

SKUS = ("A", "B", "C")
BUNDLE = {"KIT": [("A", 1), ("B", 2)]}
WAREHOUSES = ("HZ", "GZ")
line_codes = st.sampled_from(SKUS + tuple(BUNDLE))


def make_machine(engine):
    class StockMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.conn = engine.connect()
            self.outer = self.conn.begin()
            self.s = Session(bind=self.conn, join_transaction_mode="create_savepoint")
            self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
            clock.set_clock(lambda: self.now)
            self.wh = {}
            for code in WAREHOUSES:
                self.wh[code] = service.upsert_warehouse(self.s, code=code, name=code, actor=ACTOR)[0].id
            for code in SKUS:
                service.upsert_sku(self.s, code=code, name=code, actor=ACTOR)
                for wh in self.wh.values():
                    service.set_level(self.s, sku=code, warehouse_id=wh, on_hand=0, actor=ACTOR)
            for code, parts in BUNDLE.items():
                service.upsert_sku(self.s, code=code, name=code, actor=ACTOR)
                service.set_bundle(self.s, code=code, parts=parts, actor=ACTOR)
            self.on_hand = defaultdict(int)
            self.reserved = defaultdict(int)
            # order id -> (warehouse id, {sku: qty}, expires_at or None)
            self.active: dict[int, tuple[int, dict[str, int], datetime | None]] = {}
            self.next_order = 1

        def teardown(self) -> None:
            clock.set_clock(None)
            self.s.close()
            self.outer.rollback()
            self.conn.close()

        @rule(sku=st.sampled_from(SKUS), wh=st.sampled_from(WAREHOUSES), qty=st.integers(1, 6))
        def receive(self, sku, wh, qty):
            service.receive(self.s, sku=sku, warehouse_id=self.wh[wh], quantity=qty, actor=ACTOR)
            self.on_hand[(sku, self.wh[wh])] += qty

        @rule(wh=st.sampled_from(WAREHOUSES), ttl=st.booleans(),
              lines=st.lists(st.tuples(line_codes, st.integers(1, 3)), min_size=1, max_size=4))
        def reserve(self, wh, ttl, lines):
            order_id, wh_id = self.next_order, self.wh[wh]
            self.next_order += 1
            need: dict[str, int] = defaultdict(int)
            for code, qty in lines:
                for part, ratio in BUNDLE.get(code, [(code, 1)]):
                    need[part] += qty * ratio
            fits = all(self.on_hand[(k, wh_id)] - self.reserved[(k, wh_id)] >= q for k, q in need.items())
            expires = self.now + timedelta(minutes=15) if ttl else None
            ok = service.reserve(self.s, order_id=order_id, warehouse_id=wh_id, lines=list(lines),
                                 actor=ACTOR, expires_at=expires)
            assert ok == fits
            if ok:
                for k, q in need.items():
                    self.reserved[(k, wh_id)] += q
                self.active[order_id] = (wh_id, dict(need), expires)
                # Asking again changes nothing.
                assert service.reserve(self.s, order_id=order_id, warehouse_id=wh_id,
                                       lines=list(lines), actor=ACTOR)

        def _pick(self, data) -> int | None:
            if not self.active:
                return None
            return data.draw(st.sampled_from(sorted(self.active)))

        def _drop(self, order_id: int, ship: bool) -> None:
            wh_id, need, _ = self.active.pop(order_id)
            for k, q in need.items():
                self.reserved[(k, wh_id)] -= q
                if ship:
                    self.on_hand[(k, wh_id)] -= q

        @rule(data=st.data())
        def pay(self, data):
            order_id = self._pick(data)
            if order_id is not None:
                service.confirm(self.s, order_id=order_id, actor=ACTOR)
                wh_id, need, _ = self.active[order_id]
                self.active[order_id] = (wh_id, need, None)

        @rule(minutes=st.integers(1, 20))
        def time_passes_and_ttl_expires(self, minutes):
            self.now += timedelta(minutes=minutes)
            expired = service.expire_due(self.s, actor=ACTOR)
            due = sorted(o for o, (_, _, exp) in self.active.items() if exp is not None and exp <= self.now)
            assert expired == due
            for order_id in due:
                self._drop(order_id, ship=False)

        @rule(data=st.data())
        def cancel(self, data):
            order_id = self._pick(data)
            if order_id is not None:
                units = sum(self.active[order_id][1].values())
                assert service.release(self.s, order_id=order_id, actor=ACTOR, reason="cancel") == units
                self._drop(order_id, ship=False)
                assert service.release(self.s, order_id=order_id, actor=ACTOR, reason="cancel") == 0

        @rule(data=st.data())
        def ship(self, data):
            order_id = self._pick(data)
            if order_id is not None:
                service.consume(self.s, order_id=order_id, actor=ACTOR)
                self._drop(order_id, ship=True)
                with pytest.raises(NothingReserved):
                    service.consume(self.s, order_id=order_id, actor=ACTOR)

        @rule(sku=st.sampled_from(SKUS), wh=st.sampled_from(WAREHOUSES), delta=st.integers(-4, 4))
        def adjust(self, sku, wh, delta):
            if delta == 0:
                return
            key = (sku, self.wh[wh])
            sku_id = self.s.scalar(select(Sku.id).where(Sku.code == sku))
            if self.on_hand[key] + delta < self.reserved[key]:
                with pytest.raises(InsufficientStock):
                    service.adjust(self.s, sku_id=sku_id, warehouse_id=self.wh[wh], delta=delta,
                                   actor=ACTOR, reason="count")
            else:
                service.adjust(self.s, sku_id=sku_id, warehouse_id=self.wh[wh], delta=delta,
                               actor=ACTOR, reason="count")
                self.on_hand[key] += delta

        @rule(sku=st.sampled_from(SKUS), src=st.sampled_from(WAREHOUSES), qty=st.integers(1, 4),
              arrives=st.booleans())
        def transfer(self, sku, src, qty, arrives):
            dst = next(w for w in WAREHOUSES if w != src)
            a, b = (sku, self.wh[src]), (sku, self.wh[dst])
            fits = self.on_hand[a] - self.reserved[a] >= qty
            assert service.transfer(self.s, sku=sku, from_warehouse_id=self.wh[src],
                                    to_warehouse_id=self.wh[dst], quantity=qty,
                                    expected_at=self.now + timedelta(days=2), actor=ACTOR) == fits
            if fits:
                self.on_hand[a] -= qty
                if arrives:
                    service.receive(self.s, sku=sku, warehouse_id=self.wh[dst], quantity=qty,
                                    actor=ACTOR, from_transit=True)
                    self.on_hand[b] += qty

        @invariant()
        def levels_match_model_and_ledger(self) -> None:
            self.s.flush()
            rows = self.s.execute(select(Sku.code, StockLevel.warehouse_id, StockLevel.on_hand,
                                         StockLevel.reserved).join(Sku, Sku.id == StockLevel.sku_id)).all()
            active = {(s, w): q for s, w, q in self.s.execute(
                select(Sku.code, Reservation.warehouse_id, func.sum(Reservation.quantity))
                .join(Sku, Sku.id == Reservation.sku_id).where(Reservation.status == "active")
                .group_by(Sku.code, Reservation.warehouse_id))}
            for code, wh_id, on_hand, reserved in rows:
                assert 0 <= reserved <= on_hand
                assert (on_hand, reserved) == (self.on_hand[(code, wh_id)], self.reserved[(code, wh_id)])
                assert active.get((code, wh_id), 0) == reserved
            assert service.verify(self.s) == []

    return StockMachine


def test_random_sequences_keep_every_invariant(engine):
    machine = make_machine(engine)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
