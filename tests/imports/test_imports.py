"""Imports on a live instance: feeds as news, calendars as events, ETag / 304, broken sources,
the API's checks, and the scheduler driven by an injected clock."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from fedivoisin.cli import main
from fedivoisin.clock import FrozenClock
from fedivoisin.outbox.import_worker import ImportWorker
from fedivoisin.protocol.addressing import as_list
from fedivoisin.store import imports as import_store
from tests.rig import Instance, free_port, wait_for
from tests.rig.peer import RecordingPeer

from .helpers import (
    ATOM_TYPE,
    ICS_TYPE,
    JSON_FEED_TYPE,
    RSS_TYPE,
    THREE_EVENTS,
    calendar,
    follow,
    objects_of,
    received,
    rss,
)


async def api(
    instance: Any, method: str, path: str, token: str | None, body: Any = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with instance.http() as c:
        return await c.request(method, path, json=body, headers=headers)


async def subscribe(instance: Any, token: str, url: str, as_: str) -> dict[str, Any]:
    r = await api(
        instance,
        "POST",
        "/api/v1/imports",
        token,
        {"community": "lilas", "url": url, "as": as_, "every": "15m"},
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def run(instance: Any, token: str, import_id: str) -> dict[str, Any]:
    r = await api(instance, "POST", f"/api/v1/imports/{import_id}/run", token)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def cli_list(instance: Any, capsys: Any) -> str:
    """`fedivoisin import list`, as an admin types it (in a thread: it runs its own loop)."""
    args = ["import", "list", "--data-dir", str(instance.settings.data_dir)]
    assert await asyncio.to_thread(main, [*args, "--base-url", instance.base_url]) == 0
    out: str = capsys.readouterr().out
    return out


OPENAPI = Path(__file__).parents[2] / "fedivoisin/web/openapi/050_imports.json"


def matches_openapi(name: str, value: Any) -> None:
    """The answer has the shape the OpenAPI fragment promises."""
    fragment = json.loads(OPENAPI.read_text())
    schema = {"$ref": f"#/components/schemas/{name}", "components": fragment["components"]}
    jsonschema.Draft202012Validator(schema).validate(value)


SOURCE_SLUG = "import-127-0-0-1-{port}"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            RSS_TYPE,
            rss(
                ("n1", "Ravalement", "<p>Du 2 au 6 juin</p>", "Mon, 01 Jun 2026 10:00:00 GMT"),
                ("n2", "Collecte", "<p>Mardi</p>", "Tue, 02 Jun 2026 10:00:00 GMT"),
            ),
        ),
        (
            ATOM_TYPE,
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>M</title>'
            b'<entry><id>urn:n1</id><title>Ravalement</title><content type="html">'
            b"&lt;p&gt;Du 2 au 6 juin&lt;/p&gt;</content><updated>2026-06-01T10:00:00Z"
            b"</updated></entry><entry><id>urn:n2</id><title>Collecte</title>"
            b"<summary>Mardi</summary><updated>2026-06-02T10:00:00Z</updated></entry>"
            b"</feed>",
        ),
        (
            JSON_FEED_TYPE,
            json.dumps(
                {
                    "version": "https://jsonfeed.org/version/1.1",
                    "title": "M",
                    "items": [
                        {
                            "id": "n1",
                            "title": "Ravalement",
                            "content_html": "<p>Du 2 au 6 juin</p>",
                        },
                        {"id": "n2", "title": "Collecte", "content_text": "Mardi"},
                    ],
                }
            ).encode(),
        ),
    ],
    ids=["rss", "atom", "json-feed"],
)
async def test_a_feed_becomes_news_announced_by_the_community(
    instance: Any, content_type: str, body: bytes
) -> None:
    await instance.community("lilas")
    token = await instance.token("lilas")
    async with RecordingPeer() as peer:
        await follow(peer, instance, "lilas")
        url = peer.serve("/feed", body, content_type=content_type)
        imp = await subscribe(instance, token, url, "news")
        source = instance.actor(SOURCE_SLUG.format(port=peer.port))
        assert imp["source_actor"] == source and imp["status"]["state"] == "never fetched"
        # Fetched at once by the server's scheduler (woken by the API), or by this call.
        done = await run(instance, token, imp["id"])
        assert done["status"]["state"] == "ok" and done["status"]["items"] == 2
        matches_openapi("Import", done)
        await wait_for(lambda: _count(peer, source, "Create", 2))
        news = objects_of(peer, source, "Create")
        assert sorted(n["name"] for n in news) == ["Collecte", "Ravalement"]
        assert {n["type"] for n in news} == {"Article"} and {n["kind"] for n in news} == {"News"}
        assert all(instance.actor("lilas") in as_list(n["audience"]) for n in news)
        # The community announces them (memberRole: the source's title).
        lilas = instance.actor("lilas")
        announces = await wait_for(lambda: _count(peer, lilas, "Announce", 2))
        assert announces
        assert {p.json()["memberRole"] for p in peer.posts if p.json()["type"] == "Announce"} == {
            "source"
        }
        # A re-fetch of the same feed federates nothing.
        again = await run(instance, token, imp["id"])
        assert again["status"]["last_result"] == "0 new, 0 updated, 0 deleted, 0 skipped"
        r = await instance.get_json(instance.base_url + "/actors/lilas/news")
        assert r.json()["totalItems"] == 2
    assert received(peer, source) == {"Create": 2}


async def _count(peer: RecordingPeer, sender: str, type_: str, n: int) -> bool:
    return received(peer, sender)[type_] >= n


async def test_etag_gives_304_and_nothing_happens(instance: Any) -> None:
    await instance.community("lilas")
    token = await instance.token("lilas")
    async with RecordingPeer() as peer:
        url = peer.serve("/agenda.ics", calendar(*THREE_EVENTS), content_type=ICS_TYPE, etag=True)
        imp = await subscribe(instance, token, url, "events")
        first = await run(instance, token, imp["id"])  # the scheduler's fetch, then this one
        assert first["status"]["items"] == 3 and first["status"]["last_error"] is None
        second = await run(instance, token, imp["id"])
        assert second["status"]["state"] == "not modified"
        assert second["status"]["items"] == 3 and second["status"]["last_error"] is None
        asked = [g for g in peer.gets if g.path == "/agenda.ics"]
        assert "if-none-match" not in asked[0].headers
        assert asked[1].headers["if-none-match"] == peer.documents["/agenda.ics"].etag
        assert asked[1].headers["accept"].startswith("text/calendar")
        # A changed calendar has a new ETag: fetched and synced again.
        peer.serve("/agenda.ics", calendar(*THREE_EVENTS[:2]), content_type=ICS_TYPE, etag=True)
        third = await run(instance, token, imp["id"])
        assert third["status"]["last_result"] == "0 new, 0 updated, 1 deleted, 0 skipped"


async def test_broken_sources_give_a_clear_status_never_a_crash(
    tmp_path: Path, capsys: Any
) -> None:
    async with Instance(tmp_path / "a", import_timeout=0.5, import_max_body=10_000) as instance:
        await instance.community("lilas")
        token = await instance.token("lilas")
        async with RecordingPeer() as peer:
            cases = {
                "/500.ics": (b"oops", 500, ICS_TYPE, 0.0, "HTTP 500"),
                "/404.xml": (b"", 404, RSS_TYPE, 0.0, "HTTP 404"),
                "/bad.ics": (
                    b"BEGIN:VCALENDAR\r\nnot ical",
                    200,
                    ICS_TYPE,
                    0.0,
                    "not an iCalendar document",
                ),
                "/bad.xml": (b"<html><p>moved</p></html>", 200, RSS_TYPE, 0.0, "not a feed"),
                "/big.ics": (b"X" * 20_000, 200, ICS_TYPE, 0.0, "too large"),
                "/slow.ics": (calendar(*THREE_EVENTS), 200, ICS_TYPE, 3.0, "no answer within"),
            }
            ids = {}
            for path, (body, status, ctype, delay, _) in cases.items():
                url = peer.serve(path, body, status=status, content_type=ctype, delay=delay)
                as_ = "events" if path.endswith(".ics") else "news"
                ids[path] = (await subscribe(instance, token, url, as_))["id"]
            closed = f"http://127.0.0.1:{free_port()}/gone.ics"
            ids["closed"] = (await subscribe(instance, token, closed, "events"))["id"]
            cases["closed"] = (b"", 0, "", 0.0, "cannot connect")
            started = time.monotonic()
            for path, import_id in ids.items():
                st = (await run(instance, token, import_id))["status"]
                assert st["state"] == "error", (path, st)
                assert cases[path][4] in st["last_error"], (path, st)
                assert st["items"] == 0 and st["last_success"] is None
            assert time.monotonic() - started < 8  # the timeout is the setting, not 15 s
            # The server is fine, and the CLI shows each import's status.
            r = await instance.get_json(instance.base_url + "/actors/lilas")
            assert r.status_code == 200
        out = await cli_list(instance, capsys)
        assert out.count("status: error") == len(ids)
        assert "last error: GET http://127.0.0.1" in out and "HTTP 500" in out
        assert "not an iCalendar document" in out


async def test_the_api_checks_token_scope_and_community(instance: Any) -> None:
    await instance.community("lilas")
    await instance.community("tilleuls")
    lilas, tilleuls = await instance.token("lilas"), await instance.token("tilleuls")
    body = {"community": "lilas", "url": "http://127.0.0.1:9/a.ics", "as": "events"}
    assert (await api(instance, "POST", "/api/v1/imports", None, body)).status_code == 401
    r = await api(instance, "POST", "/api/v1/imports", tilleuls, body)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    for bad, field in (
        ({**body, "as": "alerts"}, "as"),
        ({**body, "every": "10s"}, "every"),
        ({**body, "url": "ftp://x"}, "url"),
        ({**body, "url": 3}, "url"),
    ):
        r = await api(instance, "POST", "/api/v1/imports", lilas, bad)
        assert r.status_code == 400 and r.json()["field"] == field, r.text
    created = (await api(instance, "POST", "/api/v1/imports", lilas, body)).json()
    assert created["every"] == 900.0
    matches_openapi("Import", created)
    dup = await api(instance, "POST", "/api/v1/imports", lilas, body)
    assert dup.status_code == 409
    listed = await api(instance, "GET", "/api/v1/imports?community=lilas", lilas)
    assert [i["id"] for i in listed.json()] == [created["id"]]
    assert (
        await api(instance, "GET", "/api/v1/imports?community=lilas", tilleuls)
    ).status_code == 403
    gone = await api(instance, "DELETE", f"/api/v1/imports/{created['id']}", tilleuls)
    assert gone.status_code == 404
    for odd in ("99999999999999999999999", "1e3", "-1", "%D9%A1"):
        assert (await api(instance, "POST", f"/api/v1/imports/{odd}/run", lilas)).status_code == 404
    gone = await api(instance, "DELETE", f"/api/v1/imports/{created['id']}", lilas)
    assert gone.status_code == 204
    assert (await api(instance, "GET", "/api/v1/imports?community=lilas", lilas)).json() == []


async def test_the_scheduler_fetches_what_is_due(tmp_path: Path) -> None:
    clock = FrozenClock(time.time())
    async with Instance(tmp_path / "a", clock=clock) as instance:
        await instance.community("lilas")
        token = await instance.token("lilas")
        async with RecordingPeer() as peer:
            url = peer.serve("/agenda.ics", calendar(*THREE_EVENTS), content_type=ICS_TYPE)
            imp = await subscribe(instance, token, url, "events")
            worker = ImportWorker(instance.rt, interval=3600)
            rt = instance.rt
            await wait_for(lambda: _fetched(rt, int(imp["id"])))  # the server's own worker
            assert await worker.run_once() == 0  # not due again before 15 minutes
            clock.advance(899)
            assert await worker.run_once() == 0
            peer.serve("/agenda.ics", calendar(*THREE_EVENTS[1:]), content_type=ICS_TYPE)
            clock.advance(2)
            assert await worker.run_once() == 1
            row = await import_store.get(rt.store, int(imp["id"]))
            assert row is not None and row.items == 2 and row.last_result is not None
            assert row.last_result.startswith("0 new, 0 updated, 1 deleted")
            assert len([g for g in peer.gets if g.path == "/agenda.ics"]) == 2


async def _fetched(rt: Any, import_id: int) -> bool:
    row = await import_store.get(rt.store, import_id)
    return row is not None and row.last_status == "ok"


async def test_a_cancelled_event_is_an_update_with_the_cancelled_status(instance: Any) -> None:
    await instance.community("lilas")
    token = await instance.token("lilas")
    async with RecordingPeer() as peer:
        await follow(peer, instance, "lilas")
        url = peer.serve("/agenda.ics", calendar(*THREE_EVENTS), content_type=ICS_TYPE)
        imp = await subscribe(instance, token, url, "events")
        source = imp["source_actor"]
        await run(instance, token, imp["id"])
        await wait_for(lambda: _count(peer, source, "Create", 3))
        cancelled = THREE_EVENTS[0].replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT")
        peer.serve("/agenda.ics", calendar(cancelled, *THREE_EVENTS[1:]), content_type=ICS_TYPE)
        status = (await run(instance, token, imp["id"]))["status"]
        assert status["last_result"] == "0 new, 1 updated, 0 deleted, 0 skipped"
        await wait_for(lambda: _count(peer, source, "Update", 1))
        (update,) = objects_of(peer, source, "Update")
        assert update["eventStatus"] == "EventCancelled" and update["status"] == "CANCELLED"
        assert update["name"].startswith("ANNULÉ") and update["name"].endswith("Fête des voisins")
        assert received(peer, source) == {"Create": 3, "Update": 1}
        r = await instance.get_json(instance.base_url + "/actors/lilas/events?page=1")
        assert "Fête des voisins" not in {e["name"] for e in r.json()["orderedItems"]}


async def test_a_crash_between_mapping_and_create_publishes_once_under_the_same_id(
    instance: Any,
) -> None:
    await instance.community("lilas")
    token = await instance.token("lilas")
    async with RecordingPeer() as peer:
        url = peer.serve("/agenda.ics", calendar(*THREE_EVENTS[:1]), content_type=ICS_TYPE)
        imp = await subscribe(instance, token, url, "events")
        await run(instance, token, imp["id"])
        rt = instance.rt
        (item,) = (await import_store.items(rt.store, int(imp["id"]))).values()
        # As if the process had stopped after recording a new item's id, before its Create.
        planned = instance.rt.urls.object("planned-before-the-crash")
        await import_store.map_item(rt.store, int(imp["id"]), "brocante@mairie", planned, None)
        # ... and after publishing an item's Create but before recording its hash.
        await rt.store.execute("UPDATE import_items SET hash = NULL WHERE uid = ?", (item.uid,))
        peer.serve("/agenda.ics", calendar(*THREE_EVENTS[:2]), content_type=ICS_TYPE)
        status = (await run(instance, token, imp["id"]))["status"]
        assert status["last_result"] == "1 new, 1 updated, 0 deleted, 0 skipped"
        items = await import_store.items(rt.store, int(imp["id"]))
        assert items["brocante@mairie"].object_uri == planned
        assert items[item.uid].object_uri == item.object_uri
        r = await instance.get_json(instance.base_url + "/actors/lilas/events?page=1")
        assert sorted(e["id"] for e in r.json()["orderedItems"]) == sorted(
            [planned, item.object_uri]
        )


async def test_a_platform_app_manages_imports_of_the_communities_granted_to_it(
    instance: Any,
) -> None:
    from tests.bridge.oauth_helpers import client_token, grant, register

    await instance.community("lilas")
    await instance.community("tilleuls")
    app = await register(instance, scopes="read write")
    await grant(instance, app["client_id"], "lilas")
    writer = await client_token(instance, app, scope="read write")
    reader = await client_token(instance, app, scope="read")
    body = {"community": "lilas", "url": "http://127.0.0.1:9/agenda.ics", "as": "events"}
    r = await api(instance, "POST", "/api/v1/imports", reader, body)
    assert r.status_code == 403 and "'write'" in r.json()["detail"]
    r = await api(instance, "POST", "/api/v1/imports", writer, {**body, "community": "tilleuls"})
    assert r.status_code == 403 and "tilleuls" in r.json()["detail"]
    r = await api(instance, "POST", "/api/v1/imports", writer, body)
    assert r.status_code == 201, r.text
    listed = await api(instance, "GET", "/api/v1/imports?community=lilas", writer)
    assert [i["url"] for i in listed.json()] == [body["url"]]


async def test_the_cli_adds_runs_lists_and_removes(
    instance: Any, capsys: Any, monkeypatch: Any
) -> None:
    await instance.community("lilas")
    monkeypatch.setenv("FEDIVOISIN_ALLOW_PRIVATE_NETWORKS", "1")
    common = ["--data-dir", str(instance.settings.data_dir), "--base-url", instance.base_url]

    async def cli(*args: str) -> tuple[int, str]:
        code = await asyncio.to_thread(main, [*args, *common])
        out = capsys.readouterr()
        return code, out.out + out.err

    async with RecordingPeer() as peer:
        url = peer.serve("/agenda.ics", calendar(*THREE_EVENTS), content_type=ICS_TYPE)
        code, out = await cli("import", "add", "lilas", url, "--as", "events", "--every", "2h")
        assert code == 0 and "imports " + url + " as events every 2h" in out
        import_id = out.split(":", 1)[0].removeprefix("import ")
        code, out = await cli("import", "run", import_id)
        assert code == 0 and ("ok (3 new" in out or "ok (0 new" in out)  # the server may be first
        code, out = await cli("import", "list", "lilas")
        assert "events\tevery 2h\t" + url in out and "items: 3" in out and "status: ok" in out
        code, out = await cli("import", "add", "lilas", url, "--as", "events")
        assert code == 2 and "already imports" in out
        code, out = await cli("import", "add", "lilas", url + "2", "--as", "events", "--every", "5")
        assert code == 2 and "between 1 minute and 7 days" in out
        code, out = await cli("import", "remove", import_id)
        assert code == 0 and "what it published stays" in out
        code, out = await cli("import", "list")
        assert out.strip() == "no imports"
        code, out = await cli("import", "run", import_id)
        assert code == 2 and f"no import {import_id}" in out
