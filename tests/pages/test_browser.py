"""Issue 12 acceptance: every page type opened in headless Chromium, read as a person
reads it, checked by axe-core (no serious or critical violation), and screenshotted."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.rig import Instance
from tests.rig.peer import RecordingPeer

from .browser import axe_violations, browser_page, screenshot, skip_browser
from .world import World, build

pytestmark = skip_browser


def pages(w: World) -> dict[str, str]:
    base = w.inst.base_url
    return {
        "home": base + "/",
        "community": base + "/@les-lilas",
        "event": w.ids["event"],
        "offer": w.ids["offer"],
        "alert": w.ids["alert"],
        "poll": w.ids["poll"],
        "report": w.ids["report"],
        "news": w.ids["news"],
        "profile": base + "/@syndic",
        "list": base + "/actors/les-lilas/events",
        "not-found": base + "/objects/does-not-exist",
    }


async def test_every_page_type_in_chromium_reads_right_and_passes_axe(
    instance: Instance, tmp_path: Path
) -> None:
    w = await build(instance)
    async with browser_page("fr-FR") as page:
        seen: dict[str, str] = {}
        for name, url in pages(w).items():
            response = await page.goto(url)
            assert response is not None
            assert response.status == (404 if name == "not-found" else 200), name
            assert await page.get_attribute("html", "lang") == "fr"
            seen[name] = await page.inner_text("main")
            await screenshot(page, tmp_path, name)
            bad = await axe_violations(page)
            assert not bad, (name, [(v["id"], v["help"]) for v in bad])
            assert await page.locator("header").count() == 1
            assert await page.locator("main").count() == 1

        # The event: its date in Europe/Paris (the browser runs in New York), places left.
        assert "vendredi 6 juin 2031, 19:00" in seen["event"]
        assert "59 sur 60" in seen["event"]  # one participant (bruno) of 60 places
        assert "Voir sur OpenStreetMap" in seen["event"]
        assert "Organisé par" in seen["event"] and "Alice Martin" in seen["event"]
        # The community page: the alert banner first, highlighted by severity.
        banner = page.locator("div.banner[role=alert]")
        await page.goto(w.inst.base_url + "/@les-lilas")
        assert await banner.count() == 1
        assert "Grave" in await banner.inner_text()
        assert "Coupure d’eau" in await banner.inner_text()
        sections = await page.locator("main h2").all_inner_texts()
        assert sections[0] == "Alertes en cours"
        assert "Fête des voisins" in seen["community"]
        assert "Je prête : échelle" in seen["community"]
        assert "Quartier Nord" in seen["community"]  # relays
        assert "Remplissez des bouteilles avant 8 h." in seen["alert"]
        assert "Mardi" in seen["poll"] and "Jeudi" in seen["poll"]
        assert "pris en compte" in seen["report"] and "Plomberie" in seen["report"]
        assert "Page introuvable" in seen["not-found"]

        # English: the same event, its date per the English locale, still in Paris time.
        await page.goto(w.ids["event"] + "?lang=en")
        text = await page.inner_text("main")
        assert (
            "Friday, June 6, 2031, 7:00\u202fPM" in text or "Friday, June 6, 2031, 7:00 PM" in text
        )
        assert "59 of 60" in text
        await screenshot(page, tmp_path, "event-en")
        # The switcher's choice sticks (cookie) for the next page.
        await page.goto(w.inst.base_url + "/@les-lilas")
        assert await page.get_attribute("html", "lang") == "en"
        assert "Upcoming events" in await page.inner_text("main")


async def test_follow_button_leads_to_the_remote_interaction_form_and_the_persons_server(
    instance: Instance, tmp_path: Path
) -> None:
    w = await build(instance)
    async with RecordingPeer() as peer:
        peer.add_actor("/users/camille")
        peer.webfinger_links.append(
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": peer.url("/authorize_interaction?uri={uri}"),
            }
        )
        handle = f"camille@127.0.0.1:{peer.port}"
        async with browser_page("fr-FR") as page:
            await page.goto(w.ids["event"])
            await page.get_by_role("link", name="Participer").click()
            await page.wait_for_url("**/interact?**")
            await screenshot(page, tmp_path, "interact")
            assert not await axe_violations(page)
            await page.get_by_label("Votre adresse fédivers").fill(handle)
            await page.get_by_role("button", name="Continuer sur mon serveur").click()
            await page.wait_for_url(peer.url("/authorize_interaction") + "**")
            assert page.url == peer.url(
                "/authorize_interaction?uri=" + quote(w.ids["event"], safe="")
            )
            # An unknown handle: the form again, with the error announced.
            await page.goto(w.inst.base_url + "/@les-lilas")
            await page.get_by_role("link", name="Suivre ou rejoindre").click()
            await page.get_by_label("Votre adresse fédivers").fill(f"nobody@127.0.0.1:{peer.port}")
            await page.get_by_role("button", name="Continuer sur mon serveur").click()
            error: Any = page.locator("#handle-error")
            assert "Nous n’avons pas trouvé ce compte" in await error.inner_text()


async def test_a_resident_signs_in_and_votes_from_the_page(
    instance: Instance, tmp_path: Path
) -> None:
    from fedivoisin.protocol.passwords import hash_password
    from fedivoisin.store import oauth as oauth_store
    from fedivoisin.store import polls as poll_store
    from tests.rig import wait_for

    w = await build(instance)
    bruno = await instance.local("bruno")
    await oauth_store.set_password(instance.rt.store, bruno, hash_password("vélo-rouge-42"), 0.0)
    async with browser_page("fr-FR") as page:
        await page.goto(w.ids["poll"])
        await page.get_by_role("link", name="Se connecter").click()
        await page.wait_for_url("**/signin?**")
        await screenshot(page, tmp_path, "signin")
        assert not await axe_violations(page)
        await page.get_by_label("Identifiant").fill("bruno")
        await page.get_by_label("Mot de passe").fill("vélo-rouge-42")
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_url(w.ids["poll"])
        assert "Connecté·e : Bruno" in await page.inner_text("header")
        await page.get_by_label("Jeudi").check()
        await screenshot(page, tmp_path, "poll-signed-in")
        assert not await axe_violations(page)
        await page.get_by_role("button", name="Voter").click()
        await page.wait_for_url(w.ids["poll"] + "?done=vote")

        async def voted() -> bool:
            return await poll_store.has_voted(instance.rt.store, w.ids["poll"], bruno_uri)

        bruno_uri = instance.actor("bruno")
        await wait_for(voted)
        await page.reload()
        assert "Vous avez voté." in await page.inner_text("main")
