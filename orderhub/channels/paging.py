"""Reading a modified-time window page by page without losing rows that move while we read.

Platforms sort a window by modified time. An order modified while we page gets a new modified
time and leaves the window, so every row behind it moves one place forward: paging forwards
would skip the row that slides into the page we already read. Paging from the last page back
to the first only ever re-reads a row (a duplicate, which the caller drops), never skips one.
Pinduoduo recommends this order in its docs; we use it for Douyin too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# read(page_no) -> (rows, total or None, has_next or None)
Reader = Callable[[int], tuple[list[Any], int | None, bool | None]]


def read_backwards(read: Reader, *, first: int, size: int) -> Iterator[list[Any]]:
    """Yield the rows of every page of a window: the first page (which tells the total), then,
    when there is more than one page, from the last page back to the first. Without a total
    (the platform only says has_next), fall back to reading forwards."""
    rows, total, has_next = read(first)
    yield rows
    if total is None:
        page = first
        while has_next:
            page += 1
            rows, _, has_next = read(page)
            yield rows
        return
    if total <= size:
        return
    last = first + (total - 1) // size
    for page in range(last, first - 1, -1):
        rows, _, _ = read(page)
        yield rows


class Unseen:
    """Drops rows already returned in this pull (a page re-read, the duplicates fault)."""

    def __init__(self, key: Callable[[Any], Any]) -> None:
        self.key = key
        self.seen: set[Any] = set()

    def __call__(self, rows: list[Any]) -> list[Any]:
        fresh = []
        for row in rows:
            try:
                ident = self.key(row)
            except (KeyError, TypeError):
                fresh.append(row)  # no id: let the mapper turn it into a BadPayload
                continue
            if ident not in self.seen:
                self.seen.add(ident)
                fresh.append(row)
        return fresh
