"""The hashtag index: tags of local and received objects feed `timelines/tag/:tag` and
`/api/v2/search` (hashtags by prefix, most used first; statuses by `#tag`); objects stored
before the index existed are indexed once at start-up (backfill)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fedivoisin.store.activities import upsert_object
from fedivoisin.store.hashtags import backfill
from tests.rig import Instance, wait_for


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_tags_of_local_and_received_statuses(instance_factory: Callable[..., Any]) -> None:
    home: Instance = await instance_factory()
    other: Instance = await instance_factory()
    await home.person("alice")
    await other.person("bob", manually_approves=False)
    alice, bob = bearer(await home.token("alice")), bearer(await other.token("bob"))
    async with home.http() as c, other.http() as o:
        found = await c.get(
            "/api/v2/search", params={"q": f"bob@{other.domain}", "resolve": "true"}, headers=alice
        )
        bob_id = found.json()["accounts"][0]["id"]
        await c.post(f"/api/v1/accounts/{bob_id}/follow", headers=alice)

        async def following() -> bool:
            r = await c.get(
                "/api/v1/accounts/relationships", params={"id[]": bob_id}, headers=alice
            )
            return bool(r.json()[0]["following"])

        await wait_for(following)
        mine = (
            await c.post("/api/v1/statuses", json={"status": "Coupure #Eau"}, headers=alice)
        ).json()
        theirs = (
            await o.post("/api/v1/statuses", json={"status": "Fuite #eau #Lilas"}, headers=bob)
        ).json()

        async def tagged() -> Any:
            r = await c.get("/api/v1/timelines/tag/eau")
            return len(r.json()) == 2 and r.json()

        timeline = await wait_for(tagged)
        assert [s["uri"] for s in timeline] == [theirs["uri"], mine["uri"]]
        local = (await c.get("/api/v1/timelines/tag/EAU", params={"local": "true"})).json()
        assert [s["uri"] for s in local] == [mine["uri"]]

        r = await c.get("/api/v2/search", params={"q": "#e", "type": "hashtags"}, headers=alice)
        assert [t["name"] for t in r.json()["hashtags"]] == ["eau"]
        r = await c.get("/api/v2/search", params={"q": "l"}, headers=alice)
        assert [t["name"] for t in r.json()["hashtags"]] == ["lilas"]
        r = await c.get("/api/v2/search", params={"q": "#lilas", "type": "statuses"}, headers=alice)
        assert [s["uri"] for s in r.json()["statuses"]] == [theirs["uri"]]

        # An edit re-indexes; the backfill indexes what was stored before the index.
        await c.put(
            f"/api/v1/statuses/{mine['id']}", json={"status": "Coupure #gaz"}, headers=alice
        )
        assert [s["uri"] for s in (await c.get("/api/v1/timelines/tag/gaz")).json()] == [
            mine["uri"]
        ]
        store = home.rt.store
        await store.execute("DELETE FROM object_hashtags")
        assert await backfill(store) == 0  # done once per database (at the first start)
        # A database from before the index: no marker yet.
        await store.execute("DELETE FROM instance_settings WHERE key = 'hashtags_backfilled'")
        assert await backfill(store) == 2
        await store.execute("DELETE FROM object_hashtags")
        assert await backfill(store) == 0  # and never again: start-up stays cheap
        await store.execute("DELETE FROM instance_settings WHERE key = 'hashtags_backfilled'")
        assert await backfill(store) == 2
        assert len((await c.get("/api/v1/timelines/tag/eau")).json()) == 1


async def test_a_received_object_is_stored_once_with_its_tags(instance: Instance) -> None:
    """A received Create stores its object only if new (`only_new`), with its tags; on
    PostgreSQL both in one statement. Received again, nothing is written twice."""
    store = instance.rt.store
    uri = "https://ailleurs.example/notes/1"

    def note(n: int, tags: list[str]) -> dict[str, Any]:
        return {
            "uri": f"https://ailleurs.example/notes/{n}",
            "type_": "Note",
            "kind": "note",
            "attributed_to": "https://ailleurs.example/users/voisine",
            "local": False,
            "public": True,
            "addressees": [],
            "community_uri": None,
            "in_reply_to": None,
            "document": {
                "id": f"https://ailleurs.example/notes/{n}",
                "type": "Note",
                "tag": [{"type": "Hashtag", "name": t} for t in tags],
            },
            "published": 1.0,
            "only_new": True,
        }

    tagged = note(1, ["#Eau", "#lilas", "#eau"])
    assert await upsert_object(store, **tagged) is True
    assert await upsert_object(store, **tagged) is False
    assert await upsert_object(store, **note(2, [])) is True
    rows = await store.fetchall(
        "SELECT h.tag FROM object_hashtags h JOIN objects o ON o.id = h.object_id"
        " WHERE o.uri = ? ORDER BY h.tag",
        (uri,),
    )
    assert [r["tag"] for r in rows] == ["eau", "lilas"]
    stored = await store.fetchone("SELECT count(*) FROM objects WHERE uri LIKE ?", ("%ailleurs%",))
    assert stored is not None and int(stored[0]) == 2
    statuses = await store.fetchone("SELECT count(*) FROM statuses WHERE object_uri = ?", (uri,))
    assert statuses is not None and int(statuses[0]) == 1
