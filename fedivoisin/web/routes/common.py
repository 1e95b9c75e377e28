"""Small helpers every route uses."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ...errors import InvalidInput
from ...runtime import Runtime

PAGE_SIZE = 20


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def page_number(request: Request) -> int | None:
    """The ?page=N parameter, None when absent; 400 naming the field when malformed."""
    raw = request.query_params.get("page")
    if raw is None:
        return None
    if raw == "true":
        return 1
    try:
        page = int(raw)
    except ValueError:
        raise InvalidInput("page must be a positive integer", field="page") from None
    if page < 1 or page > 100_000:
        raise InvalidInput("page must be a positive integer", field="page")
    return page


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts: `first` (no cursor), `max_id` (id-ordered collections:
    items with a smaller id) or `after` (listings: items after `(sort value, id)`)."""

    max_id: int | None = None
    after: tuple[float, int] | None = None

    @property
    def first(self) -> bool:
        return self.max_id is None and self.after is None


def page_cursor(request: Request) -> Cursor | None:
    """The page asked for: None for the collection itself (no page parameter), a Cursor for
    a page. `?page=1` / `?page=true` is the first page; deeper pages are reached by the
    `next` links (`?max_id=N`, `?after=VALUE_ID`): there is no OFFSET paging."""
    q = request.query_params
    if "max_id" in q:
        try:
            max_id = int(q["max_id"])
        except ValueError:
            raise InvalidInput("max_id must be an integer", field="max_id") from None
        return Cursor(max_id=max_id)
    if "after" in q:
        value, sep, row = q["after"].rpartition("_")
        try:
            if not sep:
                raise ValueError
            return Cursor(after=(float(value), int(row)))
        except ValueError:
            raise InvalidInput("after must be VALUE_ID", field="after") from None
    page = page_number(request)
    if page is None:
        return None
    if page != 1:
        raise InvalidInput(
            "pages are addressed by cursor: follow the 'next' link (max_id/after)", field="page"
        )
    return Cursor()


def after_token(key: tuple[float, int]) -> str:
    value = key[0]
    text = repr(float(value)) if not float(value).is_integer() else str(int(value))
    return f"{text}_{key[1]}"
