"""WebFinger, host-meta and NodeInfo: how other servers discover us."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ... import __version__
from ...errors import InvalidInput, NotFound
from ...protocol import documents
from ...store import activities as activity_store
from ...store import actors as actor_store
from ..negotiation import json_response
from .common import runtime

CORS = {"Access-Control-Allow-Origin": "*"}


async def webfinger(request: Request) -> Response:
    rt = runtime(request)
    resource = request.query_params.get("resource")
    if resource is None:
        raise InvalidInput("the 'resource' query parameter is required", field="resource")
    try:
        slug = documents.parse_webfinger_resource(resource, rt.urls)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="resource") from None
    if slug is None:
        raise NotFound(f"{resource} is not an account on this server")
    actor = await actor_store.get_actor(rt.store, slug)
    if actor is None:
        raise NotFound(f"{resource} is not an account on this server")
    extra = []
    if actor.is_community:
        extra = [
            {
                "rel": "alternate",
                "type": "text/calendar",
                "href": rt.urls.collection(slug, "events.ics"),
            },
            {
                "rel": "alternate",
                "type": "application/atom+xml",
                "href": rt.urls.collection(slug, "feed.atom"),
            },
        ]
    doc = documents.webfinger_document(rt.urls, slug, extra_links=extra)
    return json_response(
        doc, media_type="application/jrd+json", headers={**CORS, "Cache-Control": "max-age=300"}
    )


async def host_meta(request: Request) -> Response:
    rt = runtime(request)
    return Response(documents.host_meta(rt.urls), media_type="application/xrd+xml", headers=CORS)


async def nodeinfo_links(request: Request) -> Response:
    return json_response(documents.nodeinfo_links(runtime(request).urls), headers=CORS)


async def nodeinfo(request: Request) -> Response:
    rt = runtime(request)
    counts = await actor_store.count_actors(rt.store)
    people = sum(n for t, n in counts.items() if t != "Application")
    doc = documents.nodeinfo(
        version=__version__,
        users_total=people,
        local_posts=await activity_store.count_local_objects(rt.store),
        open_registrations=rt.settings.open_registrations,
        node_name=rt.settings.instance_name,
        communities=counts.get("Group", 0),
    )
    return json_response(
        doc,
        media_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
        headers=CORS,
    )
