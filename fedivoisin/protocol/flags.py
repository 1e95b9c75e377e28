"""Reading an ActivityPub `Flag` (a report) whatever its sender's shape (pure).

- Mastodon / GoToSocial / Misskey / Akkoma: `object` is a list, usually the reported account
  first then its posts (Pleroma may embed the posts as objects); the comment in `content`;
  the sender is the instance actor (Mastodon, GoToSocial, Misskey) or a user.
- Lemmy: `object` is one post or comment, the reason in `summary`, the community in `to`
  or `audience`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .addressing import as_list, ref, refs

MAX_COMMENT = 5_000
MAX_OBJECTS = 50


@dataclass(frozen=True)
class ParsedFlag:
    refs: list[str]  # every reported IRI, in the sender's order
    comment: str
    addressed: list[str]  # to / cc / audience / target: where a community may be named


def parse_flag(doc: dict[str, Any]) -> ParsedFlag:
    found: list[str] = []
    for item in as_list(doc.get("object"))[:MAX_OBJECTS]:
        r = ref(item)
        if r and r.startswith(("https://", "http://")) and r not in found:
            found.append(r)
    comment = ""
    for key in ("content", "summary"):
        v = doc.get(key)
        if isinstance(v, str) and v.strip():
            comment = v.strip()[:MAX_COMMENT]
            break
    addressed: list[str] = []
    for key in ("to", "cc", "audience", "target"):
        for r in refs(doc.get(key)):
            if r and r not in addressed:
                addressed.append(r)
    return ParsedFlag(refs=found, comment=comment, addressed=addressed)
