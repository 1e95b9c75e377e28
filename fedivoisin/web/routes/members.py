"""`/actors/{slug}/members`: the members collection a community's actor document advertises.

Who belongs to which community is personal data (docs/privacy.md: visible to the
community's members), so the list is shown only to whom the one visibility function
(`outbox/visibility.py::visible_to`) lets see content addressed to this collection: the
community's accepted members (by a signed GET, or a bearer token acting as a member), and
a token acting for the community itself. Everyone else gets the count, as for followers
lists without `public_follower_lists`. Other servers use the list to check that a group
vouches for a member (FEP-1b12 / Mobilizon group posts, inbox/group_vouching.py).
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ...errors import NotFound
from ...outbox.visibility import visible_to
from ...protocol import documents
from ...store import actors as actor_store
from ...store import members as member_store
from .. import auth
from ..negotiation import as2_content_type, as2_headers
from .common import PAGE_SIZE, page_cursor, runtime


async def _viewer_may_list(request: Request, slug: str, community: str) -> bool:
    """True when the requester may see who the members are (see the module docstring)."""
    rt = runtime(request)
    principal = await auth.authenticate(request, "read", optional=True)
    if principal is not None and principal.may_act_for(slug):
        return True
    if principal is not None and principal.actor is not None:
        viewer: str | None = rt.urls.actor(principal.actor.slug)
    else:
        viewer = await auth.fetch_guard(request)
    return await visible_to(rt, addressed=[rt.urls.members(slug)], author=community, viewer=viewer)


async def members(request: Request) -> Response:
    rt = runtime(request)
    slug = request.path_params["slug"]
    cursor = page_cursor(request)
    found = await actor_store.require_actor(rt.store, slug)
    if not found.is_community:
        raise NotFound("only communities have a members collection")
    community = rt.urls.actor(found.slug)
    coll_id = rt.urls.members(found.slug)
    listed = await _viewer_may_list(request, slug, community)
    total = await member_store.count(rt.store, community)
    if not listed:
        doc = documents.ordered_collection(coll_id, total)
    elif cursor is None:
        doc = documents.ordered_collection(coll_id, total, first=f"{coll_id}?page=1")
    else:
        rows = await member_store.page_of(
            rt.store, community, max_id=cursor.max_id, size=PAGE_SIZE + 1
        )
        shown = rows[:PAGE_SIZE]
        doc = documents.keyset_page(
            coll_id,
            f"{coll_id}?page=1" if cursor.first else f"{coll_id}?max_id={cursor.max_id}",
            [u for _, u in shown],
            next_id=f"{coll_id}?max_id={shown[-1][0]}" if len(rows) > PAGE_SIZE else None,
            total=total,
        )
    headers = as2_headers(request, private=listed)
    return Response(orjson.dumps(doc), media_type=as2_content_type(request), headers=headers)
