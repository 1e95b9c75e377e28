"""Two instances on loopback: follow by handle, Accept, C2S post, delivery, GET inbox."""

from __future__ import annotations

from typing import Any

from tests.rig import AS2, wait_for


async def inbox_items(inst: Any, slug: str, token: str) -> list[dict[str, Any]]:
    async with inst.http() as c:
        r = await c.get(
            f"/actors/{slug}/inbox?page=1",
            headers={"Authorization": f"Bearer {token}", "Accept": AS2},
        )
        assert r.status_code == 200, r.text
        return r.json()["orderedItems"]


async def test_resident_on_b_follows_community_on_a_and_receives_its_post(
    instance_factory: Any,
) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.community("les-lilas", "Résidence Les Lilas")
    await b.person("alice")
    lilas_token = await a.token("les-lilas")
    alice_token = await b.token("alice")

    async with b.http() as c:
        r = await c.post(
            "/actors/alice/outbox",
            json={"type": "Follow", "object": f"acct:les-lilas@{a.domain}"},
            headers={"Authorization": f"Bearer {alice_token}", "Content-Type": AS2},
        )
        assert r.status_code == 201, r.text

    async def accepted() -> bool:
        items = await inbox_items(b, "alice", alice_token)
        return any(i["type"] == "Accept" for i in items)

    await wait_for(accepted, timeout=10)

    async with a.http() as c:
        r = await c.post(
            "/actors/les-lilas/outbox",
            json={
                "type": "Note",
                "content": "<p>Réunion des résidents jeudi 19h.</p>",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [a.actor("les-lilas") + "/followers"],
            },
            headers={"Authorization": f"Bearer {lilas_token}", "Content-Type": AS2},
        )
        assert r.status_code == 201, r.text
        assert r.headers["location"] == r.json()["id"]
        note_id = r.json()["object"]["id"]

    async def got_note() -> bool:
        items = await inbox_items(b, "alice", alice_token)
        return any(i["type"] == "Create" and i["object"]["id"] == note_id for i in items)

    await wait_for(got_note, timeout=10)


async def c2s(inst: Any, slug: str, token: str, body: dict[str, Any]) -> Any:
    async with inst.http() as c:
        return await c.post(
            f"/actors/{slug}/outbox",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": AS2},
        )


async def run_cli(inst: Any, *args: str) -> Any:
    """Run the CLI without blocking the event loop (the instances live in this loop)."""
    import asyncio
    import os
    import subprocess
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fedivoisin",
        *args,
        "--data-dir",
        str(inst.settings.data_dir),
        "--base-url",
        inst.base_url,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "FEDIVOISIN_ALLOW_PRIVATE_NETWORKS": "1"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return subprocess.CompletedProcess(args, proc.returncode or 0, out.decode(), err.decode())


