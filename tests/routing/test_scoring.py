"""Each score factor on its own, the weights, and ranking — pure functions, no database."""

from __future__ import annotations

import pytest

from orderhub.core.errors import InvalidInput
from orderhub.routing.scoring import (
    DEFAULT_DELIVERY_DAYS,
    DEFAULT_WEIGHTS,
    Site,
    delivery_score,
    error_score,
    load_score,
    province_key,
    score_sites,
    stock_coverage,
    validate_weights,
)


@pytest.mark.parametrize("name, key", [
    ("浙江省", "浙江"), ("浙江", "浙江"), (" 上海市 ", "上海"), ("新疆维吾尔自治区", "新疆"),
    ("广西壮族自治区", "广西"), ("宁夏回族自治区", "宁夏"), ("内蒙古自治区", "内蒙古"),
    ("西藏自治区", "西藏"), ("香港特别行政区", "香港"), ("", ""), (None, ""),
])
def test_province_names_normalise(name: str | None, key: str) -> None:
    assert province_key(name) == key


@pytest.mark.parametrize("needs, available, share", [
    ({"A": 2, "B": 2}, {"A": 2, "B": 2}, 1.0),
    ({"A": 2, "B": 2}, {"A": 5, "B": 0}, 0.5),
    ({"A": 3, "B": 1}, {"A": 1, "B": 1}, 0.5),
    ({"A": 4}, {}, 0.0),
    ({"A": 4}, {"A": -3}, 0.0),  # never negative, whatever the input
    ({}, {}, 1.0),
])
def test_stock_coverage_is_the_share_of_units_available(needs, available, share) -> None:
    assert stock_coverage(needs, available) == pytest.approx(share)


@pytest.mark.parametrize("days, best, score", [
    (1, 1, 1.0), (2, 1, 2 / 3), (3, 1, 0.5), (0, 0, 1.0), (4, 0, 0.2), (1, 5, 1.0),
])
def test_delivery_fewer_days_is_better_relative_to_the_fastest(days, best, score) -> None:
    assert delivery_score(days, best) == pytest.approx(score)


@pytest.mark.parametrize("allocated, capacity, score", [
    (0, 1000, 1.0), (250, 1000, 0.75), (1000, 1000, 0.0), (1500, 1000, 0.0), (10, 0, 1.0),
])
def test_load_is_spare_capacity_today(allocated, capacity, score) -> None:
    assert load_score(allocated, capacity) == pytest.approx(score)


@pytest.mark.parametrize("rate, score", [(0.0, 1.0), (0.02, 0.98), (1.0, 0.0), (1.5, 0.0), (-1, 1.0)])
def test_error_rate_lower_is_better(rate, score) -> None:
    assert error_score(rate) == pytest.approx(score)


def test_days_to_a_province_falls_back_to_the_slowest_known_or_default() -> None:
    site = Site(id=1, code="HZ", delivery_days={"浙江省": 1, "新疆": 7})
    assert site.days_to("浙江") == 1 and site.days_to("新疆维吾尔自治区") == 7
    assert site.days_to("黑龙江省") == 7
    assert Site(id=2, code="X").days_to("浙江省") == DEFAULT_DELIVERY_DAYS


def test_a_site_serves_its_provinces_or_all_when_none_listed() -> None:
    south = Site(id=1, code="GZ", serves=("广东省", "广西"))
    assert south.serves_province("广西壮族自治区") and not south.serves_province("浙江省")
    assert Site(id=2, code="ALL").serves_province("西藏")
    assert not Site(id=3, code="ALL").serves_province("")


@pytest.mark.parametrize("weights, problem", [
    ({"stock": 0.4, "delivery": 0.3, "load": 0.2}, "missing"),
    ({**DEFAULT_WEIGHTS, "price": 0.0}, "unknown"),
    ({"stock": 0.5, "delivery": 0.3, "load": 0.2, "error": 0.1}, "sum"),
    ({"stock": 1.2, "delivery": -0.2, "load": 0.0, "error": 0.0}, "value"),
    ({"stock": "0.4", "delivery": 0.3, "load": 0.2, "error": 0.1}, "value"),
    ({"stock": True, "delivery": 0.0, "load": 0.0, "error": 0.0}, "value"),
    ([0.4, 0.3, 0.2, 0.1], "field"),
])
def test_bad_weights_are_refused_with_the_reason(weights, problem) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_weights(weights)
    assert problem in info.value.details or "field" in info.value.details
    if problem in ("missing", "unknown", "sum"):
        assert info.value.details[problem]


