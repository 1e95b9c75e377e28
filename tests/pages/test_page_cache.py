"""Issues 12 and 16: a visitor's pages come from the render cache. They are rendered once
per change of what they show (objects, members, followers, relays, the actor's row) or
when a listing lapses by itself; conditional GETs answer 304; a signed-in resident's page
is never stored, and nothing members-only ever enters the cache."""

from __future__ import annotations

from typing import Any

from fedivoisin.clock import FrozenClock
from fedivoisin.outbox import community as cm
from fedivoisin.web.render_cache import RenderCache
from tests.kinds.helpers import PUBLIC
from tests.reads.test_render_cache import EVENT, posted, setup
from tests.rig import Instance

HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"


def cache(instance: Instance) -> RenderCache:
    found = instance.rt.caches["render_cache"]
    assert isinstance(found, RenderCache)
    return found


async def page(instance: Instance, url: str, token: str | None = None, **headers: str) -> Any:
    h = {"Accept": HTML, **headers}
    if token:
        h["Authorization"] = f"Bearer {token}"
    async with instance.http() as c:
        return await c.get(url, headers=h)


async def test_the_community_page_is_rendered_once_per_change(instance: Instance) -> None:
    lilas, alice = await setup(instance)
    url = instance.actor("les-lilas")
    first = await page(instance, url)
    assert first.status_code == 200 and first.headers["etag"].startswith('"')
    renders = cache(instance).renders
    again = await page(instance, url)
    assert again.content == first.content and cache(instance).renders == renders

    # Conditional GETs: 304 without rendering.
    same = await page(instance, url, **{"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304 and same.content == b""
    since = await page(instance, url, **{"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304 and cache(instance).renders == renders

    # A members-only event: a new rendering maybe, but the same bytes and tag.
    await posted(
        instance,
        alice,
        {**EVENT, "name": "Réunion privée", "to": [lilas + "/members"], "audience": lilas},
    )
    private = await page(instance, url)
    assert "Réunion privée" not in private.text and private.headers["etag"] == first.headers["etag"]

    # A public event shows at once.
    await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    shown = await page(instance, url)
    assert "Fête des voisins" in shown.text and shown.headers["etag"] != first.headers["etag"]

    # A new member (the members count), then a relay (the relays list), each shows.
    await instance.person("bruno")
    await cm.add_member(instance.rt, await instance.local("les-lilas"), "bruno")
    joined = await page(instance, url)
    assert joined.headers["etag"] != shown.headers["etag"]
    await instance.community("quartier-nord", "Quartier Nord", kind="quartier")
    relay = instance.actor("quartier-nord")
    await cm.add_relay(instance.rt, await instance.local("les-lilas"), relay, ["event"])
    relayed = await page(instance, url)
    assert "Quartier Nord" in relayed.text and relayed.headers["etag"] != joined.headers["etag"]

    # The community renamed: its page follows.
    await instance.rt.store.execute(
        "UPDATE actors SET name = 'Les Lilas (A et B)' WHERE slug = 'les-lilas'"
    )
    renamed = await page(instance, url)
    assert "Les Lilas (A et B)" in renamed.text


async def test_a_signed_in_member_page_is_never_cached_and_never_leaks(
    instance: Instance,
) -> None:
    lilas, alice = await setup(instance)
    await posted(
        instance,
        alice,
        {**EVENT, "name": "Réunion privée", "to": [lilas + "/members"], "audience": lilas},
    )
    url = instance.actor("les-lilas")
    mine = await page(instance, url, alice)  # the member first: she sees the private event
    assert "Réunion privée" in mine.text and "etag" not in mine.headers
    assert mine.headers["cache-control"].startswith("private")
    anonymous = await page(instance, url)
    assert "Réunion privée" not in anonymous.text
    for list_url in (url + "/events", url + "/events?page=1"):
        assert "Réunion privée" in (await page(instance, list_url, alice)).text
        assert "Réunion privée" not in (await page(instance, list_url)).text
    for entry in cache(instance)._entries.values():
        assert "Réunion privée" not in entry.rendered.body.decode()


async def test_event_page_follows_updates_and_deletion(instance: Instance) -> None:
    lilas, alice = await setup(instance)
    made = await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    url = made["object"]["id"]
    first = await page(instance, url, **{"Accept-Language": "fr"})
    english = await page(instance, url, **{"Accept-Language": "en"})
    assert first.headers["content-language"] == "fr" and english.headers["content-language"] == "en"
    assert first.content != english.content  # one entry per locale
    renders = cache(instance).renders
    assert (await page(instance, url, **{"Accept-Language": "fr"})).content == first.content
    assert cache(instance).renders == renders

    await posted(
        instance,
        alice,
        {"type": "Update", "to": [PUBLIC], "object": {**made["object"], "name": "Fête déplacée"}},
    )
    assert "Fête déplacée" in (await page(instance, url)).text
    await posted(instance, alice, {"type": "Delete", "to": [PUBLIC], "object": url})
    gone = await page(instance, url)
    assert gone.status_code == 410 and "Fête" not in gone.text


async def test_a_started_event_leaves_the_cached_community_page(instance_factory: Any) -> None:
    clock = FrozenClock(1_900_000_000.0)  # 2030-03-17
    instance = await instance_factory(clock=clock)
    lilas, alice = await setup(instance)
    await posted(instance, alice, {**EVENT, "to": [PUBLIC], "audience": lilas})
    url = instance.actor("les-lilas")
    before = await page(instance, url)
    assert "Fête des voisins" in before.text
    clock.advance(86400 * 500)  # past 2031-06-06: the event has started
    after = await page(instance, url)
    assert "Fête des voisins" not in after.text
