"""Issue 12: pages on the ActivityPub URLs (content negotiation), their meta tags, the
languages, the error pages, remote interaction, and the visibility probe."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from tests.rig import AS2, Instance
from tests.rig.peer import RecordingPeer

from .world import FOLLOWERS_SECRET, SECRET, build

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Head(HTMLParser):
    """The meta tags, alternate links and hrefs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.hrefs: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        if tag == "link":
            self.links.append(a)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


def parse(html: str) -> Head:
    h = Head()
    h.feed(html)
    return h


async def test_actor_and_object_urls_serve_html_to_browsers_and_as2_to_servers(
    instance: Instance,
) -> None:
    w = await build(instance)
    async with instance.http() as c:
        for url in (instance.actor("les-lilas"), w.ids["event"], w.ids["alert"]):
            page = await c.get(url, headers={"Accept": HTML})
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert "Accept" in page.headers["vary"]
            doc = await c.get(url, headers={"Accept": AS2})
            assert doc.headers["content-type"].startswith("application/activity+json")
            assert "Accept" in doc.headers["vary"] and doc.json()["id"] == url
            head = parse(page.text)
            alternates = [
                link["href"]
                for link in head.links
                if link.get("rel") == "alternate"
                and link.get("type") == "application/activity+json"
            ]
            assert alternates == [url]
        listing = await c.get(instance.actor("les-lilas") + "/events", headers={"Accept": HTML})
        assert "Fête des voisins" in listing.text and listing.headers["content-type"].startswith(
            "text/html"
        )
        feeds = parse((await c.get("/@les-lilas", headers={"Accept": HTML})).text).links
        types = {link.get("type") for link in feeds if link.get("rel") == "alternate"}
        assert {"text/calendar", "application/atom+xml", "application/activity+json"} <= types


async def test_event_opengraph_tags_carry_title_date_and_place(instance: Instance) -> None:
    w = await build(instance)
    async with instance.http() as c:
        page = await c.get(w.ids["event"], headers={"Accept": HTML, "Accept-Language": "fr"})
        head = parse(page.text)
        en = parse(
            (await c.get(w.ids["event"], headers={"Accept": HTML, "Accept-Language": "en"})).text
        )
        alert = parse((await c.get(w.ids["alert"], headers={"Accept": HTML})).text)
    assert head.lang == "fr" and en.lang == "en"
    assert head.meta["og:title"] == "Fête des voisins"
    assert head.meta["og:url"] == w.ids["event"]
    description = head.meta["og:description"]
    assert "vendredi 6 juin 2031, 19:00" in description and "Cour intérieure" in description
    assert "12 rue des Lilas" in description
    assert head.meta["event:start_time"] == "2031-06-06T19:00:00+02:00"
    assert (
        head.meta["twitter:card"] == "summary" and head.meta["twitter:title"] == "Fête des voisins"
    )
    assert head.meta["fediverse:creator"] == f"@alice@{instance.domain}"
    assert "Friday, June 6, 2031" in en.meta["og:description"]
    assert alert.meta["og:title"] == "Coupure d’eau" and "Severe" in alert.meta["og:description"]


