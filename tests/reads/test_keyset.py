"""Issue 16: keyset paging. A page addressed by its cursor never repeats or skips an item
while new items arrive, and totalItems comes from counters kept on write."""

from __future__ import annotations

from typing import Any

from fedivoisin.clock import FrozenClock
from fedivoisin.outbox import community as cm
from tests.kinds.helpers import PUBLIC, get, post
from tests.rig import Instance


async def walk(instance: Instance, first: str, token: str | None, between: Any) -> list[str]:
    """Follow `next` links from `first`, calling `between()` before each next page."""
    seen: list[str] = []
    url: str | None = first
    for _ in range(50):
        if url is None:
            break
        r = await get(instance, url, token)
        assert r.status_code == 200, r.text
        page = r.json()
        assert "page=" not in page.get("next", "")
        seen += [i if isinstance(i, str) else i["id"] for i in page["orderedItems"]]
        url = page.get("next")
        await between()
    return seen


async def test_outbox_and_inbox_pages_never_repeat_or_skip_while_items_arrive(
    instance: Instance,
) -> None:
    lilas = await instance.community("les-lilas", "Résidence Les Lilas")
    await instance.person("alice")
    await cm.add_member(instance.rt, await instance.local("les-lilas"), "alice")
    alice = await instance.token("alice")
    note = {"type": "Note", "content": "<p>n</p>", "to": [PUBLIC]}
    made = [(await post(instance, "alice", alice, note))["id"] for _ in range(45)]
    counter = 0

    async def more() -> None:
        nonlocal counter
        for _ in range(3):
            counter += 1
            await post(instance, "alice", alice, note)

    outbox = instance.urls.outbox("alice")
    seen = await walk(instance, outbox + "?page=1", None, more)
    assert seen == list(reversed(made))
    total = (await get(instance, outbox)).json()["totalItems"]
    assert total == 45 + counter

    # The owner's inbox: alice's own posts are not in it; the community's inbox holds
    # what members addressed to it.
    owner = await instance.token("les-lilas")
    addressed = {"type": "Note", "content": "<p>x</p>", "to": [PUBLIC], "cc": [lilas]}
    for _ in range(25):
        await post(instance, "alice", alice, addressed)

    async def inbox_total() -> int:
        r = await get(instance, instance.urls.inbox("les-lilas"), owner)
        n: int = r.json()["totalItems"]
        return n

    from tests.rig import wait_for

    async def arrived() -> bool:
        return await inbox_total() >= 25

    await wait_for(arrived, timeout=10)
    before = await inbox_total()
    first = await get(instance, instance.urls.inbox("les-lilas") + "?page=1", owner)
    expected_first = [i["id"] for i in first.json()["orderedItems"]]
    in_inbox = await walk(
        instance, instance.urls.inbox("les-lilas") + "?page=1", owner, lambda: _noop()
    )
    assert in_inbox[:20] == expected_first
    assert len(in_inbox) == len(set(in_inbox)) == before


async def _noop() -> None:
    return None


async def test_listing_pages_are_stable_with_equal_sort_values(instance_factory: Any) -> None:
    clock = FrozenClock(1_900_000_000.0)  # every post has the same `published`
    instance = await instance_factory(clock=clock)
    lilas = await instance.community("les-lilas", "Résidence Les Lilas")
    await instance.person("alice")
    await cm.add_member(instance.rt, await instance.local("les-lilas"), "alice", role="moderator")
    alice = await instance.token("alice")
    news = {
        "type": "Note",
        "kind": "News",
        "name": "Info",
        "content": "<p>i</p>",
        "to": [PUBLIC],
        "audience": lilas,
    }
    made = [(await post(instance, "alice", alice, news))["object"]["id"] for _ in range(43)]

    async def more() -> None:
        await post(instance, "alice", alice, news)
        clock.advance(1)
        await post(instance, "alice", alice, news)

    url = instance.urls.collection("les-lilas", "news")
    seen = await walk(instance, url + "?page=1", None, more)
    assert seen == list(reversed(made))
    assert (await get(instance, url)).json()["totalItems"] == 43 + 2 * 3


async def test_deep_page_numbers_point_to_the_cursor_links(instance: Instance) -> None:
    await instance.person("alice")
    r = await get(instance, instance.urls.outbox("alice") + "?page=3")
    assert r.status_code == 400 and r.json()["field"] == "page"
    bad = await get(instance, instance.urls.outbox("alice") + "?max_id=x")
    assert bad.status_code == 400 and bad.json()["field"] == "max_id"
