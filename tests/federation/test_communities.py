"""Issue 6: communities as groups, membership, moderation and the territory mesh (rig tests)."""

from __future__ import annotations

from typing import Any

from fedivoisin.outbox import community as cm
from fedivoisin.store import activities as activity_store
from tests.rig import AS2, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def announces_of(items: list[dict[str, Any]], oid: str) -> list[dict[str, Any]]:
    return [i for i in items if i["type"] == "Announce" and i.get("object") == oid]


async def follow(inst: Any, slug: str, token: str, target: str) -> None:
    r = await inst.c2s(slug, token, {"type": "Follow", "object": target})
    assert r.status_code == 201, r.text

    async def accepted() -> bool:
        return any(i["type"] == "Accept" for i in await inst.inbox(slug, token))

    await wait_for(accepted, timeout=10)


async def test_town_alert_reaches_a_resident_of_building_b_exactly_once(
    instance_factory: Any,
) -> None:
    a = await instance_factory()  # building les-lilas
    b = await instance_factory()  # building les-tilleuls + the resident
    q = await instance_factory()  # quartier-nord and the town
    await a.community("les-lilas")
    await b.community("les-tilleuls")
    await q.community("quartier-nord", kind="quartier")
    await q.community("ville", kind="town")
    await b.person("rose")
    rose = await b.token("rose")
    ville = await q.token("ville")

    # The mesh: the quartier relays the town; building B relays the town AND the quartier,
    # so the town's alert reaches B by two paths.
    qn = await q.local("quartier-nord")
    tilleuls = await b.local("les-tilleuls")
    await cm.add_relay(q.rt, qn, q.actor("ville"), ["alert", "event"])
    await cm.add_relay(b.rt, tilleuls, q.actor("ville"), ["alert"])
    await cm.add_relay(b.rt, tilleuls, q.actor("quartier-nord"), ["alert", "event"])
    await follow(b, "rose", rose, b.actor("les-tilleuls"))

    async def relays_accepted() -> bool:
        rows = await b.rt.store.fetchall(
            "SELECT state FROM follows WHERE follower = ?", (b.actor("les-tilleuls"),)
        )
        rows_q = await q.rt.store.fetchall(
            "SELECT state FROM follows WHERE follower = ?", (q.actor("quartier-nord"),)
        )
        return (
            len(rows) == 2
            and len(rows_q) == 1
            and all(r["state"] == "accepted" for r in [*rows, *rows_q])
        )

    await wait_for(relays_accepted, timeout=10)

    r = await q.c2s(
        "ville",
        ville,
        {
            "type": "Note",
            "kind": "Alert",
            "name": "Coupure d'eau",
            "content": "<p>Coupure d'eau mardi 8h-12h.</p>",
            "alertStatus": "Actual",
            "msgType": "Alert",
            "alertCategory": "Infra",
            "urgency": "Expected",
            "severity": "Minor",
            "certainty": "Observed",
            "to": [PUBLIC],
            "cc": [q.actor("ville") + "/followers"],
        },
    )
    assert r.status_code == 201, r.text
    alert = r.json()["object"]["id"]

    async def rose_got_it() -> list[dict[str, Any]]:
        return announces_of(await b.inbox("rose", rose), alert)

    got = await wait_for(rose_got_it, timeout=15)

    # Let the second path (town → quartier → B) play out, then check there is still one.
    async def quartier_relayed() -> bool:
        return (
            await q.rt.store.fetchone(
                "SELECT 1 FROM relayed WHERE community = ? AND object_uri = ?",
                (q.actor("quartier-nord"), alert),
            )
            is not None
        )

    await wait_for(quartier_relayed, timeout=10)

    async def b_saw_quartier_announce() -> bool:
        row = await b.rt.store.fetchone(
            "SELECT 1 FROM activities WHERE actor_uri = ? AND type = 'Announce' AND object_uri = ?",
            (q.actor("quartier-nord"), alert),
        )
        return row is not None

    await wait_for(b_saw_quartier_announce, timeout=10)
    items = announces_of(await b.inbox("rose", rose), alert)
    assert len(items) == len(got) == 1
    assert items[0]["actor"] == b.actor("les-tilleuls")
    # The origin stays the author: the object is the town's, so replies go to it.
    stored = await activity_store.get_object(b.rt.store, alert)
    assert stored is not None and stored.attributed_to == q.actor("ville")


