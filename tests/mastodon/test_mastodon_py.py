"""Acceptance with Mastodon.py (a client library no one here wrote): register an app,
authorise with PKCE through the consent page, verify credentials, post a status and a
poll, reply, favourite, reblog, read the home timeline and notifications, follow a
community on a second instance, RSVP to its event, vote, delete. Every call succeeds and
every response has each field Mastodon.py's typed models declare as required."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mastodon import Mastodon

from tests.mastodon.clients import (
    REDIRECT,
    PkceSession,
    browser_consent,
    missing_fields,
    pkce,
    set_password,
)
from tests.rig import Instance, wait_for

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
EVENT = {
    "type": "Event",
    "name": "Fête des voisins",
    "content": "<p>Apportez un plat.</p>",
    "startTime": "2031-06-06T19:00:00+02:00",
    "endTime": "2031-06-06T23:00:00+02:00",
    "timezone": "Europe/Paris",
    "maximumAttendeeCapacity": 60,
    "joinMode": "free",
}


def checked(value: Any) -> Any:
    missing = missing_fields(value)
    assert not missing, missing
    return value


async def test_mastodon_py_end_to_end(instance_factory: Callable[..., Any]) -> None:
    home: Instance = await instance_factory()
    other: Instance = await instance_factory()
    await home.person("alice")
    await home.person("bob", manually_approves=False)
    await set_password(home, "alice", "correct horse battery")
    bob_token = await home.token("bob")
    cour = await other.community("cour-b", name="Cour B")
    cour_token = await other.token("cour-b")

    base = home.base_url
    scopes = ["read", "write", "follow"]

    def register_and_authorise() -> str:
        client_id, client_secret = Mastodon.create_app(
            "Voisins", scopes=scopes, redirect_uris=REDIRECT, api_base_url=base
        )
        verifier, challenge = pkce()
        app = Mastodon(
            client_id=client_id,
            client_secret=client_secret,
            api_base_url=base,
            session=PkceSession(verifier),
        )
        url = app.auth_request_url(
            redirect_uris=REDIRECT, scopes=scopes, state="xyz", allow_http=True
        )
        code = browser_consent(url, challenge, "alice", "correct horse battery")
        return str(app.log_in(code=code, redirect_uri=REDIRECT, scopes=scopes, allow_http=True))

    token = await asyncio.to_thread(register_and_authorise)
    m = Mastodon(access_token=token, api_base_url=base)
    bob = Mastodon(access_token=bob_token, api_base_url=base)

    def call(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return checked(fn(*args, **kw))

    async def run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return await asyncio.to_thread(call, fn, *args, **kw)

    me = await run(m.account_verify_credentials)
    assert me.username == "alice" and me.acct == "alice"
    await run(m.instance)
    await run(m.instance_v2)

    # Alice follows Bob (who accepts automatically); Bob posts a poll.
    bob_acc = await run(m.account_lookup, "bob")
    rel = await run(m.account_follow, bob_acc.id)
    assert rel.following or rel.requested

    async def follows_bob() -> bool:
        return bool((await run(m.account_relationships, [bob_acc.id]))[0].following)

    await wait_for(follows_bob, timeout=10)
    poll = await run(
        bob.status_post, "Quel soir ?", poll=bob.make_poll(["jeudi", "vendredi"], 3600)
    )
    assert poll.poll.options[0].title == "jeudi"

    status = await run(m.status_post, "Bonjour les voisins #lilas", visibility="public")
    assert status.visibility == "public" and status.tags[0].name == "lilas"
    reply = await run(bob.status_reply, status, "Bonjour Alice !")
    assert reply.in_reply_to_id == status.id

    fav = await run(bob.status_favourite, status.id)
    assert fav.favourited and fav.favourites_count == 1
    boost = await run(bob.status_reblog, status.id)
    assert boost.reblog.id == status.id
    voted = await run(m.poll_vote, poll.poll.id, [1])
    assert voted.voted and voted.own_votes == [1]

    async def timeline_has_poll() -> bool:
        items = await run(m.timeline_home)
        return any(s.id == poll.id for s in items)

    await wait_for(timeline_has_poll, timeout=10)
    context = await run(m.status_context, status.id)
    assert [s.id for s in context.descendants] == [reply.id]

    async def notified() -> Any:
        items = await run(m.notifications)
        kinds = {n.type for n in items}
        return kinds >= {"favourite", "reblog", "mention"} and items

    notes = await wait_for(notified, timeout=10)
    assert {n.account.acct for n in notes} == {"bob"}

    # A community on the second instance: found through WebFinger, followed (= joined).
    found = await run(m.search_v2, f"cour-b@{other.domain}", resolve=True)
    assert found.accounts and found.accounts[0].group is True
    community = found.accounts[0]
    await run(m.account_follow, community.id)

    async def joined() -> bool:
        rels = await run(m.account_relationships, [community.id])
        return bool(rels[0].following)

    await wait_for(joined, timeout=10)
    posted = await other.c2s(
        "cour-b",
        cour_token,
        {**EVENT, "audience": cour, "to": [PUBLIC], "cc": [cour + "/followers"]},
    )
    assert posted.status_code == 201, posted.text
    event_uri = posted.json()["object"]["id"]

    async def event_in_home() -> Any:
        items = await run(m.timeline_home)
        return next((s for s in items if s.uri == event_uri), None)

    event = await wait_for(event_in_home, timeout=10)
    assert "Fête des voisins" in event.content and event.card is not None
    rsvp = await run(m.status_favourite, event.id)
    assert rsvp.favourited

    async def participant() -> bool:
        async with other.http() as c:
            r = await c.get(
                event_uri + "/participants",
                headers={
                    "Accept": "application/activity+json",
                    "Authorization": f"Bearer {cour_token}",
                },
            )
            return r.status_code == 200 and home.actor("alice") in r.text

    await wait_for(participant, timeout=10)

    deleted = await run(m.status_delete, status.id)
    assert deleted.id == status.id

    def gone() -> int:
        try:
            m.status(status.id)
        except Exception as exc:  # MastodonNotFoundError
            return int(getattr(exc, "args", [0, 0])[1])
        return 200

    assert await asyncio.to_thread(gone) == 404
