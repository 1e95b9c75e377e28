"""Tiny HTML pages for people who open an actor URL in a browser (with OpenGraph tags,
so link previews in Mastodon look right)."""

from __future__ import annotations

from html import escape

from ..protocol.urls import Urls
from ..store.actors import LocalActor

_KIND_FR = {
    "building": "Immeuble",
    "residence": "Résidence",
    "quartier": "Quartier",
    "town": "Ville",
}


def page(title: str, body: str, *, head: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{head}"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}header small{color:#666}article{border-top:1px solid #ddd;"
        "padding:.5rem 0}</style></head><body>"
        f"{body}</body></html>"
    )


def actor_page(urls: Urls, actor: LocalActor, *, followers: int, posts_html: str = "") -> str:
    handle = f"@{actor.slug}@{urls.domain}"
    kind = _KIND_FR.get(actor.community_kind or "", actor.type)
    head = (
        f'<link rel="alternate" type="application/activity+json" href="{escape(urls.actor(actor.slug))}">'
        f'<meta property="og:title" content="{escape(actor.name)}">'
        f'<meta property="og:description" content="{escape(actor.summary)}">'
        f'<meta property="og:url" content="{escape(urls.page(actor.slug))}">'
        '<meta property="og:type" content="profile">'
    )
    if actor.is_community:
        head += (
            f'<link rel="alternate" type="text/calendar" title="Agenda"'
            f' href="{escape(urls.collection(actor.slug, "events.ics"))}">'
            f'<link rel="alternate" type="application/atom+xml" title="Fil"'
            f' href="{escape(urls.collection(actor.slug, "feed.atom"))}">'
        )
    body = (
        f"<header><h1>{escape(actor.name)}</h1><small>{escape(kind)} · {escape(handle)}"
        f" · {followers} abonné·es</small></header>"
        f"<p>{escape(actor.summary)}</p>"
        f"<p>Suivez <strong>{escape(handle)}</strong> depuis Mastodon, Misskey, Mobilizon"
        " ou tout autre logiciel du fédivers.</p>"
        f"{posts_html}"
    )
    return page(actor.name, body, head=head)


def index_page(urls: Urls, instance_name: str, communities: list[LocalActor]) -> str:
    items = "".join(
        f'<li><a href="{escape(urls.page(c.slug))}">{escape(c.name)}</a>'
        f" <small>@{escape(c.slug)}@{escape(urls.domain)}</small></li>"
        for c in communities
    )
    return page(
        instance_name,
        f"<h1>{escape(instance_name)}</h1><p>Communautés de voisinage sur ce serveur :</p>"
        f"<ul>{items or '<li>aucune pour le moment</li>'}</ul>",
    )
