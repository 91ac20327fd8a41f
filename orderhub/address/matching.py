"""Finding the province → city → county chain in an address text.

A scan from left to right looks up every substring (longest first) in the name index of
:mod:`orderhub.address.divisions`; a name is taken when it is consistent with what was found
before (a descendant of the deepest unit so far, or a repeat of one of its ancestors). Short forms
of counties ("西湖") count only under a city or province already found, so words in the street
part do not turn into districts. One-character typos in a city or county name ("杭洲市") are
corrected against the children of the unit found before it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from orderhub.address.divisions import (
    CITY,
    COUNTY,
    MAJOR_CITIES,
    PROVINCE,
    Divisions,
    Unit,
)

MAX_GAP = 8  # characters allowed between two division names (a mistyped name in between)
# A name followed by these is a road or a place named after a division (南京路, 浙江大学, 中山公园).
NOT_A_DIVISION = re.compile(
    r"[东西南北中]?(?:路|街(?!道)|大街|大道|道(?!路)|巷|胡同|公园|广场|大学|学院|医院|银行|饭店|宾馆|酒店|大厦|中学|小学|机场)"
)
_COUNTY_ENDS = "区县市旗"
_CITY_ENDS = "市州盟区"
_SUFFIXES = "省市区县州盟旗"


@dataclass
class Match:
    start: int
    end: int
    unit: Unit
    short: bool
    fuzzy: bool = False


@dataclass
class Chain:
    units: dict[int, Unit] = field(default_factory=dict)  # level -> unit
    explicit: set[int] = field(default_factory=set)  # levels written in the text (or given)
    matches: list[Match] = field(default_factory=list)

    @property
    def deepest(self) -> Unit | None:
        return self.units[max(self.units)] if self.units else None

    @property
    def end(self) -> int:
        return max((m.end for m in self.matches), default=0)

    def on_branch(self, data: Divisions, unit: Unit) -> bool:
        deepest = self.deepest
        return deepest is None or data.is_within(unit, deepest) or data.is_within(deepest, unit)

    def take(self, data: Divisions, match: Match) -> None:
        unit = match.unit
        for ancestor in data.chain(unit):
            self.units[ancestor.level] = ancestor
        self.explicit.add(unit.level)
        if unit.level == PROVINCE:
            city = data.municipality_city(unit)
            if city is not None:
                self.units[CITY] = city
        province = self.units.get(PROVINCE)
        city = self.units.get(CITY)
        if province and city and city.name == province.name:  # 北京市 is province and city
            self.explicit |= {PROVINCE, CITY}
        self.matches.append(match)

    def copy(self) -> Chain:
        return Chain(dict(self.units), set(self.explicit), list(self.matches))


def _rank(data: Divisions, unit: Unit, short: bool) -> tuple:
    major = unit.code[:4] in MAJOR_CITIES
    return (unit.level, short, not major, unit.code)


def _choose(data: Divisions, chain: Chain, entries: list[tuple[Unit, bool]], gap: int) -> tuple[Unit, bool, bool] | None:
    """The entry this chain can take (unit, short, is_repeat), or None."""
    deepest = chain.deepest
    fresh: list[tuple[Unit, bool]] = []
    for unit, short in entries:
        if deepest is not None and (unit.code == deepest.code or data.is_within(deepest, unit)):
            if gap > MAX_GAP:
                continue
            return unit, short, True  # a repeat: "北京市北京市", or the text repeating given parts
        if deepest is None:
            if short and unit.level == COUNTY:
                continue
            fresh.append((unit, short))
        elif unit.level > deepest.level and data.is_within(unit, deepest):
            if gap > MAX_GAP and short:
                continue
            fresh.append((unit, short))
        elif (unit.level == COUNTY and deepest.level == CITY and gap <= 2 and not data.has_counties(deepest)
              and unit.province_code == deepest.province_code):
            fresh.append((unit, short))  # 河北省雄安新区容城县: the county's official city replaces it
    if not fresh:
        return None
    unit, short = min(fresh, key=lambda e: _rank(data, *e))
    return unit, short, False


def scan(data: Divisions, text: str, chain: Chain | None = None) -> Chain:
    """Extend ``chain`` (a copy) with the divisions written in ``text``."""
    chain = chain.copy() if chain else Chain()
    offset = len(chain.matches)  # matches before this index came from another text
    last_end = 0
    i, n = 0, len(text)
    while i < n:
        if len(chain.matches) > offset and chain.matches[-1].unit.level == COUNTY:
            break
        taken = False
        for length in range(min(data.max_len, n - i), 1, -1):
            entries = data.names.get(text[i : i + length])
            if not entries:
                continue
            if text[i + length - 1] not in _SUFFIXES and NOT_A_DIVISION.match(text, i + length):
                continue  # a short name starting a road or place name; 碑林区南大街 is fine
            choice = _choose(data, chain, entries, i - last_end)
            if choice is None:
                continue
            unit, short, repeat = choice
            match = Match(i, i + length, unit, short)
            if repeat:
                chain.matches.append(match)
            else:
                chain.take(data, match)
            last_end = i = i + length
            taken = True
            break
        if not taken:
            i += 1
    return chain


def _hamming1(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def fuzzy_child(data: Divisions, chain: Chain, text: str, start: int) -> Match | None:
    """A city or county name with one wrong character at ``start``, under the deepest unit found."""
    deepest = chain.deepest
    if deepest is None or deepest.level == COUNTY:
        return None
    window = text[start : start + MAX_GAP + 2]
    ends = _COUNTY_ENDS if deepest.level == CITY else _CITY_ENDS + _COUNTY_ENDS
    for child in data.children.get(deepest.code, ()):
        size = len(child.name)
        if size < 3 or child.name[-1] not in ends:
            continue
        segment = window[:size]
        if _hamming1(segment, child.name) and segment[-1] == child.name[-1]:
            return Match(start, start + size, child, False, fuzzy=True)
    return None
