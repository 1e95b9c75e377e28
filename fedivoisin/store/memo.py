"""A read memo scoped to one batch of the inbox worker (inbox/worker.py).

Why: every activity of a batch asks the same questions whose answers only an admin changes
(is this domain silenced, is this account silenced); inside one batch transaction they
cannot change, so each is read once per batch instead of twice per activity
(docs/performance.md "Inbox processing"). Outside a batch nothing is memoised.
One memoised answer does change inside a batch, the local followers of a sender (an
Accept processed earlier in it): the writers of `follows` call forget(), and so does the
worker when a row's savepoint is undone (what it memoised may describe undone writes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

_T = TypeVar("_T")
_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("fedivoisin_batch_memo", default=None)


@contextmanager
def batch_memo() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


async def memoised(key: Hashable, read: Callable[[], Awaitable[_T]]) -> _T:
    """read()'s answer, read once per batch for key (every time outside a batch)."""
    memo = _MEMO.get()
    if memo is None:
        return await read()
    if key in memo:
        found: _T = memo[key]
        return found
    value = await read()
    memo[key] = value
    return value


def prime(key: Hashable, value: Any) -> None:
    """Answer a memoised read ahead: a batch's prefetch reads one question for all its
    senders in one query (inbox/worker.py). Outside a batch it does nothing."""
    memo = _MEMO.get()
    if memo is not None:
        memo.setdefault(key, value)


def batching() -> bool:
    """Whether a batch memo is active (a prefetch outside one would be read for nothing)."""
    return _MEMO.get() is not None


def forget() -> None:
    """A memoised table was written inside this batch (a local Block handed to the
    worker, say): later rows of the batch read it afresh."""
    memo = _MEMO.get()
    if memo is not None:
        memo.clear()
