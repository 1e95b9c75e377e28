"""Apps and OAuth 2.0 (issue 10 item 1): registration, tokens, scopes, revocation, PKCE
through the real consent page, and the legacy CLI tokens still working."""

from __future__ import annotations

from typing import Any

from tests.bridge.oauth_helpers import (
    REDIRECT,
    client_token,
    code_from,
    consent,
    grant,
    pkce,
    register,
    set_password,
)
from tests.rig import Instance

NOTE = {
    "type": "Note",
    "content": "Bonjour",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
}
AS2 = "application/activity+json"


async def post_note(inst: Instance, slug: str, token: str) -> Any:
    return await inst.c2s(slug, token, NOTE)


async def test_app_registration_is_mastodon_shaped(instance: Instance) -> None:
    app = await register(instance, scopes="read write webhooks", website="https://voisins.example")
    assert app["name"] == "Voisins" and app["redirect_uri"] == REDIRECT
    assert app["client_id"] and app["client_secret"] and app["id"]
    assert app["vapid_key"] == ""
    token = await client_token(instance, app, scope="read")
    async with instance.http() as c:
        r = await c.get(
            "/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200 and r.json()["name"] == "Voisins"
        assert "client_secret" not in r.json()
        bad = await c.post(
            "/api/v1/apps",
            data={"client_name": "x", "redirect_uris": REDIRECT, "scopes": "read sudo"},
        )
        assert bad.status_code == 400 and bad.json()["field"] == "scopes"
        meta = (await c.get("/.well-known/oauth-authorization-server")).json()
        assert meta["code_challenge_methods_supported"] == ["S256"]
        assert meta["token_endpoint"] == instance.base_url + "/oauth/token"


async def test_client_credentials_act_only_for_granted_communities(instance: Instance) -> None:
    await instance.community("cour-a")
    await instance.community("cour-b")
    app = await register(instance)
    await grant(instance, app["client_id"], "cour-a")
    token = await client_token(instance, app)
    assert (await post_note(instance, "cour-a", token)).status_code == 201
    refused = await post_note(instance, "cour-b", token)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "cour-b" in refused.json()["detail"]


async def test_scope_is_checked_and_named(instance: Instance) -> None:
    await instance.community("cour")
    app = await register(instance, scopes="read write")
    await grant(instance, app["client_id"], "cour")
    reader = await client_token(instance, app, scope="read")
    r = await post_note(instance, "cour", reader)
    assert r.status_code == 403 and "'write'" in r.json()["detail"]
    async with instance.http() as c:
        inbox = await c.get("/actors/cour/inbox", headers={"Authorization": f"Bearer {reader}"})
        assert inbox.status_code == 200
        # Asking for more than the app registered is refused at the token endpoint.
        r = await c.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "scope": "moderate",
            },
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
        wrong = await c.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": "nope",
            },
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


async def test_revoked_token_is_refused_at_once(instance: Instance) -> None:
    await instance.community("cour")
    app = await register(instance)
    await grant(instance, app["client_id"], "cour")
    token = await client_token(instance, app)
    assert (await post_note(instance, "cour", token)).status_code == 201
    async with instance.http() as c:
        r = await c.post(
            "/oauth/revoke",
            data={
                "token": token,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            },
        )
        assert r.status_code == 200
    r = await post_note(instance, "cour", token)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    # Revoking the whole app (fedivoisin app revoke) kills its other tokens too.
    other = await client_token(instance, app)
    from fedivoisin.store import apps as app_store

    async def revoke(store: Any, clock: Any) -> None:
        await app_store.revoke_app(
            store, await app_store.find_app(store, app["client_id"]), clock.now()
        )

    await instance.admin(revoke)
    assert (await post_note(instance, "cour", other)).status_code == 401


async def test_code_flow_with_pkce_through_the_html_form(instance: Instance) -> None:
    await instance.person("lea")
    await set_password(instance, "lea", "correct horse battery")
    app = await register(instance)
    verifier, challenge = pkce()
    async with instance.http() as c:
        wrong = await consent(c, app, "lea", "wrong password", challenge=challenge)
        assert wrong.status_code == 401 and "incorrect" in wrong.text
        code = code_from(await consent(c, app, "lea", "correct horse battery", challenge=challenge))
        base = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        }
        missing = await c.post("/oauth/token", data=base)
        assert missing.status_code == 400 and "code_verifier" in missing.json()["error_description"]
        bad = await c.post("/oauth/token", data={**base, "code_verifier": "x" * 50})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
        ok = await c.post("/oauth/token", data={**base, "code_verifier": verifier})
        assert ok.status_code == 200, ok.text
        token = ok.json()["access_token"]
        assert ok.json()["scope"] == "read write"
        replay = await c.post("/oauth/token", data={**base, "code_verifier": verifier})
        assert replay.status_code == 400
        # The browser session now skips the password: a second consent needs one click.
        page = await c.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": REDIRECT,
            },
        )
        assert "Connecté·e en tant que <strong>lea</strong>" in page.text
    assert (await post_note(instance, "lea", token)).status_code == 201
    await instance.person("max")
    assert (await post_note(instance, "max", token)).status_code == 403


async def test_plain_code_flow_and_oob_for_mastodon_clients(instance: Instance) -> None:
    await instance.person("lea")
    await set_password(instance, "lea", "correct horse battery")
    oob = "urn:ietf:wg:oauth:2.0:oob"
    async with instance.http() as c:
        r = await c.post(
            "/api/v1/apps",
            json={"client_name": "Tusky-like", "redirect_uris": oob, "scopes": "read"},
        )
        app = r.json()
        page = await consent(c, app, "lea", "correct horse battery", scope="read", redirect_uri=oob)
        assert page.status_code == 200
        import re

        code = re.search(r'value="([^"]+)" id="code"', page.text)
        assert code is not None
        ok = await c.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code.group(1),
                "redirect_uri": oob,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            },
        )
        assert ok.status_code == 200, ok.text
        token = ok.json()["access_token"]
        me = await c.get("/actors/lea/inbox", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200


async def test_consent_form_needs_its_csrf_token(instance: Instance) -> None:
    await instance.person("lea")
    await set_password(instance, "lea", "correct horse battery")
    app = await register(instance)
    async with instance.http() as c:
        r = await c.post(
            "/oauth/authorize",
            data={
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": REDIRECT,
                "username": "lea",
                "password": "correct horse battery",
                "decision": "approve",
            },
        )
        assert r.status_code == 403
        bad_redirect = await c.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": "https://evil.example/",
            },
        )
        assert bad_redirect.status_code == 400


async def test_legacy_cli_tokens_still_work(instance: Instance) -> None:
    await instance.person("lea")
    token = await instance.token("lea")
    assert (await post_note(instance, "lea", token)).status_code == 201
    async with instance.http() as c:
        r = await c.get("/actors/lea/export", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
