"""parse_address: the forms buyers write, the flags and the score."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub.address import FLAGS, VAGUE_BELOW, ParsedAddress, parse_address


def test_a_full_address_is_split_into_divisions_street_and_detail():
    parsed = parse_address("浙江省杭州市余杭区五常街道文一西路969号")
    assert (parsed.province, parsed.city, parsed.district) == ("浙江省", "杭州市", "余杭区")
    assert parsed.street == "五常街道"
    assert parsed.detail == "文一西路969号"
    assert parsed.adcode == "330110"
    assert parsed.confidence == 1.0 and not parsed.vague
    assert parsed.flags == frozenset()


def test_municipalities_use_the_province_as_city():
    parsed = parse_address("上海浦东世纪大道100号")
    assert (parsed.province, parsed.city, parsed.district) == ("上海市", "上海市", "浦东新区")
    assert "missing_city" not in parsed.flags and "abbreviated" in parsed.flags
    assert parse_address("北京市北京市朝阳区建国路88号").detail == "建国路88号"


def test_autonomous_prefectures_by_full_and_short_name():
    full = parse_address("云南省大理白族自治州大理市下关镇人民路12号")
    short = parse_address("大理州大理市下关镇人民路12号")
    for parsed in (full, short):
        assert (parsed.province, parsed.city, parsed.district) == ("云南省", "大理白族自治州", "大理市")
        assert parsed.street == "下关镇"
    assert "missing_province" in short.flags and "missing_province" not in full.flags


def test_county_level_cities_directly_under_a_province_have_no_district():
    parsed = parse_address("湖北省仙桃市干河街道钱沟路8号")
    assert (parsed.province, parsed.city, parsed.district) == ("湖北省", "仙桃市", "")
    assert parsed.adcode == "429004" and "missing_district" not in parsed.flags and not parsed.vague
    dongguan = parse_address("广东省东莞市长安镇德政中路18号")
    assert (dongguan.city, dongguan.district, dongguan.street) == ("东莞市", "", "长安镇")


@pytest.mark.parametrize("text, expected", [
    ("广东深圳南山区科技园科苑路15号", ("广东省", "深圳市", "南山区")),
    ("浙江杭州西湖文三路99号2单元301", ("浙江省", "杭州市", "西湖区")),
    ("内蒙呼和浩特赛罕区大学西街235号", ("内蒙古自治区", "呼和浩特市", "赛罕区")),
    ("广西省北海市海城区北部湾中路3号", ("广西壮族自治区", "北海市", "海城区")),
])
def test_abbreviations_and_omitted_suffixes(text, expected):
    parsed = parse_address(text)
    assert (parsed.province, parsed.city, parsed.district) == expected
    assert not parsed.vague


def test_a_missing_province_is_inferred_and_flagged():
    parsed = parse_address("深圳市罗湖区人民南路3002号")
    assert parsed.province == "广东省" and "missing_province" in parsed.flags
    assert parsed.confidence >= VAGUE_BELOW


def test_a_shared_district_name_prefers_the_big_city_or_the_given_one():
    assert parse_address("朝阳区三里屯路19号").city == "北京市"
    assert parse_address("朝阳区建国路88号", province="吉林省", city="长春市").city == "长春市"
    assert parse_address("西湖区象山南路200号", province="江西省", city="南昌市").adcode == "360103"


def test_full_width_characters_and_junk_around_the_address():
    parsed = parse_address("　收货地址：广东省 广州市 天河区 天河路２０８号　张三 13800138000 ")
    assert (parsed.province, parsed.city, parsed.district) == ("广东省", "广州市", "天河区")
    assert parsed.detail == "天河路208号张三"


def test_a_one_character_typo_in_a_county_name_is_corrected():
    parsed = parse_address("湖南省长沙市岳鹿区麓山南路932号")
    assert parsed.district == "岳麓区" and parsed.confidence < 1.0


@pytest.mark.parametrize("text", ["学校后面那个小区", "老王家楼下", "菜市场对面"])
def test_landmark_relative_addresses_without_divisions_are_vague_and_unparseable(text):
    parsed = parse_address(text)
    assert parsed.vague and parsed.confidence < VAGUE_BELOW
    assert {"landmark_relative", "unparseable"} <= parsed.flags
    assert parsed.adcode is None and parsed.detail == text


def test_landmark_relative_is_vague_even_with_full_divisions():
    parsed = parse_address("杭州市西湖区文三路菜市场对面")
    assert parsed.district == "西湖区"
    assert parsed.vague and "landmark_relative" in parsed.flags and parsed.confidence < VAGUE_BELOW


def test_no_house_number_in_a_city_is_vague_but_a_village_is_only_rural():
    road = parse_address("浙江省杭州市西湖区文三路")
    assert road.vague and "no_house_number" in road.flags
    village = parse_address("河南省周口市郸城县汲冢镇王庄村")
    assert not village.vague and {"rural", "no_house_number"} <= village.flags
    assert village.street == "汲冢镇"
    group = parse_address("四川省南充市仪陇县马鞍镇永乐村六组21号")
    assert "rural" in group.flags and "no_house_number" not in group.flags


def test_urban_words_are_not_rural():
    assert "rural" not in parse_address("北京市朝阳区三里屯路19号").flags
    assert "rural" not in parse_address("上海市普陀区曹杨新村街道枣阳路108弄5号502室").flags


def test_division_names_only_are_vague():
    for text in ("广东省广州市天河区", "上海市", "广东省"):
        assert parse_address(text).vague, text
    assert "missing_city" in parse_address("广东省").flags


def test_given_fields_are_used_and_the_text_may_repeat_them():
    parsed = parse_address("浙江省 杭州市 西湖区 文三路100号", province="浙江省", city="杭州市", district="西湖区")
    assert parsed.detail == "文三路100号" and parsed.flags == frozenset() and parsed.confidence == 1.0
    only_detail = parse_address("文三路100号", province="浙江", city="杭州", district="西湖")
    assert (only_detail.district, only_detail.adcode) == ("西湖区", "330106") and not only_detail.vague
    direct = parse_address("干河街道钱沟路8号", province="湖北省", city="省直辖县级行政区划", district="仙桃市")
    assert (direct.city, direct.district, direct.street) == ("仙桃市", "", "干河街道")


def test_given_fields_that_contradict_the_text_are_inconsistent():
    parsed = parse_address("江苏省南京市玄武区中山路18号", province="广东省", city="深圳市", district="南山区")
    assert "inconsistent" in parsed.flags and parsed.vague
    assert (parsed.city, parsed.district) == ("深圳市", "南山区")
    wrong_fields = parse_address("中山路18号", province="江苏省", city="深圳市", district="南山区")
    assert "inconsistent" in wrong_fields.flags


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="address text must be a string"):
        parse_address(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="address city must be a string"):
        parse_address("北京市", city=110100)  # type: ignore[arg-type]


def test_empty_and_huge_inputs():
    empty = parse_address("")
    assert empty.vague and "unparseable" in empty.flags and empty.detail == ""
    huge = parse_address("浙江省杭州市西湖区文三路100号" + "啊" * 100_000)
    assert huge.district == "西湖区" and len(huge.detail) <= 500


def test_a_platform_masked_detail_is_not_vague() -> None:
    """Taobao and others hand most apps 花*路***号**幢****室: what is hidden cannot be judged."""
    masked = parse_address("河南省郑州市金水区花*路***号**幢****室")
    assert (masked.province, masked.city, masked.district) == ("河南省", "郑州市", "金水区")
    assert "masked" in masked.flags and "no_house_number" not in masked.flags
    assert not masked.vague and masked.confidence == 1.0
    assert parse_address("学校后面那个小区").vague  # what is shown still counts


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["", "浙江省", "北京", "广东省深圳市"]))
def test_any_text_gives_a_well_formed_result(text, province):
    parsed = parse_address(text, province=province)
    assert isinstance(parsed, ParsedAddress)
    assert 0.0 <= parsed.confidence <= 1.0
    assert parsed.flags <= FLAGS
    assert parsed.vague == (parsed.confidence < VAGUE_BELOW or "landmark_relative" in parsed.flags)
    assert (parsed.adcode is None) == (parsed.province == "")
    if parsed.district:
        assert parsed.city and parsed.province


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="浙江省杭州市西湖区北京朝阳上海浦东新区路号村组屯后面对面楼下0123456789-# 　", max_size=40))
def test_address_like_text_gives_a_well_formed_result(text):
    parsed = parse_address(text)
    assert 0.0 <= parsed.confidence <= 1.0 and parsed.flags <= FLAGS


def test_a_given_field_naming_no_division_is_ignored_not_inconsistent():
    parsed = parse_address("天府大道北段1700号", province="四川省", city="成都市", district="高新区")
    assert (parsed.province, parsed.city, parsed.district) == ("四川省", "成都市", "")
    assert "inconsistent" not in parsed.flags and "missing_district" in parsed.flags
    assert not parsed.vague


def test_a_mistyped_given_field_is_corrected():
    parsed = parse_address("文三路100号", province="浙江省", city="杭洲市", district="西湖区")
    assert (parsed.city, parsed.district) == ("杭州市", "西湖区") and "inconsistent" not in parsed.flags


@pytest.mark.parametrize("text, street, detail", [
    ("浙江省嘉兴市桐乡市乌镇镇石佛南路18号", "乌镇镇", "石佛南路18号"),
    ("河北省张家口市崇礼区太子城冰雪小镇1号", "", "太子城冰雪小镇1号"),
    ("湖南省怀化市沅陵县二酉苗族乡二酉村3组", "二酉苗族乡", "二酉村3组"),
    ("浙江省杭州市上城区镇东路8号", "", "镇东路8号"),
])
def test_the_street_level_is_split_off_only_when_it_is_one(text, street, detail):
    parsed = parse_address(text)
    assert (parsed.street, parsed.detail) == (street, detail)
    assert not parsed.vague
