"""Issue 16: rendered-once representations. An ETag changes when (and only when) what the
representation shows changes; conditional GETs answer 304 without rendering; members-only
content never enters a cached (public) representation."""

from __future__ import annotations

import asyncio
from typing import Any

from fedivoisin.outbox import community as cm
from fedivoisin.store import inbox_queue as queue
from fedivoisin.web.render_cache import RenderCache
from tests.kinds.helpers import PUBLIC, get, post
from tests.rig import Instance, database, wait_for

EVENT = {
    "type": "Event",
    "name": "Fête des voisins",
    "startTime": "2031-06-06T19:00:00+02:00",
    "timezone": "Europe/Paris",
}


async def posted(instance: Instance, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """Publish as alice and wait until the side effects (the community's Announce, local
    deliveries) are processed, so the next reads see a settled state."""
    made = await post(instance, "alice", token, body)
    inbox_worker, _ = instance._app.state.workers

    async def idle() -> bool:
        if await inbox_worker.run_once():
            return False
        return not (await queue.counts(instance.rt.store)).get("pending")

    await wait_for(idle, timeout=10)
    return made


async def setup(instance: Instance) -> tuple[str, str]:
    lilas = await instance.community("les-lilas", "Résidence Les Lilas")
    await instance.person("alice")
    await cm.add_member(instance.rt, await instance.local("les-lilas"), "alice", role="moderator")
    return lilas, await instance.token("alice")


def urls(instance: Instance) -> list[str]:
    c = instance.urls.collection
    return [
        c("les-lilas", "events.ics"),
        c("les-lilas", "feed.atom"),
        c("les-lilas", "events") + "?page=1",
        c("les-lilas", "events"),
        instance.urls.outbox("les-lilas") + "?page=1",
        instance.actor("les-lilas"),
    ]


async def etags(instance: Instance) -> dict[str, tuple[str, bytes]]:
    out = {}
    for url in urls(instance):
        r = await get(instance, url)
        assert r.status_code == 200, (url, r.text)
        assert r.headers["etag"].startswith('"') and "last-modified" in r.headers
        out[url] = (r.headers["etag"], r.content)
    return out


def cache(instance: Instance) -> RenderCache:
    found = instance.rt.caches["render_cache"]
    assert isinstance(found, RenderCache)
    return found


async def test_etag_changes_exactly_when_the_community_content_changes(
    instance: Instance,
) -> None:
    lilas, alice = await setup(instance)
    first = await etags(instance)
    # Nothing changed: same tags, and nothing was rendered again.
    renders = cache(instance).renders
    assert await etags(instance) == first
    assert cache(instance).renders == renders

    # A members-only event: the public answers (and so their tags) stay the same.
    await posted(instance, alice, {**EVENT, "to": [lilas + "/members"], "audience": lilas})
    assert await etags(instance) == first

    # A public event in the community: calendar, feed and the events collection change.
    created = await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    second = await etags(instance)
    c = instance.urls.collection
    for name in ("events.ics", "feed.atom", "events"):
        assert second[c("les-lilas", name)][0] != first[c("les-lilas", name)][0], name
    assert created["object"]["id"].encode() in second[c("les-lilas", "events.ics")][1]
    # The community's actor document did not change.
    actor = instance.actor("les-lilas")
    assert second[actor] == first[actor]

    # An update of the event changes them again; a second read does not.
    await posted(
        instance,
        alice,
        {
            "type": "Update",
            "to": [PUBLIC],
            "object": {**created["object"], "name": "Fête des voisins (déplacée)"},
        },
    )
    third = await etags(instance)
    assert third[c("les-lilas", "events.ics")][0] != second[c("les-lilas", "events.ics")][0]
    assert b"d\xc3\xa9plac\xc3\xa9e" in third[c("les-lilas", "events.ics")][1]
    assert await etags(instance) == third

    # Delete: gone from the calendar, new tag.
    await posted(
        instance,
        alice,
        {"type": "Delete", "to": [PUBLIC], "object": created["object"]["id"]},
    )
    fourth = await etags(instance)
    assert fourth[c("les-lilas", "events.ics")][0] != third[c("les-lilas", "events.ics")][0]
    assert created["object"]["id"].encode() not in fourth[c("les-lilas", "events.ics")][1]


async def test_conditional_get_answers_304_without_rendering(instance: Instance) -> None:
    lilas, alice = await setup(instance)
    await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    for url in urls(instance):
        r = await get(instance, url)
        tag, modified = r.headers["etag"], r.headers["last-modified"]
        renders = cache(instance).renders
        again = await get(instance, url, **{"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", url
        assert again.headers["etag"] == tag
        since = await get(instance, url, **{"If-Modified-Since": modified})
        assert since.status_code == 304, url
        listed = await get(instance, url, **{"If-None-Match": f'"other", W/{tag}'})
        assert listed.status_code == 304, url
        assert cache(instance).renders == renders
        # A stale validator gets the full answer.
        stale = await get(instance, url, **{"If-None-Match": '"stale"'})
        assert stale.status_code == 200 and stale.content == r.content
        older = await get(instance, url, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
        assert older.status_code == 200


async def test_members_only_objects_never_enter_a_cached_representation(
    instance: Instance,
) -> None:
    lilas, alice = await setup(instance)
    secret = []
    for audience in ([lilas + "/members"], [instance.actor("alice") + "/followers"]):
        for body in (EVENT, {"type": "Note", "content": "<p>Code 1234</p>"}):
            made = await posted(instance, alice, {**body, "to": audience, "audience": lilas})
            secret += [made["id"], made["object"]["id"]]
    await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    # Personalised reads first (the owner's own outbox shows everything) …
    mine = await get(instance, instance.urls.outbox("alice") + "?page=1", alice)
    assert any(s in mine.text for s in secret)
    # … then every public representation, anonymously.
    for url in [*urls(instance), instance.urls.outbox("alice") + "?page=1"]:
        r = await get(instance, url)
        assert r.status_code == 200
        assert not any(s in r.text for s in secret), url
    again = await get(instance, instance.urls.outbox("alice") + "?page=1", alice)
    assert again.text == mine.text and "etag" not in again.headers
    stored = list(cache(instance)._entries.values())
    assert stored
    for entry in stored:
        body = entry.rendered.body.decode()
        assert not any(s in body for s in secret)


async def test_an_upcoming_event_leaves_the_cached_listing_when_it_starts(
    instance_factory: Any,
) -> None:
    from fedivoisin.clock import FrozenClock

    clock = FrozenClock(1_900_000_000.0)  # 2030-03-17
    instance = await instance_factory(clock=clock)
    lilas, alice = await setup(instance)
    await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    url = instance.urls.collection("les-lilas", "events") + "?page=1"
    before = await get(instance, url)
    assert len(before.json()["orderedItems"]) == 1
    clock.advance(86400 * 500)  # past 2031-06-06: the event has started
    after = await get(instance, url)
    assert after.json()["orderedItems"] == [] and after.headers["etag"] != before.headers["etag"]


async def test_a_write_by_another_process_shows_within_the_version_ttl(
    instance: Instance,
) -> None:
    """The version lives in the database: a change committed by another connection (the
    CLI, another server process) invalidates the cached answer within VERSION_TTL."""
    await setup(instance)
    url = instance.actor("les-lilas")
    first = await get(instance, url)
    assert first.json()["name"] == "Résidence Les Lilas"
    await asyncio.to_thread(
        database.execute,
        instance.settings.db_path,
        "UPDATE actors SET name = 'Les Lilas (A et B)' WHERE slug = 'les-lilas'",
    )

    async def renamed() -> bool:
        r = await get(instance, url)
        return bool(r.json()["name"] == "Les Lilas (A et B)")

    await wait_for(renamed, timeout=5)


async def test_large_cached_answers_are_sent_gzipped_when_the_client_accepts_it(
    instance: Instance,
) -> None:
    """The calendar and the feed are compressed once per rendering, not per request; a
    client without gzip gets the same content as is; each coding has its own strong tag."""
    lilas, alice = await setup(instance)
    for i in range(12):
        await posted(
            instance,
            alice,
            {**EVENT, "name": f"Atelier {i}", "to": [PUBLIC], "audience": lilas},
        )
    for url in (
        instance.urls.collection("les-lilas", "events.ics"),
        instance.urls.collection("les-lilas", "feed.atom"),
    ):
        plain = await get(instance, url, **{"Accept-Encoding": "identity"})
        zipped = await get(instance, url, **{"Accept-Encoding": "gzip, deflate"})
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.content == plain.content  # httpx decodes: the same content
        assert zipped.num_bytes_downloaded < plain.num_bytes_downloaded / 3
        assert (
            "Accept-Encoding" in zipped.headers["vary"]
            and "Accept-Encoding" in plain.headers["vary"]
        )
        assert zipped.headers["etag"] != plain.headers["etag"]
        renders = cache(instance).renders
        for tag in (zipped.headers["etag"], plain.headers["etag"]):
            again = await get(instance, url, **{"Accept-Encoding": "gzip", "If-None-Match": tag})
            assert again.status_code == 304
        refused = await get(instance, url, **{"Accept-Encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in refused.headers and refused.content == plain.content
        assert cache(instance).renders == renders
