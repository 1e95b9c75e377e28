"""Every string of the pages is in the catalogues, and translated into French."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "fedivoisin" / "web"
METHODS = [("pages/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def test_every_page_string_is_translated_into_french() -> None:
    used = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), METHODS, OPTIONS):
        used.add(message if isinstance(message, str) else tuple(message)[:2])
    assert len(used) > 100
    with (WEB / "locale" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        fr = read_po(fh, locale="fr")
    translated = {
        m.id: m.string
        for m in fr
        if m.id and (all(m.string) if isinstance(m.id, tuple) else m.string)
    }
    missing = sorted(str(u) for u in used if u not in translated)
    assert not missing, f"run pybabel extract/update and translate: {missing}"
    with (WEB / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        en = read_po(fh, locale="en")
    assert {m.id for m in en if m.id} == {m.id for m in fr if m.id}