def test_good_weights_come_back_as_floats() -> None:
    assert validate_weights({"stock": 1, "delivery": 0, "load": 0, "error": 0}) == {
        "stock": 1.0, "delivery": 0.0, "load": 0.0, "error": 0.0}
    assert validate_weights(DEFAULT_WEIGHTS) == DEFAULT_WEIGHTS


HZ = Site(id=1, code="HZ", delivery_days={"浙江省": 1}, daily_capacity=100, error_rate=0.0)
GZ = Site(id=2, code="GZ", delivery_days={"浙江省": 3}, daily_capacity=100, error_rate=0.0)


def _rank(weights=DEFAULT_WEIGHTS, stock=None, load=None, sites=(HZ, GZ)):
    stock = stock if stock is not None else {("A", 1): 5, ("A", 2): 5}
    return score_sites(sites, province="浙江省", needs={"A": 2}, stock=stock, load=load or {},
                       weights=weights)


def test_total_is_the_weighted_sum_of_the_factors() -> None:
    hz, gz = _rank()
    assert [hz.code, gz.code] == ["HZ", "GZ"]
    assert hz.factors == {"stock": 1.0, "delivery": 1.0, "load": 1.0, "error": 1.0}
    assert hz.total == pytest.approx(1.0)
    assert gz.factors["delivery"] == pytest.approx(0.5)
    assert gz.total == pytest.approx(0.4 + 0.3 * 0.5 + 0.2 + 0.1)
    assert hz.covers and gz.covers


def test_a_loaded_warehouse_loses_to_a_free_one_once_it_fills_up() -> None:
    half, full = _rank(load={"HZ": 50}), _rank(load={"HZ": 100})
    assert half[0].code == "HZ" and half[0].factors["load"] == pytest.approx(0.5)
    assert half[0].total == pytest.approx(0.4 + 0.3 + 0.1 + 0.1)
    assert full[0].code == "GZ" and full[1].factors["load"] == 0.0  # 0.8 < 0.85
    assert full[1].allocated_today == 100


def test_changing_weights_changes_the_winner() -> None:
    faulty_hz = Site(id=1, code="HZ", delivery_days={"浙江省": 1}, error_rate=0.9)
    default = _rank(sites=(faulty_hz, GZ))
    assert [c.code for c in default] == ["HZ", "GZ"]  # 0.09 lost on errors < 0.15 on delivery
    assert default[0].total == pytest.approx(0.4 + 0.3 + 0.2 + 0.1 * 0.1)
    assert default[1].total == pytest.approx(0.4 + 0.3 * 0.5 + 0.2 + 0.1)
    errors_matter = {"stock": 0.4, "delivery": 0.1, "load": 0.1, "error": 0.4}
    flipped = _rank(weights=errors_matter, sites=(faulty_hz, GZ))
    assert [c.code for c in flipped] == ["GZ", "HZ"]
    assert flipped[0].total == pytest.approx(0.4 + 0.05 + 0.1 + 0.4)


def test_coverage_shows_in_the_score_and_in_covers() -> None:
    ranked = _rank(stock={("A", 1): 1, ("A", 2): 2})
    by_code = {c.code: c for c in ranked}
    assert by_code["HZ"].factors["stock"] == pytest.approx(0.5) and not by_code["HZ"].covers
    assert by_code["GZ"].covers and ranked[0].code == "GZ"


def test_ties_go_to_fewer_days_then_code() -> None:
    a = Site(id=1, code="B1", delivery_days={"浙江省": 2})
    b = Site(id=2, code="A1", delivery_days={"浙江省": 2})
    ranked = score_sites([a, b], province="浙江省", needs={"A": 1},
                         stock={("A", 1): 1, ("A", 2): 1}, load={}, weights=DEFAULT_WEIGHTS)
    assert [c.code for c in ranked] == ["A1", "B1"]
    assert ranked[0].as_dict()["factors"]["delivery"] == 1.0