async def test_languages_error_pages_and_the_stylesheet(instance: Instance) -> None:
    await build(instance)
    async with instance.http() as c:
        en = await c.get(
            "/@les-lilas", headers={"Accept": HTML, "Accept-Language": "en-GB,fr;q=0.5"}
        )
        assert en.headers["content-language"] == "en" and "Upcoming events" in en.text
        fr = await c.get("/@les-lilas?lang=fr", headers={"Accept": HTML, "Accept-Language": "en"})
        assert "Événements à venir" in fr.text and fr.cookies.get("lang") == "fr"
        sticky = await c.get("/", headers={"Accept": HTML, "Accept-Language": "en"})
        assert parse(sticky.text).lang == "fr"  # the switcher's cookie wins
        missing = await c.get("/objects/nope", headers={"Accept": HTML})
        assert missing.status_code == 404 and "Page introuvable" in missing.text
        assert 'href="/pages.css"' in missing.text
        api = await c.get("/objects/nope", headers={"Accept": AS2})
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
        css = await c.get("/pages.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        bad_page = await c.get("/actors/les-lilas/events?page=abc", headers={"Accept": HTML})
        assert bad_page.status_code == 400 and "<html" in bad_page.text


async def test_event_ics_and_paged_lists(instance: Instance) -> None:
    w = await build(instance)
    async with instance.http() as c:
        ics = await c.get(w.ids["event"] + ".ics")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        assert "DTSTART;TZID=Europe/Paris:20310606T190000" in ics.text
        secret = await c.get(w.ids["secret"] + ".ics")
        assert secret.status_code == 404
    token = w.tokens["alice"]
    for i in range(21):
        body = {
            "type": "Note",
            "kind": "News",
            "name": f"Brève {i}",
            "content": f"<p>Brève numéro {i}.</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "audience": w.lilas,
        }
        assert (await instance.c2s("alice", token, body)).status_code == 201
    async with instance.http() as c:
        first = parse((await c.get(w.lilas + "/news", headers={"Accept": HTML})).text)
        nexts = [h for h in first.hrefs if h.startswith("?after=")]
        assert len(nexts) == 1  # keyset paging, as the AS2 collections
        second = await c.get(w.lilas + "/news" + nexts[0], headers={"Accept": HTML})
        assert "?page=1" in parse(second.text).hrefs and "Compte rendu" in second.text
        assert "Brève 20" not in second.text and "Brève 0" in second.text


async def test_remote_interaction_prefers_fep_3b86_intents_and_refuses_foreign_targets(
    instance: Instance,
) -> None:
    w = await build(instance)
    async with RecordingPeer() as peer:
        peer.add_actor("/users/camille")
        peer.webfinger_links += [
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": peer.url("/s?uri={uri}"),
            },
            {"rel": "https://w3id.org/fep/3b86/Follow", "template": peer.url("/follow?o={object}")},
            {"rel": "https://w3id.org/fep/3b86/Join", "template": peer.url("/join?o={object}")},
        ]
        handle = f"@camille@127.0.0.1:{peer.port}"
        async with instance.http() as c:
            for target, path in (
                (w.lilas, "/follow?o="),
                (w.ids["event"], "/join?o="),
                (w.ids["poll"], "/s?uri="),
            ):
                r = await c.post("/interact", data={"uri": target, "handle": handle})
                assert r.status_code == 303, r.text
                assert r.headers["location"] == peer.url(path + quote(target, safe=""))
            for foreign in ("https://evil.example/x", w.ids["secret"], ""):
                r = await c.post("/interact", data={"uri": foreign, "handle": handle})
                assert r.status_code == 400
            r = await c.post("/interact", data={"uri": w.lilas, "handle": "not a handle"})
            assert r.status_code == 400 and 'role="alert"' in r.text


async def _crawl(inst: Instance, start: list[str], headers: dict[str, str]) -> dict[str, str]:
    """Every page reachable from `start` on this instance (bounded), as this viewer."""
    seen: dict[str, str] = {}
    queue = list(start)
    origin = inst.base_url
    async with httpx.AsyncClient(timeout=10.0, headers=headers) as c:
        while queue and len(seen) < 300:
            url = queue.pop(0).split("#", 1)[0]
            if url in seen or not url.startswith(origin):
                continue
            r = await c.get(url)
            seen[url] = r.text
            if "html" not in r.headers.get("content-type", ""):
                continue
            for href in parse(r.text).hrefs:
                nxt = urljoin(url, href)
                if urlsplit(nxt).netloc == urlsplit(origin).netloc and nxt not in seen:
                    queue.append(nxt)
    return seen


async def test_probe_no_members_or_followers_only_text_for_anonymous_or_non_members(
    instance: Instance,
) -> None:
    w = await build(instance)
    start = [
        instance.base_url + "/",
        w.ids["secret"],
        w.ids["followers_secret"],
        *(w.ids[k] for k in ("event", "offer", "alert", "poll", "report", "news")),
        instance.actor("alice"),
    ]
    viewers: dict[str, dict[str, Any]] = {
        "anonymous": {"Accept": HTML},
        "non-member": {"Accept": HTML, "Authorization": f"Bearer {w.tokens['bruno']}"},
        "member": {"Accept": HTML, "Authorization": f"Bearer {w.tokens['alice']}"},
    }
    found: dict[str, dict[str, str]] = {}
    for name, headers in viewers.items():
        found[name] = await _crawl(instance, start, headers)
        assert len(found[name]) > 15, name  # the crawl really went through the pages
    for name in ("anonymous", "non-member"):
        for url, body in found[name].items():
            assert SECRET not in body, (name, url)
            assert FOLLOWERS_SECRET not in body, (name, url)
            assert "Note aux membres" not in body, (name, url)
    member = "\n".join(found["member"].values())
    assert SECRET in member and "Note aux membres" in member
    assert FOLLOWERS_SECRET in member  # alice wrote it
    # After the member's crawl, a visitor again: the shared page cache holds nothing secret.
    for url, body in (await _crawl(instance, start, viewers["anonymous"])).items():
        assert SECRET not in body and FOLLOWERS_SECRET not in body, url
    for entry in instance.rt.caches["render_cache"]._entries.values():
        body = entry.rendered.body.decode(errors="replace")
        assert SECRET not in body and FOLLOWERS_SECRET not in body