async def test_resident_approves_a_follow_by_cli_and_rejects_another(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.person("marie")  # residents approve their followers
    await b.person("paul")
    await b.person("eve")
    paul_t, eve_t, marie_t = await b.token("paul"), await b.token("eve"), await a.token("marie")
    assert (
        await c2s(b, "paul", paul_t, {"type": "Follow", "object": a.actor("marie")})
    ).status_code == 201
    assert (
        await c2s(b, "eve", eve_t, {"type": "Follow", "object": f"acct:marie@{a.domain}"})
    ).status_code == 201

    async def two_pending() -> bool:
        r = await run_cli(a, "follows", "pending", "marie")
        return r.stdout.count("\n") == 2

    await wait_for(two_pending, timeout=10)
    r = await run_cli(a, "follows", "approve", "marie", b.actor("paul"))
    assert r.returncode == 0, r.stderr
    r = await run_cli(a, "follows", "reject", "marie", f"eve@{b.domain}")
    assert r.returncode == 0, r.stderr

    async def answered() -> bool:
        p = await inbox_items(b, "paul", paul_t)
        e = await inbox_items(b, "eve", eve_t)
        return any(i["type"] == "Accept" for i in p) and any(i["type"] == "Reject" for i in e)

    await wait_for(answered, timeout=15)
    async with a.http() as c:
        r = await c.get("/actors/marie/followers", headers={"Accept": AS2})
        assert r.json()["totalItems"] == 1
    # A followers-only post reaches paul only.
    r = await c2s(
        a,
        "marie",
        marie_t,
        {"type": "Note", "content": "Pour mes abonnés", "to": [a.actor("marie") + "/followers"]},
    )
    assert r.status_code == 201
    note = r.json()["object"]["id"]

    async def paul_got_it() -> bool:
        return any(
            i["type"] == "Create" and i["object"]["id"] == note
            for i in await inbox_items(b, "paul", paul_t)
        )

    await wait_for(paul_got_it, timeout=10)
    assert not any(i["type"] == "Create" for i in await inbox_items(b, "eve", eve_t))
    # Anonymous GET of a followers-only object is a 404, never a leak.
    r = await a.get_json(note)
    assert r.status_code == 404


async def test_undo_follow_removes_the_follower_on_the_other_side(instance_factory: Any) -> None:
    a = await instance_factory()
    b = await instance_factory()
    await a.community("les-lilas")
    await b.person("alice")
    t = await b.token("alice")
    r = await c2s(b, "alice", t, {"type": "Follow", "object": a.actor("les-lilas")})
    follow_id = r.json()["id"]

    async def count() -> int:
        async with a.http() as c:
            return int(
                (await c.get("/actors/les-lilas/followers", headers={"Accept": AS2})).json()[
                    "totalItems"
                ]
            )

    await wait_for(lambda: _eq(count, 1), timeout=10)
    r = await c2s(b, "alice", t, {"type": "Undo", "object": follow_id})
    assert r.status_code == 201, r.text
    await wait_for(lambda: _eq(count, 0), timeout=10)


async def _eq(fn: Any, value: int) -> bool:
    return bool(await fn() == value)


async def test_c2s_rejects_bad_requests_with_clear_problems(instance_factory: Any) -> None:
    a = await instance_factory()
    await a.person("alice")
    await a.person("bob")
    t = await a.token("alice")
    async with a.http() as c:
        r = await c.post(
            "/actors/alice/outbox", json={"type": "Note"}, headers={"Content-Type": AS2}
        )
        assert r.status_code == 401
        r = await c.post(
            "/actors/alice/outbox",
            json={"type": "Note"},
            headers={"Content-Type": AS2, "Authorization": "Bearer nope"},
        )
        assert r.status_code == 401
        r = await c.post(
            "/actors/bob/outbox",
            json={"type": "Note"},
            headers={"Content-Type": AS2, "Authorization": f"Bearer {t}"},
        )
        assert r.status_code == 403
        for body, field in (
            ({"content": "x"}, "type"),
            ({"type": "Dance"}, "type"),
            ({"type": "Create", "object": "nope"}, "object"),
            ({"type": "Create", "object": {"type": "Spaceship"}}, "object.type"),
            ({"type": "Delete"}, "object"),
        ):
            r = await c.post(
                "/actors/alice/outbox",
                json=body,
                headers={"Content-Type": AS2, "Authorization": f"Bearer {t}"},
            )
            assert r.status_code == 400, (body, r.text)
            assert r.json()["field"] == field, r.text
        r = await c.post(
            "/actors/alice/outbox",
            content=b"{not json",
            headers={"Content-Type": AS2, "Authorization": f"Bearer {t}"},
        )
        assert r.status_code == 400
        r = await c.post(
            "/actors/alice/outbox",
            content=b"x",
            headers={"Content-Type": "text/plain", "Authorization": f"Bearer {t}"},
        )
        assert r.status_code == 415


async def test_outbox_lists_public_to_anyone_and_everything_to_the_owner(
    instance_factory: Any,
) -> None:
    a = await instance_factory()
    await a.person("alice")
    t = await a.token("alice")
    await c2s(
        a,
        "alice",
        t,
        {
            "type": "Note",
            "content": "public",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    )
    r = await c2s(
        a,
        "alice",
        t,
        {"type": "Note", "content": "private", "to": [a.actor("alice") + "/followers"]},
    )
    obj = r.json()["object"]
    assert obj["id"].startswith(a.base_url + "/objects/")
    assert obj["attributedTo"] == a.actor("alice") and "published" in obj
    async with a.http() as c:
        anon = (await c.get("/actors/alice/outbox?page=1", headers={"Accept": AS2})).json()
        mine = (
            await c.get(
                "/actors/alice/outbox?page=1",
                headers={"Accept": AS2, "Authorization": f"Bearer {t}"},
            )
        ).json()
        assert [i["object"]["content"] for i in anon["orderedItems"]] == ["public"]
        assert [i["object"]["content"] for i in mine["orderedItems"]] == ["private", "public"]
        # The public object and its activity dereference at their ids.
        pub = anon["orderedItems"][0]
        assert (await c.get(pub["id"], headers={"Accept": AS2})).status_code == 200
        assert (await c.get(pub["object"]["id"], headers={"Accept": AS2})).json()[
            "content"
        ] == "public"
        # The owner sees the private one with its token.
        r = await c.get(obj["id"], headers={"Accept": AS2, "Authorization": f"Bearer {t}"})
        assert r.status_code == 200 and r.headers["cache-control"].startswith("private")
