"""The fast path for platform times reads exactly what strptime read, and refuses the same."""

from __future__ import annotations

from datetime import datetime

import pytest

from orderhub.channels import pdd_map
from orderhub.channels._top import BEIJING, parse_time

SAMPLES = ["2026-11-24 10:05:09", " 2026-11-24 10:05:09 ", "2026-01-05 00:00:00",
           "2024-02-29 23:59:59", "2026-1-5 3:04:05", "2026-11-24 3:04:05", "2026-11-24T10:05:09",
           "2026-11-24 10:05", "2026-11-24", "2023-02-29 10:00:00", "2026-11-24 24:00:00",
           "2026-13-01 10:00:00", "2026-11-24 10:60:00", "2026-11-24 1a:05:09",
           "2026-11-24 10:05:09+08:00", "２０２６-11-24 10:05:09", "2026-11-24 10:05:09.123",
           "+026-11-24 10:05:09", "2026-11-2_ 10:05:09", "abcd-ef-gh ij:kl:mn"]


def _strptime(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def _outcome(parse, text):
    try:
        return parse(text)
    except ValueError as exc:
        return f"ValueError: {exc}"


@pytest.mark.parametrize("text", SAMPLES)
def test_platform_times_read_as_strptime_reads_them(text: str) -> None:
    assert _outcome(parse_time, text) == _outcome(_strptime, text)


@pytest.mark.parametrize("text", SAMPLES)
def test_pdd_times_read_as_strptime_reads_them(text: str) -> None:
    assert _outcome(pdd_map.when, text) == _outcome(lambda t: _strptime(t.strip()[:19]), text)


def test_the_time_is_beijing_time() -> None:
    value = parse_time("2026-11-24 10:05:09")
    assert value.utcoffset().total_seconds() == 8 * 3600 and value.hour == 10
