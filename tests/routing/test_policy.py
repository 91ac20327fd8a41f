"""Region rules, the rule-chosen warehouse, scoring, split / transfer / backorder and the manual
queue, decided over plain data (table-driven; no database)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from orderhub.routing.policy import Line, Plan, RegionRule, Situation, decide
from orderhub.routing.scoring import Site

TODAY = date(2026, 11, 23)
HZ = Site(id=1, code="HZ", name="杭州仓", daily_capacity=1000,
          serves=("浙江省", "江苏省", "上海市", "安徽省", "福建省"),
          delivery_days={"浙江省": 1, "江苏省": 1, "上海市": 1, "安徽省": 2, "福建省": 2})
GZ = Site(id=2, code="GZ", name="广州仓", daily_capacity=1000, serves=(),
          delivery_days={"广东省": 1, "浙江省": 3, "江苏省": 3, "四川省": 3, "新疆维吾尔自治区": 5,
                         "西藏自治区": 5})
CD = Site(id=3, code="CD", name="成都仓", daily_capacity=500,
          serves=("四川省", "重庆市", "云南省", "贵州省", "西藏自治区", "青海省"),
          delivery_days={"四川省": 1, "重庆市": 1, "西藏自治区": 3, "青海省": 3})
SITES = {"HZ": HZ, "GZ": GZ, "CD": CD}
RULES = (RegionRule(id=1, priority=10, provinces=("江苏省", "浙江省", "上海市"), warehouse_code="HZ",
                    name="江浙沪"),
         RegionRule(id=2, priority=20, provinces=("新疆", "西藏", "青海", "内蒙古"),
                    warehouse_code="GZ", name="偏远地区"),
         RegionRule(id=3, priority=5, provinces=("浙江省",), warehouse_code="CD", enabled=False,
                    name="停用"))


def line(sku: str | None, qty: int = 1, no: int = 1, needs: dict[str, int] | None = None) -> Line:
    return Line(line_no=no, sku=sku, quantity=qty,
                needs=needs if needs is not None else ({sku: qty} if sku else {}))


def situation(province: str = "浙江省", lines: tuple[Line, ...] = (), stock: dict | None = None,
              sites: tuple[str, ...] = ("HZ", "GZ", "CD"), **kw: Any) -> Situation:
    """stock as {"HZ": {"A": 5}}; lines default to one unit of A."""
    flat = {(sku, SITES[code].id): qty for code, per in (stock or {}).items()
            for sku, qty in per.items()}
    return Situation(province=province, lines=lines or (line("A"),),
                     sites=tuple(SITES[c] for c in sites), stock=flat, today=TODAY,
                     rules=kw.pop("rules", RULES), **kw)


CASES: list[tuple[str, Situation, str, str | None, str]] = [
    # (name, situation, policy, warehouse, reason)
    ("jiangzhehu goes to Hangzhou by region rule",
     situation("浙江省", stock={"HZ": {"A": 5}, "GZ": {"A": 5}}), "region_rule", "HZ", "region_rule"),
    ("region rule matches short province names",
     situation("上海", stock={"HZ": {"A": 5}}), "region_rule", "HZ", "region_rule"),
    ("region warehouse out of stock falls through to scoring",
     situation("浙江省", stock={"HZ": {"A": 0}, "GZ": {"A": 5}}), "score", "GZ", "best_score"),
    ("remote province goes to Guangzhou by region rule",
     situation("新疆维吾尔自治区", stock={"GZ": {"A": 5}, "HZ": {"A": 9}}), "region_rule", "GZ",
     "region_rule"),
    ("remote rule's warehouse empty: the next serving warehouse scores",
     situation("西藏自治区", stock={"GZ": {"A": 0}, "CD": {"A": 5}}), "score", "CD", "best_score"),
    ("no rule: the fastest covering warehouse wins",
     situation("四川省", stock={"CD": {"A": 5}, "GZ": {"A": 5}}), "score", "CD", "best_score"),
    ("disabled rules are ignored", situation("浙江省", stock={"HZ": {"A": 1}, "CD": {"A": 1}}),
     "region_rule", "HZ", "region_rule"),
    ("a rule-chosen warehouse overrides region rules, even outside its provinces",
     situation("浙江省", stock={"HZ": {"A": 5}, "CD": {"A": 5}}, rule_warehouse="CD"), "rule",
     "CD", "rule_warehouse"),
    ("a rule-chosen warehouse that cannot cover is passed over",
     situation("浙江省", stock={"HZ": {"A": 5}}, rule_warehouse="CD"), "region_rule", "HZ",
     "region_rule"),
    ("an unknown rule-chosen warehouse is passed over",
     situation("浙江省", stock={"HZ": {"A": 5}}, rule_warehouse="NOPE"), "region_rule", "HZ",
     "region_rule"),
    ("a line without an internal SKU goes to a person",
     situation(lines=(line("A"), line(None, no=2)), stock={"HZ": {"A": 5}}), "manual", None,
     "unmapped_sku"),
    ("an SKU the catalogue does not know goes to a person",
     situation(stock={"HZ": {"A": 5}}, unknown_skus=("A",)), "manual", None, "unknown_sku"),
    ("no province goes to a person", situation("", stock={"HZ": {"A": 5}}), "manual", None,
     "no_province"),
    ("no warehouse serving the province goes to a person",
     situation("黑龙江省", stock={"HZ": {"A": 5}, "CD": {"A": 5}}, sites=("HZ", "CD")), "manual",
     None, "no_warehouse"),
    ("bundles count by their components",
     situation("四川省", lines=(line("KIT", 2, needs={"A": 2, "B": 4}),),
               stock={"CD": {"A": 2, "B": 3}, "GZ": {"A": 2, "B": 4}}), "score", "GZ", "best_score"),
    ("nothing anywhere: backorder", situation("浙江省", stock={}), "backorder", None, "backorder"),
]


@pytest.mark.parametrize("name, s, policy, warehouse, reason", CASES, ids=[c[0] for c in CASES])
def test_decisions(name: str, s: Situation, policy: str, warehouse: str | None,
                   reason: str) -> None:
    plan = decide(s)
    assert (plan.policy, plan.warehouse, plan.reason) == (policy, warehouse, reason)
    if plan.policy in ("rule", "region_rule", "score"):
        assert [sh.warehouse for sh in plan.shipments] == [warehouse]
        assert plan.shipments[0].lines == (("A", 1),) or plan.shipments[0].lines == (("KIT", 2),)
    else:
        assert plan.shipments == ()


def test_region_rule_records_which_rule_and_all_candidates() -> None:
    plan = decide(situation("浙江省", stock={"HZ": {"A": 5}, "GZ": {"A": 5}}))
    assert plan.details == {"rule_id": 1, "rule": "江浙沪"}
    assert [c.code for c in plan.candidates] == ["HZ", "GZ"]  # CD does not serve Zhejiang
    assert [f.warehouse for f in plan.fallbacks] == ["GZ"]


def test_passed_over_choices_are_noted() -> None:
    plan = decide(situation("浙江省", stock={"GZ": {"A": 5}}, rule_warehouse="CD"))
    assert plan.policy == "score"
    assert plan.details["rule_warehouse"] == {"warehouse": "CD", "why": "cannot_cover"}
    assert plan.details["region_rules_passed"] == [1]


def test_rules_by_priority_first_covering_wins() -> None:
    rules = (RegionRule(id=7, priority=1, provinces=("浙江",), warehouse_code="CD"),
             RegionRule(id=8, priority=2, provinces=("浙江",), warehouse_code="GZ"))
    empty_cd = decide(situation("浙江省", stock={"GZ": {"A": 1}, "HZ": {"A": 1}}, rules=rules))
    assert (empty_cd.policy, empty_cd.warehouse, empty_cd.details["rule_id"]) == ("region_rule", "GZ", 8)
    both = decide(situation("浙江省", stock={"GZ": {"A": 1}, "CD": {"A": 1}}, rules=rules))
    assert (both.warehouse, both.details["rule_id"]) == ("CD", 7)


TWO_LINES = (line("A", 1, no=1), line("B", 2, no=2))


def test_split_when_allowed_puts_whole_lines_where_the_stock_is() -> None:
    plan = decide(situation("浙江省", lines=TWO_LINES, stock={"HZ": {"A": 1}, "GZ": {"B": 2}},
                            allow_split=True))
    assert plan.policy == "split" and plan.warehouse == "GZ"  # the bigger part first
    assert [(s.warehouse, s.lines) for s in plan.shipments] == [("GZ", (("B", 2),)),
                                                                  ("HZ", (("A", 1),))]


def test_split_uses_as_few_warehouses_as_it_can() -> None:
    lines = (line("A", 1, no=1), line("B", 1, no=2), line("C", 1, no=3))
    plan = decide(situation("浙江省", lines=lines, allow_split=True,
                            stock={"HZ": {"A": 1}, "GZ": {"A": 1, "B": 1}, "CD": {"C": 1}}))
    assert plan.policy == "transfer"  # CD does not serve Zhejiang: C must come over
    plan = decide(situation("四川省", lines=lines, allow_split=True,
                            stock={"HZ": {"A": 1}, "GZ": {"A": 1, "B": 1}, "CD": {"C": 1}}))
    assert [(s.warehouse, s.lines) for s in plan.shipments] == [("GZ", (("A", 1), ("B", 1))),
                                                                  ("CD", (("C", 1),))]


def test_split_needs_each_line_whole_in_one_warehouse() -> None:
    plan = decide(situation("浙江省", lines=(line("A", 3),), allow_split=True,
                            stock={"HZ": {"A": 2}, "GZ": {"A": 2}}))
    assert plan.policy == "transfer"  # 2 + 1 brought over, never 2 parcels of one line


def test_without_split_stock_elsewhere_means_a_transfer_with_a_promised_date() -> None:
    plan = decide(situation("浙江省", lines=TWO_LINES, stock={"HZ": {"A": 1}, "GZ": {"B": 2}}))
    assert plan.policy == "transfer" and plan.warehouse == "HZ"
    assert [m.as_dict() for m in plan.moves] == [
        {"sku": "B", "quantity": 2, "from": "GZ", "in_transit": False, "ready": "2026-11-25"}]
    assert plan.promised_date == TODAY + timedelta(days=2 + 1)  # transfer + delivery to Zhejiang
    assert plan.shipments == ()


def test_transfer_from_stock_in_transit_uses_its_expected_date() -> None:
    arriving = TODAY + timedelta(days=4)
    plan = decide(situation("浙江省", stock={}, in_transit={("A", HZ.id): (10, arriving)}))
    assert plan.policy == "transfer" and plan.moves[0].in_transit
    assert plan.promised_date == arriving + timedelta(days=1)
    elsewhere = decide(situation("浙江省", stock={}, in_transit={("A", CD.id): (10, arriving)}))
    assert elsewhere.promised_date == arriving + timedelta(days=2 + 1)


def test_transfer_prefers_the_earliest_ready_source() -> None:
    late = TODAY + timedelta(days=9)
    plan = decide(situation("浙江省", lines=(line("A", 3),), stock={"HZ": {"A": 1}, "CD": {"A": 5}},
                            in_transit={("A", HZ.id): (5, late)}))
    assert [(m.source, m.quantity, m.in_transit) for m in plan.moves] == [("CD", 2, False)]


def test_not_enough_anywhere_even_in_transit_is_a_backorder() -> None:
    plan = decide(situation("浙江省", lines=(line("A", 9),), stock={"HZ": {"A": 2}, "GZ": {"A": 2}},
                            in_transit={("A", HZ.id): (3, None)}))
    assert isinstance(plan, Plan) and plan.policy == "backorder" and not plan.reserves
    assert [c.code for c in plan.candidates] == ["HZ", "GZ"]
