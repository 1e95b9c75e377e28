"""Residents signed in on this instance take part from the pages: sign-in with issue 10's
session, then RSVP, vote and join through CSRF-protected forms (the C2S activities)."""

from __future__ import annotations

import re

import httpx

from fedivoisin.protocol.passwords import hash_password
from fedivoisin.store import events as event_store
from fedivoisin.store import members as member_store
from fedivoisin.store import oauth as oauth_store
from fedivoisin.store import polls as poll_store
from tests.rig import Instance, wait_for

from .world import build

HTML = {"Accept": "text/html"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


async def signed_in(inst: Instance, slug: str, password: str) -> httpx.AsyncClient:
    actor = await inst.local(slug)
    await oauth_store.set_password(inst.rt.store, actor, hash_password(password), 0.0)
    c = httpx.AsyncClient(base_url=inst.base_url, timeout=10.0)
    form = await c.get("/signin?next=/@les-lilas", headers=HTML)
    assert form.status_code == 200
    r = await c.post(
        "/signin",
        data={
            "csrf": csrf_of(form.text),
            "next": "/@les-lilas",
            "username": slug,
            "password": password,
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/@les-lilas", r.text
    return c


async def test_signed_in_resident_rsvps_votes_and_joins_with_csrf_forms(
    instance: Instance,
) -> None:
    w = await build(instance)
    async with httpx.AsyncClient(base_url=instance.base_url) as anon:
        r = await anon.post("/signin", data={"username": "bruno", "password": "x" * 12})
        assert r.status_code == 403  # no CSRF token: refused before any password check
    c = await signed_in(instance, "bruno", "correct horse battery")
    try:
        bruno = instance.actor("bruno")
        community = await c.get("/@les-lilas", headers=HTML)
        assert (
            "Connecté·e : Bruno" in community.text and "Rejoindre la communauté" in community.text
        )
        assert community.headers["cache-control"] == "private, no-store"
        token = csrf_of(community.text)

        # Without the token (a cross-site form): refused, nothing happens.
        forged = await c.post("/act", data={"uri": w.lilas, "action": "join"})
        assert forged.status_code == 403
        r = await c.post("/act", data={"csrf": token, "uri": w.lilas, "action": "join"})
        assert r.status_code == 303 and r.headers["location"].startswith("/actors/les-lilas")

        async def member() -> bool:
            return await member_store.is_member(instance.rt.store, w.lilas, bruno)

        await wait_for(member)
        page = await c.get("/@les-lilas", headers=HTML)
        assert "Vous êtes membre de cette communauté." in page.text
        assert "Note aux membres" in page.text  # now a member: members-only posts shown

        # RSVP: bruno joined the event in build(); he leaves, then comes back.
        event = await c.get(w.ids["event"], headers=HTML)
        assert "Je ne viens plus" in event.text
        r = await c.post("/act", data={"csrf": token, "uri": w.ids["event"], "action": "leave"})
        assert r.status_code == 303

        async def left() -> bool:
            return await event_store.get(instance.rt.store, w.ids["event"], bruno) is None

        await wait_for(left)  # the organiser's inbox handles the Leave
        r = await c.post("/act", data={"csrf": token, "uri": w.ids["event"], "action": "join"})

        async def joined() -> bool:
            p = await event_store.get(instance.rt.store, w.ids["event"], bruno)
            return p is not None and p.state == "accepted"

        await wait_for(joined)

        # Vote on the poll.
        poll = await c.get(w.ids["poll"], headers=HTML)
        assert 'type="radio"' in poll.text and "Votre vote" in poll.text
        r = await c.post(
            "/act",
            data={"csrf": token, "uri": w.ids["poll"], "action": "vote", "choice": "Jeudi"},
        )
        assert r.status_code == 303

        async def voted() -> bool:
            return await poll_store.has_voted(instance.rt.store, w.ids["poll"], bruno)

        await wait_for(voted)
        assert "Vous avez voté." in (await c.get(w.ids["poll"], headers=HTML)).text

        # Signing out ends the session.
        r = await c.post("/signout", data={"csrf": token})
        assert r.status_code == 303
        after = await c.get("/@les-lilas", headers=HTML)
        assert "Se connecter" in after.text and "Note aux membres" not in after.text
    finally:
        await c.aclose()


async def test_wrong_password_and_foreign_redirects(instance: Instance) -> None:
    await build(instance)
    actor = await instance.local("bruno")
    await oauth_store.set_password(
        instance.rt.store, actor, hash_password("correct horse battery"), 0.0
    )
    async with httpx.AsyncClient(base_url=instance.base_url) as c:
        form = await c.get("/signin?next=https://evil.example/", headers=HTML)
        assert 'name="next" value="/"' in form.text  # never an open redirect
        r = await c.post(
            "/signin",
            data={"csrf": csrf_of(form.text), "username": "bruno", "password": "wrong one!!"},
        )
        assert r.status_code == 401 and "Identifiant ou mot de passe incorrect." in r.text
        assert 'role="alert"' in r.text
