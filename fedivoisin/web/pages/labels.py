"""The words of the vocabulary as people read them, per locale, computed once.

Why here and not in template macros: a page names a kind, a severity or a status many
times; looking each up in a dict built once per locale keeps rendering cheap (the pages
benchmark compares them with the AS2 GET of the same URL).
"""

from __future__ import annotations

from collections.abc import Callable

Labels = dict[str, dict[str, str]]


def labels(gettext: Callable[[str], str]) -> Labels:
    return {
        "kind": {
            "event": gettext("Event"),
            "proposal": gettext("Offer or request"),
            "alert": gettext("Alert"),
            "news": gettext("News"),
            "poll": gettext("Poll"),
            "report": gettext("Report"),
            "note": gettext("Post"),
        },
        "community": {
            "building": gettext("Building"),
            "residence": gettext("Residence"),
            "quartier": gettext("Neighbourhood"),
            "town": gettext("Town"),
            "other": gettext("Other communities"),
        },
        "severity": {
            "Extreme": gettext("Extreme"),
            "Severe": gettext("Severe"),
            "Moderate": gettext("Moderate"),
            "Minor": gettext("Minor"),
            "Unknown": gettext("Unknown severity"),
        },
        "purpose": {"offer": gettext("Offer"), "request": gettext("Request")},
        "status": {
            "open": gettext("open"),
            "reserved": gettext("reserved"),
            "closed": gettext("closed"),
            "acknowledged": gettext("acknowledged"),
        },
        "join": {
            "open": gettext("open to everyone"),
            "approval": gettext("on approval by the moderators"),
            "invite": gettext("on invitation only"),
        },
        "actor": {
            "Person": gettext("Resident"),
            "Organization": gettext("Organisation"),
            "Service": gettext("Service"),
            "Application": gettext("Application"),
        },
        "rsvp": {
            "accepted": gettext("confirmed"),
            "pending": gettext("waiting for approval"),
            "rejected": gettext("refused"),
        },
    }


def label(table: dict[str, str], key: str | None, default: str = "") -> str:
    return table.get(key or "", key or default)
