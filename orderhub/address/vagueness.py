"""What the part after the divisions says: street, house number, rural, landmark-relative."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NUM = r"(?:\d+|[零〇一二三四五六七八九十百两]+)"
HOUSE_NUMBER = re.compile(
    _NUM + r"\s*(?:号楼|号院|号|栋|幢|单元|室|楼|座|层|弄|排|户|#)"
    r"|\d+\s*[-—－]\s*\d+|#\s*\d+|[A-Za-z]\s*\d{2,}|\d{3,}"
    r"|" + _NUM + r"\s*(?:组|队|社)(?!团|织|合)"
)
_SURNAME = (
    "[王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文]"
)
LANDMARK = re.compile(
    r"后面|后边|背后|对面|对过|斜对|楼下|旁边|边上|附近|那个|那家|那栋|那条|那边|这边|隔壁|拐角|转角"
    r"|往[东西南北左右前里]走|[东西南北]边那|周边|一带|左边|右边|前面|里面|门口等|不远|老" + _SURNAME + "家"
    r"|家楼下|到了打|打电话|电话联系|问一下|找我"
)
RURAL = re.compile(r"(?<![新])村(?![委部])|屯(?!路|街|大街|SOHO|soho)|" + _NUM + r"\s*组(?!团|织|合)|嘎查|自然村|村委")
# Something a courier can walk to: a road, a compound, a building, a village.
PLACE = re.compile(
    r"路|街|道|巷|弄|胡同|里|坊|小区|花园|苑|园|庭|府|城|湾|庄|公寓|大厦|大楼|中心|广场|大学|学院|学校|中学|小学"
    r"|医院|公司|厂|工业区|产业园|科技园|宿舍|村|屯|组|社区|社|队|镇|乡|楼|栋|幢|座|号"
)
STREET = re.compile(r"^(?P<name>[\u4e00-\u9fff]{1,9}?)(?<!小)(?P<kind>街道办事处|街道|民族乡|镇镇|镇|乡乡|乡|苏木)")
_NOT_IN_STREET = re.compile(r"路|街(?!道)|巷|号|村|区|小区|大道|园")
_PHONE = re.compile(r"(?:\+?86[-\s]?)?1[3-9]\d{9}|0\d{2,3}[-\s]?\d{7,8}|\(0\d{2,3}\)\d{7,8}")
_POSTCODE = re.compile(r"邮编[:：]?\s*\d{6}|\(\d{6}\)")
_LEADING = re.compile(r"^(?:收货地址|收件地址|详细地址|地址|收货人地址)[:：]?|^中华人民共和国|^中国")
_JUNK = re.compile(r"[\s\u3000,，;；:：、'\"“”‘’`~!！?？<>《》\[\]【】{}|\\/^_=+]+")
_EDGE = re.compile(r"^[^\w\u4e00-\u9fff#]+|[^\w\u4e00-\u9fff#)）]+$")
_IGNORED = re.compile(r"市辖区|省直辖县级行政区划|自治区直辖县级行政区划|省直辖行政单位|^县$")


def normalize(text: str) -> str:
    """Full-width to half-width, no spaces or separators, no phone numbers or leading labels."""
    if not isinstance(text, str):
        raise TypeError(f"address must be a string, not {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = _PHONE.sub("", text)
    text = _POSTCODE.sub("", text)
    text = _JUNK.sub("", text)
    text = _EDGE.sub("", text)
    text = _LEADING.sub("", text)
    return _IGNORED.sub("", text)


def normalize_part(part: str) -> str:
    return _IGNORED.sub("", normalize(part or ""))


@dataclass(frozen=True)
class DetailInfo:
    street: str
    detail: str
    house_number: bool
    place: bool
    rural: bool
    landmark: bool


def inspect_detail(rest: str, whole: str) -> DetailInfo:
    """``rest`` is the text after the division names, ``whole`` the normalized address."""
    street = ""
    found = STREET.match(rest)
    if found and not _NOT_IN_STREET.search(found.group("name")):
        street = found.group(0)
        rest = rest[len(street):]
    return DetailInfo(
        street=street,
        detail=rest,
        house_number=bool(HOUSE_NUMBER.search(rest)),
        place=bool(PLACE.search(rest)),
        rural=bool(RURAL.search(street + rest)),
        landmark=bool(LANDMARK.search(whole)),
    )
