"""orderhub.core.quarantine: what is kept of refused input, on both databases.

(It tests a core module; it lives here because the API is its first user.)"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy.orm import Session

from orderhub.core.errors import NotFound
from orderhub.core.quarantine import (MAX_STORED_BYTES, get_quarantined, list_quarantined,
                                      quarantine)


def _keep(session: Session, raw: bytes, **kwargs: object):  # noqa: ANN202
    row = quarantine(session, source="test", reason_code="malformed_json", reason="bad",
                     raw=raw, content_type="application/json", **kwargs)
    session.expire(row)  # read back what the database holds, not what we handed it
    return get_quarantined(session, row.id)


def test_text_is_kept_as_text(session: Session) -> None:
    row = _keep(session, '{"remark": "请周末不要送货"}'.encode())
    assert row.raw == '{"remark": "请周末不要送货"}' and row.raw_encoding == "utf-8"
    assert row.size_bytes == len('{"remark": "请周末不要送货"}'.encode()) and not row.truncated


@pytest.mark.parametrize("raw", [b'{"shop": "\xff"}', b"a\x00b", "订单".encode("gbk")])
def test_bytes_a_text_column_cannot_hold_are_kept_as_base64(session: Session, raw: bytes) -> None:
    row = _keep(session, raw)
    assert row.raw_encoding == "base64" and base64.b64decode(row.raw) == raw


def test_large_input_is_cut_at_64_kib_without_splitting_a_character(session: Session) -> None:
    raw = "长".encode() * 30_000  # 90,000 bytes; 65,536 is not a multiple of 3
    row = _keep(session, raw)
    assert row.truncated and row.size_bytes == 90_000 and row.raw_encoding == "utf-8"
    assert row.raw == "长" * (MAX_STORED_BYTES // 3)


def test_a_sample_of_a_larger_input_records_the_whole_size(session: Session) -> None:
    row = _keep(session, b"x" * 100, size_bytes=5_000_000)
    assert row.truncated and row.size_bytes == 5_000_000 and row.raw == "x" * 100


def test_reasons_quoting_unstorable_text_are_made_storable(session: Session) -> None:
    row = quarantine(session, source="api\x00", reason_code="bad", reason="shop 'a\x00\ud800'",
                     raw=b"", content_type=None)
    session.expire(row)
    assert get_quarantined(session, row.id).reason == "shop 'a\\x00\\ud800'"


def test_list_is_newest_first_and_pages_by_id(session: Session) -> None:
    ids = [_keep(session, str(n).encode()).id for n in range(3)]
    assert [r.id for r in list_quarantined(session, limit=2)][:2] == ids[::-1][:2]
    assert [r.id for r in list_quarantined(session, before_id=ids[1])][0] == ids[0]


def test_unknown_id_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        get_quarantined(session, 987654321)
