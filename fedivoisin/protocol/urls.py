"""Where every local thing lives. One place, so ids stay stable and parseable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62})$")
RESERVED_SLUGS = frozenset({"instance", "actor", "inbox", "admin", "api", "ns", "well-known"})
INSTANCE_SLUG = "instance"


def valid_slug(slug: str) -> bool:
    return bool(SLUG_RE.match(slug))


@dataclass(frozen=True)
class Urls:
    origin: str  # https://quartier-nord.example (no trailing slash)

    @property
    def domain(self) -> str:
        return urlsplit(self.origin).netloc.lower()

    def actor(self, slug: str) -> str:
        return f"{self.origin}/actors/{slug}"

    def key_id(self, slug: str) -> str:
        return self.actor(slug) + "#main-key"

    def ed_key_id(self, slug: str) -> str:
        return self.actor(slug) + "#ed25519-key"

    def inbox(self, slug: str) -> str:
        return self.actor(slug) + "/inbox"

    def outbox(self, slug: str) -> str:
        return self.actor(slug) + "/outbox"

    def followers(self, slug: str) -> str:
        return self.actor(slug) + "/followers"

    def following(self, slug: str) -> str:
        return self.actor(slug) + "/following"

    def members(self, slug: str) -> str:
        return self.actor(slug) + "/members"

    def collection(self, slug: str, name: str) -> str:
        return self.actor(slug) + "/" + name

    def page(self, slug: str) -> str:
        return f"{self.origin}/@{slug}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.origin}/inbox"

    def object(self, uid: str) -> str:
        return f"{self.origin}/objects/{uid}"

    def activity(self, uid: str) -> str:
        return f"{self.origin}/activities/{uid}"

    def is_local(self, uri: str) -> bool:
        return uri == self.origin or uri.startswith(self.origin + "/")

    def slug_of(self, uri: str) -> str | None:
        """The slug of a local actor URI (fragments and sub-paths ignored), else None."""
        prefix = self.origin + "/actors/"
        if not uri.startswith(prefix):
            return None
        rest = uri[len(prefix) :].split("#", 1)[0].split("/", 1)[0]
        return rest if valid_slug(rest) else None
