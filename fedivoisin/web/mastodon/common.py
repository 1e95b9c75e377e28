"""Request parameters, authentication and paging shared by the Mastodon API routes.

Clients send parameters as a query string, a form (Mastodon.py, with `key[]` arrays and
`poll[options][]`) or JSON (masto.js): `Params` reads all three the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...errors import InvalidInput, Unprocessable
from ...store.actors import LocalActor
from ...store.mastodon import Page
from ..auth import authenticate
from ..routes.common import runtime

MAX_LIMIT = 40


@dataclass
class Params:
    values: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key, default)
        if isinstance(v, list):
            return v[0] if v else default
        return v

    def text(self, key: str, default: str = "") -> str:
        v = self.get(key)
        return default if v is None else str(v)

    def list(self, key: str) -> list[Any]:
        v = self.values.get(key)
        if v is None:
            v = self.values.get(key + "[]")
        if v is None:
            return []
        return v if isinstance(v, list) else [v]

    def flag(self, key: str, default: bool = False) -> bool:
        v = self.get(key)
        if v is None:
            return default
        if isinstance(v, bool):
            return v
        return str(v).lower() in ("1", "true", "on", "yes")

    def int(self, key: str, default: int | None = None) -> int | None:
        v = self.get(key)
        if v is None or v == "":
            return default
        try:
            return int(v)
        except (TypeError, ValueError):
            raise Unprocessable(f"{key} must be an integer", field=key) from None

    def sub(self, key: str) -> Params:
        """`poll[options][]=a` (form) and `{"poll": {"options": [...]}}` (JSON) alike."""
        nested = self.values.get(key)
        if isinstance(nested, dict):
            return Params(nested)
        prefix = key + "["
        out: dict[str, Any] = {}
        for k, v in self.values.items():
            if k.startswith(prefix):
                inner = k[len(prefix) :].replace("]", "", 1)
                out[inner] = v
        return Params(out)


def _add(out: dict[str, Any], key: str, value: Any) -> None:
    if key.endswith("[]"):
        key = key[:-2]
        out.setdefault(key, [])
        if isinstance(out[key], list):
            out[key].append(value)
        return
    out[key] = value


async def params(request: Request) -> Params:
    out: dict[str, Any] = {}
    for k, v in request.query_params.multi_items():
        _add(out, k, v)
    ctype = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH"):
        if ctype.startswith("application/json"):
            body = await request.body()
            if body.strip():
                try:
                    doc = orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise InvalidInput("the body is not valid JSON") from None
                if not isinstance(doc, dict):
                    raise InvalidInput("the body must be a JSON object")
                out.update(doc)
        elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            for k, v in form.multi_items():
                _add(out, k, v)
    return Params(out)


async def me(request: Request, scope: str) -> LocalActor:
    """The resident the token speaks for (401/403 from `authenticate`)."""
    principal = await authenticate(request, scope)
    assert principal is not None
    if principal.actor is None:
        raise Unprocessable("This method requires an authenticated user")
    return principal.actor


async def viewer(request: Request, scope: str = "read") -> LocalActor | None:
    principal = await authenticate(request, scope, optional=True)
    return principal.actor if principal is not None else None


def actor_uri(request: Request, actor: LocalActor | None) -> str | None:
    return runtime(request).urls.actor(actor.slug) if actor else None


def json(data: Any, *, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


def _id(p: Params, key: str) -> int | None:
    raw = p.get(key)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Unprocessable(f"{key} must be an id", field=key) from None


def page(p: Params, default: int = 20) -> Page:
    limit = p.int("limit", default) or default
    return Page(
        max_id=_id(p, "max_id"),
        since_id=_id(p, "since_id"),
        min_id=_id(p, "min_id"),
        limit=max(1, min(limit, MAX_LIMIT)),
    )


def link_header(request: Request, ids: list[int]) -> dict[str, str]:
    """Mastodon's `Link: <…max_id=…>; rel="next", <…min_id=…>; rel="prev"`."""
    if not ids:
        return {}
    rt = runtime(request)
    base = rt.urls.origin + request.url.path
    keep = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in ("max_id", "since_id", "min_id")
    ]

    def url(extra: tuple[str, str]) -> str:
        from urllib.parse import urlencode

        return base + "?" + urlencode([*keep, extra])

    nxt = url(("max_id", str(min(ids))))
    prev = url(("min_id", str(max(ids))))
    return {"Link": f'<{nxt}>; rel="next", <{prev}>; rel="prev"'}
