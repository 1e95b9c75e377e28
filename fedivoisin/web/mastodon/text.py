"""Text of statuses: plain text to HTML with mentions, hashtags and links (what a client
posts), and the readable fallback of our kinds (what a client shows): pure functions."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from ...protocol.addressing import PUBLIC

KIND_TYPES = {"Event", "Article", "Page", "Document", "Place"}


def strip_html(html: str) -> str:
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", html)
    text = re.sub(r"<[^>]+>", "", text)
    from html import unescape

    return unescape(text).strip()


HASHTAG = re.compile(r"(?<![\w&])#(\w{1,100})")
MENTION = re.compile(r"(?<![\w/])@([A-Za-z0-9_.-]+)(?:@([A-Za-z0-9_.:-]+[A-Za-z0-9]))?")
LINK = re.compile(r"https?://[^\s<>\"']+")


def text_to_html(
    text: str, mentions: dict[str, tuple[str, str]], tag_url: str
) -> tuple[str, list[str]]:
    """Plain status text → HTML paragraphs with links, @mentions and #hashtags.

    `mentions` maps the handle as written ("alice" or "alice@host") to (actor uri, url);
    returns the HTML and the hashtags found.
    """
    tags: list[str] = []

    def one_line(line: str) -> str:
        out, pos = [], 0
        pattern = re.compile(f"{LINK.pattern}|{MENTION.pattern}|{HASHTAG.pattern}")
        for m in pattern.finditer(line):
            out.append(escape(line[pos : m.start()], quote=False))
            token = m.group(0)
            if token.startswith("@"):
                handle = token[1:]
                target = mentions.get(handle)
                if target:
                    out.append(
                        f'<span class="h-card"><a href="{escape(target[1])}" class="u-url'
                        f' mention">@<span>{escape(handle.split("@")[0])}</span></a></span>'
                    )
                else:
                    out.append(escape(token, quote=False))
            elif token.startswith("#"):
                name = token[1:]
                tags.append(name)
                out.append(
                    f'<a href="{escape(tag_url + name.lower())}" class="mention hashtag"'
                    f' rel="tag">#<span>{escape(name)}</span></a>'
                )
            else:
                out.append(
                    f'<a href="{escape(token)}" rel="nofollow noopener" target="_blank">'
                    f"{escape(token, quote=False)}</a>"
                )
            pos = m.end()
        out.append(escape(line[pos:], quote=False))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    html = "".join(
        "<p>" + "<br>".join(one_line(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )
    return html, tags


#: The Note-shaped kinds whose status shows a readable summary: an offer or request (what,
#: for whom, its status), a news item (headline and link), a citizen report (category,
#: place, status). Their state changes after publication, so it is read at display time.
NOTE_KINDS = frozenset({"proposal", "offer", "request", "news", "report"})
_PROPOSAL_STATUS = {"open": "ouverte", "closed": "terminée", "fulfilled": "pourvue"}
_REPORT_STATUS = {"open": "ouvert", "acknowledged": "pris en charge", "closed": "clos"}


def _for_whom(doc: dict[str, Any]) -> str:
    audience = doc.get("audience")
    if isinstance(audience, str) and audience:
        return "les membres de " + audience.rstrip("/").rsplit("/", 1)[-1]
    to = doc.get("to")
    targets = to if isinstance(to, list) else [to]
    public = any(t in (PUBLIC, "as:Public", "Public") for t in targets)
    return "tout le monde" if public else "les abonnés"


def _note_kind_facts(doc: dict[str, Any], kind: str) -> list[str]:
    facts: list[str] = []
    if kind in ("proposal", "offer", "request"):
        purpose = doc.get("purpose")
        facts.append("Demande" if purpose == "request" else "Offre")
        facts.append("Pour : " + _for_whom(doc))
        state = doc.get("proposalStatus")
        if isinstance(state, str):
            facts.append("Statut : " + _PROPOSAL_STATUS.get(state, state))
    elif kind == "report":
        category = doc.get("serviceCode")
        if isinstance(category, str) and category:
            facts.append("Catégorie : " + category)
        location = doc.get("location")
        name = location.get("name") if isinstance(location, dict) else None
        if isinstance(name, str) and name:
            facts.append("Lieu : " + name)
        state = doc.get("reportStatus")
        if isinstance(state, str):
            facts.append("Statut : " + _REPORT_STATUS.get(state, state))
    return facts


def fallback_content(doc: dict[str, Any], kind: str = "") -> str:
    """An Event, Article, Page… as a status: title, the readable summary (date, place,
    capacity, severity, status…), the content and a link to its page. An offer, news item
    or report (Notes) shows its title, content, its facts (NOTE_KINDS) and its link."""
    content = doc.get("content") if isinstance(doc.get("content"), str) else ""
    if doc.get("type") not in KIND_TYPES:
        if kind not in NOTE_KINDS:
            return content
        parts = []
        name = doc.get("name")
        if isinstance(name, str) and name and escape(name, quote=False) not in content:
            parts.append(f"<p><strong>{escape(name, quote=False)}</strong></p>")
        parts.append(content)
        facts = _note_kind_facts(doc, kind)
        if facts:
            parts.append(f"<p>{escape(' · '.join(facts), quote=False)}</p>")
        url = doc.get("url") if isinstance(doc.get("url"), str) else doc.get("id")
        if isinstance(url, str):
            parts.append(f'<p><a href="{escape(url)}">{escape(url, quote=False)}</a></p>')
        return "".join(parts)
    parts = []
    name = doc.get("name")
    if isinstance(name, str) and name and escape(name, quote=False) not in content:
        parts.append(f"<p><strong>{escape(name, quote=False)}</strong></p>")
    summary = doc.get("summary")
    if isinstance(summary, str) and summary:
        parts.append(f"<p>{escape(summary, quote=False)}</p>")
    facts = []
    cap = doc.get("maximumAttendeeCapacity")
    if isinstance(cap, int):
        facts.append(f"Places : {cap}")
    if doc.get("eventStatus") == "EventCancelled":
        facts.append("Annulé")
    if facts:
        parts.append(f"<p>{escape(' · '.join(facts), quote=False)}</p>")
    parts.append(content)
    url = doc.get("url") if isinstance(doc.get("url"), str) else doc.get("id")
    if isinstance(url, str):
        parts.append(f'<p><a href="{escape(url)}">{escape(url, quote=False)}</a></p>')
    return "".join(parts)


def spoiler_text(doc: dict[str, Any], kind: str) -> str:
    """A Note's summary is its content warning; an alert always gets its severity."""
    summary = doc.get("summary") if isinstance(doc.get("summary"), str) else ""
    if kind == "alert":
        severity = doc.get("severity") if isinstance(doc.get("severity"), str) else "Alerte"
        label = f"Alerte – {severity}"
        return f"{summary} · {label}" if summary and label not in summary else summary or label
    if doc.get("type") in KIND_TYPES:
        return ""
    return summary


def card(doc: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """A link card to the object's page for the neighbourhood kinds."""
    if kind in ("note", "poll", "vote") and doc.get("type") not in KIND_TYPES:
        return None
    url = doc.get("url") if isinstance(doc.get("url"), str) else doc.get("id")
    name = doc.get("name") if isinstance(doc.get("name"), str) else ""
    summary = doc.get("summary") if isinstance(doc.get("summary"), str) else ""
    return {
        "url": url,
        "title": name or kind,
        "description": summary,
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": "fedivoisin",
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": None,
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "published_at": None,
        "authors": [],
        "language": None,
    }
