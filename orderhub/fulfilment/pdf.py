"""The one font every printed page (labels, pick and shipping lists) uses for Chinese text.

Thermal printers and viewers without Chinese fonts print what is embedded, so a TrueType font
with CJK glyphs is embedded (subset) when one is found. Without one, reportlab's built-in
STSong-Light CID font is named instead: the text is still real text, but the viewer supplies
the glyphs.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

from orderhub.core.settings import get_settings

FONT_NAME = "OrderHubCJK"
FALLBACK = "STSong-Light"
# TrueType-outline CJK fonts of the common Linux distributions (Noto CJK is CFF: reportlab
# cannot embed it).
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

_lock = threading.Lock()
_registered: str | None = None


def cjk_font() -> str:
    """Register (once) and return the name of the font to draw Chinese text with."""
    global _registered
    with _lock:
        if _registered is None:
            _registered = _register()
        return _registered


def font_embedded() -> bool:
    return cjk_font() == FONT_NAME


def _register() -> str:
    configured = get_settings().label_font
    for path in ([configured] if configured else []) + list(CANDIDATES):
        if path and Path(path).is_file():
            kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, **kwargs))
            return FONT_NAME
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK
