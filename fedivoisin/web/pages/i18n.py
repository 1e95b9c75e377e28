"""Languages of the pages: which locale a request gets, the Babel catalogues, and dates.

Why Babel: CLDR month and day names, date patterns and plural rules for French and English
are data, not code we should write; Babel's `Translations` plugs into Jinja2's i18n
extension, and `format_datetime` renders an event in its own IANA time zone.

The catalogues are the `.po` files under `fedivoisin/web/locale/` (msgids are English, the
French catalogue translates them); they are compiled in memory at first use, so no binary
`.mo` file is kept in the repository.
"""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def _pick(raw: str | None) -> str | None:
    if not raw:
        return None
    code = raw.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LOCALES else None


def accept_language(header: str) -> str | None:
    """The best of our locales in an Accept-Language header (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        code = _pick(tag)
        if code is not None and q > 0:
            ranked.append((-q, i, code))
    return min(ranked)[2] if ranked else None


def negotiate(query_lang: str | None, cookie: str | None, accept: str) -> str:
    """?lang= wins, then the `lang` cookie (the switcher sets it), then Accept-Language."""
    return _pick(query_lang) or _pick(cookie) or accept_language(accept) or DEFAULT_LOCALE


@functools.cache
def translations(locale: str) -> Translations:
    """The compiled catalogue of `locale` (English msgids: the `en` catalogue is near empty)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain="messages")


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def when(value: datetime | float | None, locale: str, tz: str | None = None) -> str:
    """A date and time as a person reads it in `locale`, in the zone `tz` (the event's own)
    or UTC: « vendredi 6 juin 2031, 19:00 » / "Friday, June 6, 2031, 7:00 PM"."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(value, UTC)
    local = value.astimezone(zone(tz) or UTC)
    loc = Locale.parse(locale)
    return f"{format_date(local, 'full', locale=loc)}, {format_time(local, 'short', locale=loc)}"


def until(end: datetime, start: datetime | None, locale: str, tz: str | None = None) -> str:
    """The end of an event: the time alone when it ends the day it starts (local time)."""
    where = zone(tz) or UTC
    if start is not None and end.astimezone(where).date() == start.astimezone(where).date():
        return format_time(end.astimezone(where), "short", locale=Locale.parse(locale))
    return when(end, locale, tz)


def when_iso(value: datetime | float | None, tz: str | None = None) -> str:
    """The machine-readable form for <time datetime>."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(value, UTC)
    return value.astimezone(zone(tz) or UTC).isoformat()
