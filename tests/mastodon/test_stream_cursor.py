"""The streaming API's cursor (web/mastodon/stream_cursor.py): a row whose id is lower
than one already streamed, because its transaction committed later (PostgreSQL, several
processes), is still streamed, once; rows older than the overlap are never read again."""

from __future__ import annotations

from fedivoisin.store.mastodon import Page
from fedivoisin.web.mastodon.stream_cursor import OVERLAP, PAGE, StreamCursor


class Table:
    """Committed ids, answering like the timeline queries: ids after min_id, oldest page."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.reads: list[int | None] = []

    async def fetch(self, page: Page) -> list[int]:
        self.reads.append(page.min_id)
        after = sorted(i for i in self.ids if i > (page.min_id or 0))
        return after[: page.limit]


def ident(i: int) -> int:
    return i


async def test_a_late_commit_with_a_lower_id_is_streamed_once() -> None:
    now = [100.0]
    table = Table()
    cursor = StreamCursor(settled=10, clock=lambda: now[0])
    table.ids |= {11, 13}  # 12 was taken first but has not committed yet
    assert await cursor.unsent(table.fetch, ident) == [11, 13]
    now[0] += 0.3
    table.ids.add(12)
    assert await cursor.unsent(table.fetch, ident) == [12]
    now[0] += 0.3
    assert await cursor.unsent(table.fetch, ident) == []


async def test_ids_older_than_the_overlap_are_settled_and_not_read_again() -> None:
    now = [0.0]
    table = Table()
    cursor = StreamCursor(settled=0, clock=lambda: now[0])
    table.ids |= {1, 2, 3}
    assert await cursor.unsent(table.fetch, ident) == [1, 2, 3]
    now[0] += OVERLAP + 0.1
    assert await cursor.unsent(table.fetch, ident) == []
    assert cursor.settled == 3 and cursor.sent == set()
    table.reads.clear()
    table.ids.add(4)
    assert await cursor.unsent(table.fetch, ident) == [4]
    assert table.reads == [3]


async def test_a_flood_is_caught_up_page_by_page() -> None:
    table = Table()
    cursor = StreamCursor(settled=0, clock=lambda: 0.0)
    table.ids |= set(range(1, 3 * PAGE + 6))
    got = await cursor.unsent(table.fetch, ident)
    assert got == list(range(1, 3 * PAGE + 6))
    assert await cursor.unsent(table.fetch, ident) == []
