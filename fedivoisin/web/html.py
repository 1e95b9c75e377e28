"""The bare HTML shell of the few pages built without templates (the OAuth consent page
of web/routes/oauth.py). The pages for people are Jinja2 templates (web/pages/); this
shell links the same stylesheet so both look alike."""

from __future__ import annotations

from html import escape


def page(title: str, body: str, *, head: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/pages.css">{head}'
        f'</head><body><main id="main">{body}</main></body></html>'
    )
