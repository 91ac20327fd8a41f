"""Selecting a window of orders from the book without copying them.

`OrderBook.modified_between` copies every order in the window on every page call, which made a
1,000-order window cost more in copying than in rendering. The platform simulators read the
live orders instead (`OrderBook.between`), holding the book's lock while they select and render
a page.
"""

from __future__ import annotations

from datetime import datetime

from orderhub.sim.platform import OrderBook, SimOrder


def window_rows(book: OrderBook, start: datetime, end: datetime, *,
                by: str = "modified") -> list[SimOrder]:
    """The live orders whose `by` time lies in [start, end], oldest first. Call it, and use
    the rows, inside `with book.lock:`."""
    return book.between(start, end, by=by)
