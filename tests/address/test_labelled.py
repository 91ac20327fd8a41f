"""The parser against the hand-written labelled set (addresses.csv): targets and set coverage."""
from __future__ import annotations

import pytest

from orderhub.address.divisions import CITY, COUNTY, PROVINCE, divisions
from tests.address.labelled import evaluate, load, timings

MAINLAND = {
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省",
    "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省",
    "云南省", "陕西省", "甘肃省", "青海省", "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区",
    "新疆维吾尔自治区",
}


@pytest.fixture(scope="module")
def rows():
    return load()


@pytest.fixture(scope="module")
def report(rows):
    return evaluate(rows)


def test_the_set_is_large_and_covers_every_form(rows):
    assert len(rows) >= 300
    assert {r.province for r in rows if not r.vague} == MAINLAND
    kinds = {}
    for row in rows:
        kinds[row.kind] = kinds.get(row.kind, 0) + 1
    for kind, least in {"muni": 20, "auto": 20, "abbr": 20, "noprov": 20, "rural": 25, "vague": 40,
                        "typo": 10, "junk": 8, "given": 10, "countycity": 5}.items():
        assert kinds.get(kind, 0) >= least, kind
    assert any("村" in r.address for r in rows) and any("屯" in r.address for r in rows)
    assert any("组" in r.address for r in rows)
    assert sum(r.vague for r in rows) >= 60


def test_every_label_is_a_real_division_chain(rows):
    """Labels name real units of the 2025 data, each inside the one above it."""
    data = divisions()
    by_name: dict[tuple[int, str], list] = {}
    for unit in data.units.values():
        by_name.setdefault((unit.level, unit.name), []).append(unit)
    for row in rows:
        if row.province:
            provinces = by_name[(PROVINCE, row.province)]
            assert provinces, row
        if row.city:
            cities = [c for c in by_name.get((CITY, row.city), []) if c.parent == provinces[0].code]
            assert cities, row
        if row.district:
            assert row.city, row
            assert any(c.parent == cities[0].code for c in by_name.get((COUNTY, row.district), [])), row


def test_district_accuracy_on_well_formed_addresses_is_at_least_98_percent(report):
    accuracy = report.accuracy["well-formed"]
    assert report.counts["well-formed"] >= 300
    assert accuracy["district"] >= 0.98, [m[0].address for m in report.misses]
    assert accuracy["city"] >= 0.98
    assert accuracy["province"] >= 0.98


def test_vague_addresses_are_recalled_at_least_90_percent_without_flagging_good_ones(report):
    assert report.vague_recall >= 0.90
    assert report.vague_precision >= 0.90


def test_typos_of_one_character_are_mostly_corrected(report):
    assert report.accuracy["typo"]["district"] >= 0.8


def test_parsing_takes_well_under_a_millisecond(rows):
    median, _p99 = timings(rows[:200], rounds=2)
    assert median < 0.001
