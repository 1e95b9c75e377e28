"""GET /api/v1/instance and /api/v2/instance, and the small endpoints apps call at start."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response

from ... import __version__ as VERSION
from ...store import actors as actor_store
from ..routes.common import runtime
from .common import json
from .present import Presenter

MASTODON_VERSION = f"4.3.0 (compatible; fedivoisin {VERSION})"
MAX_CHARS = 5000
MAX_OPTIONS = 10
IMAGE_LIMIT = 10 * 1024 * 1024
IMAGE_PIXELS = 16_777_216
# A 1×1 grey PNG: the avatar and header of every account until profiles carry images.
AVATAR_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGPYDwABAQEAGNF0KgAAAABJRU5ErkJggg=="
)


def _configuration() -> dict[str, object]:
    return {
        "urls": {"streaming": ""},
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 5},
        "statuses": {
            "max_characters": MAX_CHARS,
            "max_media_attachments": 4,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/webp"],
            "image_size_limit": IMAGE_LIMIT,
            "image_matrix_limit": IMAGE_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
            "description_limit": 1500,
        },
        "polls": {
            "max_options": MAX_OPTIONS,
            "max_characters_per_option": 100,
            "min_expiration": 300,
            "max_expiration": 2_629_746,
        },
        "translation": {"enabled": False},
        "vapid": {"public_key": ""},
    }


async def _contact(request: Request) -> dict[str, object] | None:
    rt = runtime(request)
    p = Presenter(rt, None)
    instance_actor = await actor_store.get_actor(rt.store, "instance")
    if instance_actor is None:
        return None
    return await p.account(rt.urls.actor("instance"))


async def instance_v1(request: Request) -> Response:
    rt = runtime(request)
    counts = await actor_store.count_actors(rt.store)
    title = rt.settings.instance_name
    config = _configuration()
    config["urls"] = {"streaming_api": rt.urls.origin.replace("http", "ws", 1)}
    return json(
        {
            "uri": rt.urls.domain,
            "title": title,
            "short_description": "",
            "description": "",
            "email": "",
            "version": MASTODON_VERSION,
            "urls": {"streaming_api": rt.urls.origin.replace("http", "ws", 1)},
            "stats": {
                "user_count": sum(counts.values()),
                "status_count": 0,
                "domain_count": 0,
            },
            "thumbnail": None,
            "languages": ["fr"],
            "registrations": False,
            "approval_required": True,
            "invites_enabled": False,
            "configuration": config,
            "contact_account": await _contact(request),
            "rules": [],
        }
    )


async def instance_v2(request: Request) -> Response:
    rt = runtime(request)
    config = _configuration()
    config["urls"] = {"streaming": rt.urls.origin.replace("http", "ws", 1)}
    return json(
        {
            "domain": rt.urls.domain,
            "title": rt.settings.instance_name,
            "version": MASTODON_VERSION,
            "source_url": "https://github.com/fedivoisin/fedivoisin",
            "description": "",
            "usage": {"users": {"active_month": 0}},
            "thumbnail": {"url": rt.urls.origin + "/api/fedivoisin/avatar.png"},
            "icon": [],
            "languages": ["fr"],
            "configuration": config,
            "registrations": {
                "enabled": False,
                "approval_required": True,
                "message": None,
                "url": None,
            },
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": await _contact(request)},
            "rules": [],
        }
    )


async def empty_list(request: Request) -> Response:
    """Endpoints apps call at start that have nothing here (custom emojis, filters, lists…)."""
    return json([])


async def avatar(request: Request) -> Response:
    return Response(
        AVATAR_PNG,
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
