"""parse_address: divisions, street, detail, flags and a confidence score.

Confidence starts at 1.0 and loses a fixed amount for each weakness (PENALTY below): a level
inferred rather than written (province -0.02, city -0.03), no city (-0.25) or no district where
the city has districts (-0.15), a corrected typo, nothing a courier can walk to (no road,
compound, building or village: -0.25), no house number (-0.35 in a town, -0.05 in a village),
division names only (-0.35), given fields contradicting the text (-0.35). Landmark-relative
phrases cap it at 0.45; nothing recognisable at all gives 0.1. ``vague`` is confidence < 0.7 or a
landmark-relative phrase. Rural (村/屯/组) is a flag only.
"""
from __future__ import annotations

from orderhub.address.divisions import CITY, COUNTY, PROVINCE, Divisions, divisions
from orderhub.address.matching import Chain, fuzzy_child, scan
from orderhub.address.types import ParsedAddress
from orderhub.address.vagueness import inspect_detail, normalize, normalize_part

VAGUE_BELOW = 0.7
MAX_LENGTH = 500

# Confidence starts at 1 and loses these amounts (the sum of the reasons that apply).
PENALTY = {
    "missing_province": 0.02,
    "missing_city": 0.03,
    "no_city": 0.25,
    "missing_district": 0.15,
    "fuzzy": 0.05,
    "abbreviated": 0.02,
    "no_place": 0.25,
    "no_house_number": 0.35,
    "rural_no_house_number": 0.05,
    "short_detail": 0.35,
    "inconsistent": 0.35,
}
LANDMARK_CAP = 0.45
UNPARSEABLE = 0.1


def _given_chain(data: Divisions, province: str, city: str, district: str) -> tuple[Chain | None, bool]:
    """The chain the platform's separate fields describe, and whether they contradict each other.
    A field naming nothing we know (JD's "高新区") is left out; one naming another branch's
    division (province 江苏省, city 深圳市) is a contradiction."""
    parts = [normalize_part(p) for p in (province, city, district)]
    if not any(parts):
        return None, False
    chain = Chain()
    contradiction = False
    for part in parts:
        if not part:
            continue
        before = len(chain.matches)
        chain = scan(data, part, chain)
        if len(chain.matches) > before:
            continue
        fuzzy = fuzzy_child(data, chain, part, 0) if chain.units else None
        if fuzzy is not None:
            chain.take(data, fuzzy)
        elif scan(data, part).matches:
            contradiction = True
    chain.matches = []
    return (chain if chain.units else None), contradiction


def _conflicts(data: Divisions, chain: Chain, text: str) -> bool:
    """The text names, near its start, a division off the given chain (another city or district)."""
    free = scan(data, text)
    spans = {(m.start, m.end) for m in chain.matches}
    for match in free.matches:
        if match.start > 12 or (match.start, match.end) in spans:
            continue
        if not chain.on_branch(data, match.unit):
            return True
    return False


def parse_address(text: str, *, province: str = "", city: str = "", district: str = "") -> ParsedAddress:
    """Parse a Chinese address offline; ``province``/``city``/``district`` are the separate fields
    platforms send, used first and checked against the text."""
    for name, value in (("text", text), ("province", province), ("city", city), ("district", district)):
        if not isinstance(value, str):
            raise TypeError(f"address {name} must be a string, not {type(value).__name__}")
    data = divisions()
    clean = normalize(text[: MAX_LENGTH * 2])[:MAX_LENGTH]
    given, inconsistent = _given_chain(data, province, city, district)
    chain = scan(data, clean, given)
    fuzzy = False
    for _ in range(2):  # a mistyped city, then a mistyped county
        deepest = chain.deepest
        if deepest is None or deepest.level == COUNTY:
            break
        if deepest.level == CITY and not data.has_counties(deepest):
            break
        correction = fuzzy_child(data, chain, clean, chain.end)
        if correction is None:
            break
        chain.take(data, correction)
        chain = _continue(data, chain, clean, correction.end)
        fuzzy = True
    if given is not None and not inconsistent:
        inconsistent = _conflicts(data, chain, clean)
    rest = clean[chain.end :] if chain.matches else clean
    info = inspect_detail(rest, clean)
    return _score(data, chain, info, fuzzy=fuzzy, inconsistent=inconsistent, given=given)


def _continue(data: Divisions, chain: Chain, text: str, start: int) -> Chain:
    """Scan the text after a corrected name, keeping positions relative to the whole text."""
    tail = scan(data, text[start:], Chain(dict(chain.units), set(chain.explicit), []))
    for match in tail.matches:
        match.start += start
        match.end += start
    return Chain(tail.units, tail.explicit, chain.matches + tail.matches)


def _score(data: Divisions, chain: Chain, info, *, fuzzy: bool, inconsistent: bool, given: Chain | None) -> ParsedAddress:
    units, explicit = chain.units, set(chain.explicit)
    if given is not None:
        explicit |= given.explicit
    province, city, county = units.get(PROVINCE), units.get(CITY), units.get(COUNTY)
    flags: set[str] = set()
    reasons: list[str] = []
    if info.landmark:
        flags.add("landmark_relative")
    if info.rural:
        flags.add("rural")
    # Platforms mask the detail they hand to most apps (花*路***号): what is hidden cannot be
    # judged vague; the platform's own e-waybill prints the real address.
    masked = "*" in info.street + info.detail
    if masked:
        flags.add("masked")
    elif not info.house_number:
        flags.add("no_house_number")
    if inconsistent:
        flags.add("inconsistent")
        reasons.append("inconsistent")
    if province is None:
        flags |= {"unparseable", "missing_province", "missing_city", "missing_district"}
        confidence = UNPARSEABLE
    else:
        if PROVINCE not in explicit:
            flags.add("missing_province")
            reasons.append("missing_province")
        if city is None:
            flags.add("missing_city")
            reasons.append("no_city")
        elif CITY not in explicit:
            flags.add("missing_city")
            reasons.append("missing_city")
        if county is None and (city is None or data.has_counties(city)):
            flags.add("missing_district")
            reasons.append("missing_district")
        if any(m.short for m in chain.matches):
            flags.add("abbreviated")
            reasons.append("abbreviated")
        if fuzzy:
            reasons.append("fuzzy")
        if masked:
            pass
        elif len(info.detail) < 3 and not info.house_number:
            reasons.append("short_detail")
        elif not info.place:
            reasons.append("no_place")
        if not info.house_number and not masked:
            reasons.append("rural_no_house_number" if info.rural else "no_house_number")
        confidence = max(0.0, 1.0 - sum(PENALTY[r] for r in reasons))
    if info.landmark:
        confidence = min(confidence, LANDMARK_CAP)
    confidence = round(confidence, 3)
    deepest = county or city or province
    return ParsedAddress(
        province=province.name if province else "",
        city=city.name if city else "",
        district=county.name if county else "",
        street=info.street,
        detail=info.detail,
        adcode=deepest.code if deepest else None,
        confidence=confidence,
        vague=confidence < VAGUE_BELOW or info.landmark,
        flags=frozenset(flags),
    )
