"""Media: POST /api/v2/media (and v1), GET/PUT /api/v1/media/:id, and the files under
/media/{name} served with safe headers; `attach` turns media ids into AS2 attachments.

Files are served only as the image type Pillow recognised, with `nosniff`, a sandboxing
Content-Security-Policy and `Content-Disposition: inline`, from Settings.media_url, which
operators point at a separate origin (SECURITY.md rule 2; docs/mastodon-api.md).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ...errors import Forbidden, NotFound, Unprocessable
from ...runtime import Runtime
from ...store import media as media_store
from ...store.actors import LocalActor
from ...store.media import Media
from ..routes.common import runtime
from . import images
from .common import json, me

MAX_DESCRIPTION = 1500
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def entity(rt: Runtime, m: Media) -> dict[str, Any]:
    url = f"{rt.settings.media_url}/{m.name}"
    size = {"width": m.width, "height": m.height, "size": f"{m.width}x{m.height}"}
    size["aspect"] = m.width / m.height if m.height else 1  # type: ignore[assignment]
    return {
        "id": str(m.id),
        "type": "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": size, "small": size},
        "description": m.description or None,
        "blurhash": m.blurhash,
    }


async def upload(request: Request) -> Response:
    actor = await me(request, "write:media")
    rt = runtime(request)
    form = await request.form(max_files=1, max_part_size=images.MAX_BYTES + 1)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise Unprocessable("file is required (multipart/form-data)", field="file")
    raw = await file.read(images.MAX_BYTES + 1)
    description = str(form.get("description") or "")
    if len(description) > MAX_DESCRIPTION:
        raise Unprocessable("the description is too long", field="description")
    cleaned = await asyncio.to_thread(images.clean, raw)
    name = f"{secrets.token_hex(16)}.{cleaned.extension}"
    rt.settings.media_dir.mkdir(parents=True, exist_ok=True)
    path = rt.settings.media_dir / name
    await asyncio.to_thread(path.write_bytes, cleaned.data)
    m = await media_store.insert(
        rt.store,
        owner=actor.slug,
        name=name,
        content_type=cleaned.content_type,
        size=len(cleaned.data),
        width=cleaned.width,
        height=cleaned.height,
        blurhash=cleaned.blurhash,
        description=description,
        now=rt.clock.now(),
    )
    return json(entity(rt, m))


async def _own(request: Request, scope: str) -> tuple[LocalActor, Media]:
    actor = await me(request, scope)
    try:
        m = await media_store.get(runtime(request).store, int(request.path_params["id"]))
    except ValueError:
        m = None
    if m is None or m.owner != actor.slug:
        raise NotFound("Record not found")
    return actor, m


async def get_media(request: Request) -> Response:
    _, m = await _own(request, "read:statuses")
    return json(entity(runtime(request), m))


async def update_media(request: Request) -> Response:
    from .common import params

    _, m = await _own(request, "write:media")
    rt = runtime(request)
    q = await params(request)
    if q.get("description") is not None:
        text = q.text("description")
        if len(text) > MAX_DESCRIPTION:
            raise Unprocessable("the description is too long", field="description")
        if m.object_uri is not None:
            raise Forbidden("the media is already attached to a status", field="description")
        await media_store.describe(rt.store, m.id, text)
    fresh = await media_store.get(rt.store, m.id)
    assert fresh is not None
    return json(entity(rt, fresh))


async def serve(request: Request) -> Response:
    rt = runtime(request)
    name = request.path_params["name"]
    m = await media_store.by_name(rt.store, name)
    path = rt.settings.media_dir / name
    if m is None or not path.is_file():
        raise NotFound("no such media")
    return FileResponse(path, media_type=m.content_type, headers=SAFE_HEADERS)


async def attach(rt: Runtime, actor: LocalActor, obj: dict[str, Any], ids: list[str]) -> None:
    """Media ids of the resident → AS2 `attachment` (Document with mediaType, name,
    blurhash, width, height), as Mastodon federates them."""
    if not ids:
        return
    if len(ids) > 4:
        raise Unprocessable("at most 4 media per status", field="media_ids")
    attachments = []
    for raw in ids:
        try:
            m = await media_store.get(rt.store, int(raw))
        except ValueError:
            m = None
        if m is None or m.owner != actor.slug:
            raise Unprocessable(f"unknown media {raw!r}", field="media_ids")
        att: dict[str, Any] = {
            "type": "Document",
            "mediaType": m.content_type,
            "url": f"{rt.settings.media_url}/{m.name}",
            "width": m.width,
            "height": m.height,
        }
        if m.blurhash:
            att["blurhash"] = m.blurhash
        if m.description:
            att["name"] = m.description
        attachments.append(att)
    obj["attachment"] = attachments


async def mark_attached(rt: Runtime, obj: dict[str, Any], uri: str) -> None:
    """Record which status the uploads went to (descriptions are then frozen)."""
    prefix = rt.settings.media_url + "/"
    for att in obj.get("attachment") or []:
        url = att.get("url") if isinstance(att, dict) else None
        if isinstance(url, str) and url.startswith(prefix):
            m = await media_store.by_name(rt.store, url[len(prefix) :])
            if m is not None:
                await media_store.attach(rt.store, m.id, uri)
