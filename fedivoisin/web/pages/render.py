"""Templates to HTML: `render(template, locale, **data) -> str`, a pure function.

Why Jinja2: autoescaping by default (stored content is never trusted), template
inheritance for one layout shared by every page, and the i18n extension that takes Babel's
catalogues as they are. Rendering depends only on (data, locale): no request, clock or
database is reachable from a template, so a page can be cached by its inputs (issue 16's
render cache keys on them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from . import i18n
from .labels import labels

STYLESHEET = "/pages.css"


@functools.cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("fedivoisin.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = locale
    env.globals["L"] = labels(i18n.translations(locale).gettext)
    env.globals["locales"] = i18n.LOCALES
    env.globals["stylesheet"] = STYLESHEET
    env.filters["when"] = lambda v, tz=None: i18n.when(v, locale, tz)
    env.filters["when_iso"] = i18n.when_iso
    env.filters["until"] = lambda end, start, tz=None: i18n.until(end, start, locale, tz)
    return env


def gettext_for(locale: str) -> Callable[[str], str]:
    """The catalogue's gettext, for the few strings built in Python (titles, errors).
    Extraction finds them because the callers name it `gettext`."""
    return i18n.translations(locale).gettext


def render(template: str, locale: str, **data: Any) -> str:
    """The page `template` in `locale` with `data` (plain values prepared by views)."""
    return environment(locale).get_template(template).render(**data)
