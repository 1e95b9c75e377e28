"""Helpers for the client-library acceptance tests: the OAuth dance as a browser does it,
and the check that Mastodon.py's typed models find every required field."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.bridge.oauth_helpers import form_fields, pkce, set_password
from tests.rig import Instance

REDIRECT = "http://127.0.0.1:9/callback"

__all__ = ["REDIRECT", "browser_consent", "missing_fields", "pkce", "set_password"]


def browser_consent(authorize_url: str, challenge: str, username: str, password: str) -> str:
    """Open the authorisation URL (with the PKCE challenge added), sign in, approve: the code."""
    url = (
        authorize_url
        + "&"
        + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    )
    with requests.Session() as browser:
        page = browser.get(url, timeout=10)
        assert page.status_code == 200, page.text
        fields = form_fields(page.text)
        fields |= {"username": username, "password": password, "decision": "approve"}
        action = page.url.split("?")[0]
        answer = browser.post(action, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


class PkceSession(requests.Session):
    """Mastodon.py has no PKCE parameter: this session adds the verifier to the token
    request, the one thing a PKCE-capable app sends on top of Mastodon.py's own request."""

    def __init__(self, verifier: str) -> None:
        super().__init__()
        self.verifier = verifier

    def request(self, method: str, url: Any, *args: Any, **kw: Any) -> Any:  # type: ignore[override]
        if str(url).endswith("/oauth/token") and isinstance(kw.get("data"), dict):
            kw["data"] = {**kw["data"], "code_verifier": self.verifier}
        return super().request(method, url, *args, **kw)


def missing_fields(value: Any, path: str = "$") -> list[str]:
    """Required (non-Optional) fields of Mastodon.py's return types absent from a response,
    recursively: the typed models of the library must find everything they declare."""
    from mastodon import return_types
    from mastodon.types_base import AttribAccessDict

    out: list[str] = []
    if isinstance(value, list):
        for i, v in enumerate(value):
            out += missing_fields(v, f"{path}[{i}]")
        return out
    if not isinstance(value, AttribAccessDict):
        return out
    cls = getattr(return_types, type(value).__name__, None)
    for klass in type(value).__mro__ if cls is not None else ():
        for name, ann in getattr(klass, "__annotations__", {}).items():
            if name.startswith("_") or not isinstance(ann, str):
                continue
            if not ann.startswith("Optional") and name not in value:
                out.append(f"{path}.{name} ({type(value).__name__})")
    for k, v in value.items():
        out += missing_fields(v, f"{path}.{k}")
    return out


def acct(inst: Instance, slug: str) -> str:
    return f"{slug}@{inst.domain}"


def strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)
