"""Issue 12, item 4: RSVP for Mastodon-style servers that cannot send `Join`: a reply to
the event brings a direct Question; its votes (Notes with `name`) count as participation.

The peer speaks only Mastodon-style Notes and Questions, signed with its real RSA key."""

from __future__ import annotations

from typing import Any

from fedivoisin.store import activities as activity_store
from fedivoisin.store import events as event_store
from tests.rig import Instance, wait_for
from tests.rig.peer import RecordingPeer

from .world import build

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def create(peer: RecordingPeer, actor: str, obj: dict[str, Any], n: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.url(f"/activities/{n}"),
        "type": "Create",
        "actor": actor,
        "to": obj["to"],
        "object": {"attributedTo": actor, "id": peer.url(f"/notes/{n}"), **obj},
    }


async def test_a_reply_brings_a_direct_question_whose_votes_count_as_participation(
    instance: Instance,
) -> None:
    w = await build(instance)
    event, alice = w.ids["event"], instance.actor("alice")
    inbox = instance.actor("alice") + "/inbox"
    async with RecordingPeer() as peer:
        camille = peer.add_actor("/users/camille")
        dom = peer.add_actor("/users/dom")
        reply = {
            "type": "Note",
            "content": f'<p><a href="{alice}" class="u-url mention">@alice</a> Super, je viens !</p>',
            "inReplyTo": event,
            "to": [alice],
            "cc": [PUBLIC],
            "tag": [{"type": "Mention", "href": alice, "name": "@alice"}],
        }
        r = await peer.deliver(inbox, create(peer, camille, reply, "1"))
        assert r.status_code == 202, r.text
        got = await peer.wait_for_post(
            lambda p: p.json()["type"] == "Create" and p.json()["object"]["type"] == "Question"
        )
        question = got.json()["object"]
        assert question["to"] == [camille] and question["attributedTo"] == alice
        assert [o["name"] for o in question["oneOf"]] == [
            "Je viens",
            "Peut-être",
            "Je ne viens pas",
        ]
        assert question["inReplyTo"] == peer.url("/notes/1")
        assert question["endTime"].startswith("2031-06-06T17:00:00")
        assert "Fête des voisins" in question["content"]

        # A second reply does not bring a second question.
        again = {**reply, "content": "<p>Encore moi</p>"}
        await peer.deliver(inbox, create(peer, camille, again, "2"))
        # Dom mentions the organiser and links the event, without replying to it.
        mention = {
            "type": "Note",
            "content": f'<p>@alice on y va ? <a href="{event}">{event}</a></p>',
            "to": [alice],
            "tag": [{"type": "Mention", "href": alice, "name": "@alice"}],
        }
        await peer.deliver(inbox, create(peer, dom, mention, "3"))

        def questions_to(who: str) -> list[Any]:
            return [
                p.json()["object"]
                for p in peer.received(
                    lambda p: (
                        p.json()["type"] == "Create"
                        and p.json()["object"]["type"] == "Question"
                        and p.json()["object"]["to"] == [who]
                    )
                )
            ]

        await wait_for(lambda: _true(questions_to(dom)))
        assert len(questions_to(camille)) == 1
        dom_question = questions_to(dom)[0]

        # Camille votes « Je viens »: a participant, and the count goes out.
        vote = {"type": "Note", "name": "Je viens", "inReplyTo": question["id"], "to": [alice]}
        await peer.deliver(inbox, create(peer, camille, vote, "4"))

        async def count() -> int:
            return await event_store.count(instance.rt.store, event)

        await wait_for(lambda: _eq(count(), 2))  # bruno joined with Join, camille by poll
        # The voter's server gets the poll's new tally (FEP-9967 Update of the Question).
        tally = await peer.wait_for_post(
            lambda p: p.json()["type"] == "Update" and p.json()["object"]["id"] == question["id"]
        )
        going = tally.json()["object"]["oneOf"][0]
        assert going["name"] == "Je viens" and going["replies"]["totalItems"] == 1
        # The tally goes out before the event's own Update is stored (record_vote, then
        # on_vote): on PostgreSQL another worker may deliver it in between, so wait.

        async def participants() -> Any:
            stored = await activity_store.get_object(instance.rt.store, event)
            return stored.document.get("participantCount") if stored else None

        await wait_for(lambda: _eq(participants(), 2))
        async with instance.http() as c:
            page = await c.get(event, headers={"Accept": "text/html"})
        assert "58 sur 60" in page.text

        # Dom answers « Je ne viens pas »: counted in the poll, not as a participant.
        no = {
            "type": "Note",
            "name": "Je ne viens pas",
            "inReplyTo": dom_question["id"],
            "to": [alice],
        }
        await peer.deliver(inbox, create(peer, dom, no, "5"))
        await peer.wait_for_post(
            lambda p: (
                p.json()["type"] == "Update" and p.json()["object"]["id"] == dom_question["id"]
            )
        )
        assert await count() == 2
        assert await event_store.get(instance.rt.store, event, dom) is None


async def _true(value: Any) -> bool:
    return bool(value)


async def _eq(awaitable: Any, expected: Any) -> bool:
    return bool(await awaitable == expected)


async def test_an_event_that_mentions_someone_asks_them_directly(instance: Instance) -> None:
    """The other trigger of item 4: the organiser mentions a Mastodon user in a new event;
    that person (not a local resident) gets the direct Question, once."""
    from tests.kinds.helpers import post

    from .world import event_body

    w = await build(instance)
    lilas = w.lilas
    async with RecordingPeer() as peer:
        camille = peer.add_actor("/users/camille")
        tags = [
            {"type": "Mention", "href": camille, "name": "@camille@peer"},
            {"type": "Mention", "href": instance.actor("bruno"), "name": "@bruno"},
        ]
        body = event_body(lilas, name="Atelier vélo", tag=tags)
        body["cc"] = [*body["cc"], camille]
        made = await post(instance, "alice", w.tokens["alice"], body)
        event = made["object"]["id"]
        got = await peer.wait_for_post(
            lambda p: p.json()["type"] == "Create" and p.json()["object"]["type"] == "Question"
        )
        question = got.json()["object"]
        assert question["to"] == [camille] and question["attributedTo"] == instance.actor("alice")
        assert "Atelier vélo" in question["content"] and event in question["content"]
        assert [o["name"] for o in question["oneOf"]] == [
            "Je viens",
            "Peut-être",
            "Je ne viens pas",
        ]
        # The event reached camille too (she was mentioned and in cc).
        assert peer.received(
            lambda p: p.json()["type"] == "Create" and p.json()["object"]["id"] == event
        )
        # An Update of the event asks nobody again.
        await post(
            instance,
            "alice",
            w.tokens["alice"],
            {"type": "Update", "object": {"id": event, "name": "Atelier vélo (salle B)"}},
        )
        await peer.wait_for_post(
            lambda p: p.json()["type"] == "Update" and p.json()["object"]["id"] == event
        )
        questions = peer.received(
            lambda p: p.json()["type"] == "Create" and p.json()["object"]["type"] == "Question"
        )
        assert len(questions) == 1

        # Her vote counts as participation, as for a reply-triggered question.
        inbox = instance.actor("alice") + "/inbox"
        alice = instance.actor("alice")
        vote = {"type": "Note", "name": "Je viens", "inReplyTo": question["id"], "to": [alice]}
        await peer.deliver(inbox, create(peer, camille, vote, "m1"))

        async def going() -> bool:
            return await event_store.get(instance.rt.store, event, camille) is not None

        await wait_for(going)