async def test_members_only_event_reaches_members_and_no_one_else(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.community("les-lilas", join_policy="approval")
    await a.person("gardien")
    await b.person("membre")
    await b.person("curieux")
    lilas = await a.token("lilas") if False else await a.token("les-lilas")
    membre, curieux = await b.token("membre"), await b.token("curieux")
    lil = await a.local("les-lilas")
    await cm.add_member(a.rt, lil, "gardien")
    # A remote resident asks to join; a moderator approves.
    r = await b.c2s("membre", membre, {"type": "Join", "object": a.actor("les-lilas")})
    assert r.status_code == 201, r.text

    async def pending() -> bool:
        row = await a.rt.store.fetchone(
            "SELECT state FROM members WHERE member = ?", (b.actor("membre"),)
        )
        return row is not None and row["state"] == "pending"

    await wait_for(pending, timeout=10)
    await cm.approve_member(a.rt, lil, b.actor("membre"), accept=True)
    await follow(b, "curieux", curieux, a.actor("les-lilas"))  # a follower, not a member

    members = a.actor("les-lilas") + "/members"
    r = await a.c2s(
        "les-lilas",
        lilas,
        {
            "type": "Event",
            "name": "AG des résidents (membres)",
            "startTime": "2030-06-01T18:00:00+02:00",
            "endTime": "2030-06-01T20:00:00+02:00",
            "timezone": "Europe/Paris",
            "content": "<p>Ordre du jour joint.</p>",
            "to": [members],
        },
    )
    assert r.status_code == 201, r.text
    event = r.json()["object"]["id"]

    async def membre_got_it() -> bool:
        return any(
            i["type"] == "Create" and i["object"]["id"] == event
            for i in await b.inbox("membre", membre)
        )

    await wait_for(membre_got_it, timeout=10)
    assert not any(
        i.get("object") == event
        or (isinstance(i.get("object"), dict) and i["object"].get("id") == event)
        for i in await b.inbox("curieux", curieux)
    )
    # No GET, page or listing shows it without a member's credentials.
    assert (await a.get_json(event)).status_code == 404
    async with a.http() as c:
        page = (await c.get("/actors/les-lilas/outbox?page=1", headers={"Accept": AS2})).json()
        assert event not in str(page)
        r = await c.get(
            event, headers={"Accept": AS2, "Authorization": f"Bearer {await a.token('gardien')}"}
        )
        assert r.status_code == 200 and r.json()["name"].startswith("AG")


async def test_remote_member_post_is_announced_to_followers_on_a_third_instance(
    instance_factory: Any,
) -> None:
    a = await instance_factory()
    b = await instance_factory()
    c3 = await instance_factory()
    await a.community("les-lilas")  # open: following makes you a member
    await b.person("karim")
    await c3.person("lea")
    karim, lea = await b.token("karim"), await c3.token("lea")
    await follow(b, "karim", karim, f"acct:les-lilas@{a.domain}")
    await follow(c3, "lea", lea, a.actor("les-lilas"))
    r = await b.c2s(
        "karim",
        karim,
        {
            "type": "Note",
            "content": "<p>Je prête ma perceuse ce week-end.</p>",
            "to": [PUBLIC],
            "cc": [a.actor("les-lilas")],
            "audience": a.actor("les-lilas"),
        },
    )
    assert r.status_code == 201, r.text
    note = r.json()["object"]["id"]

    async def lea_got_announce() -> list[dict[str, Any]]:
        return announces_of(await c3.inbox("lea", lea), note)

    items = await wait_for(lea_got_announce, timeout=15)
    assert items[0]["actor"] == a.actor("les-lilas")
    # The third instance fetched the original from its author's instance.
    stored = await activity_store.get_object(c3.rt.store, note)
    assert stored is not None and stored.attributed_to == b.actor("karim")
    assert "perceuse" in stored.document["content"]


async def test_non_members_cannot_post_and_moderator_removal_reaches_every_instance(
    instance_factory: Any,
) -> None:
    a = await instance_factory()
    b = await instance_factory()
    c3 = await instance_factory()
    await a.community("les-lilas", join_policy="approval")
    await a.person("animatrice")
    await a.person("voisin")
    await b.person("lecteur")
    await b.person("intrus")
    await c3.person("lointaine")
    lil = await a.local("les-lilas")
    await cm.add_member(a.rt, lil, "animatrice", role="moderator")
    await cm.add_member(a.rt, lil, "voisin")
    voisin, anim = await a.token("voisin"), await a.token("animatrice")
    lecteur, intrus = await b.token("lecteur"), await b.token("intrus")
    await follow(b, "lecteur", lecteur, a.actor("les-lilas"))
    await follow(b, "intrus", intrus, a.actor("les-lilas"))
    lointaine = await c3.token("lointaine")
    await follow(c3, "lointaine", lointaine, a.actor("les-lilas"))

    r = await b.c2s(
        "intrus", intrus, {"type": "Note", "content": "spam", "to": [PUBLIC, a.actor("les-lilas")]}
    )
    spam = r.json()["object"]["id"]
    r = await a.c2s(
        "voisin",
        voisin,
        {"type": "Note", "content": "Vide-grenier samedi !", "to": [PUBLIC, a.actor("les-lilas")]},
    )
    post = r.json()["object"]["id"]

    async def lecteur_has_post() -> bool:
        return bool(announces_of(await b.inbox("lecteur", lecteur), post))

    await wait_for(lecteur_has_post, timeout=10)

    async def lointaine_has_post() -> bool:
        return bool(announces_of(await c3.inbox("lointaine", lointaine), post))

    await wait_for(lointaine_has_post, timeout=10)
    assert not announces_of(await b.inbox("lecteur", lecteur), spam)  # non-member refused

    # A moderator removes the post through the C2S API; the removal reaches instance B.
    r = await a.c2s(
        "animatrice", anim, {"type": "Remove", "object": post, "target": a.actor("les-lilas")}
    )
    assert r.status_code == 201, r.text

    async def deleted_everywhere() -> bool:
        for inst in (b, c3):
            stored = await activity_store.get_object(inst.rt.store, post)
            if stored is None or stored.deleted is None:
                return False
        return True

    await wait_for(deleted_everywhere, timeout=10)

    # ...and the boost is undone for Mastodon-style receivers.
    async def undo_received() -> bool:
        row = await c3.rt.store.fetchone(
            "SELECT 1 FROM activities WHERE type = 'Undo' AND actor_uri = ?",
            (a.actor("les-lilas"),),
        )
        return row is not None

    await wait_for(undo_received, timeout=10)
    # A plain member cannot moderate.
    r = await a.c2s(
        "voisin", voisin, {"type": "Remove", "object": post, "target": a.actor("les-lilas")}
    )
    assert r.status_code == 403


async def test_only_allowed_actors_may_alert_a_community(instance_factory: Any) -> None:
    a = await instance_factory()
    await a.community("les-lilas")
    await a.person("voisin")
    await a.person("syndic", type_="Organization")
    lil = await a.local("les-lilas")
    await cm.add_member(a.rt, lil, "voisin")
    await cm.add_member(a.rt, lil, "syndic", may_alert=True, title="syndic")
    alert = {
        "type": "Note",
        "kind": "Alert",
        "name": "Ascenseur en panne",
        "content": "<p>Ascenseur en panne.</p>",
        "alertStatus": "Actual",
        "msgType": "Alert",
        "alertCategory": "Infra",
        "urgency": "Immediate",
        "severity": "Minor",
        "certainty": "Observed",
        "to": [PUBLIC, a.actor("les-lilas")],
    }
    r = await a.c2s("voisin", await a.token("voisin"), alert)
    assert r.status_code == 403 and "alert" in r.json()["detail"]
    r = await a.c2s("syndic", await a.token("syndic"), alert)
    assert r.status_code == 201, r.text
