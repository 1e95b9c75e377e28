"""Gather what the Mastodon entities need from the store, for one viewer.

Every status goes through `visible_to` (the one visibility decision) before it is shown;
a `Presenter` lives for one request and caches accounts it has already built.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ...errors import NotFound
from ...outbox.visibility import visible_to
from ...protocol.addressing import addressees
from ...runtime import Runtime
from ...store import activities as activity_store
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store import mastodon as mstore
from ...store import pins as pin_store
from ...store import polls as poll_store
from ...store import remote_actors as remote_store
from ...store.activities import StoredObject
from ...store.mastodon import StatusRow
from . import entities

AVATAR_PATH = "/api/fedivoisin/avatar.png"
ACCOUNT_TTL = 2.0
ACCOUNT_CACHE_SIZE = 10_000


def forget_account(rt: Runtime, uri: str) -> None:
    rt.caches.get("mastodon_accounts", {}).pop(uri, None)


class Presenter:
    def __init__(self, rt: Runtime, viewer: str | None) -> None:
        self.rt = rt
        self.viewer = viewer
        self._accounts: dict[str, dict[str, Any]] = {}
        self.hidden: set[str] = set()

    @property
    def tag_url(self) -> str:
        return self.rt.urls.origin + "/tags/"

    # -- accounts -----------------------------------------------------------------------

    async def account_info(self, uri: str) -> entities.AccountInfo:
        rt = self.rt
        store = rt.store
        aid = await mstore.account_id(store, uri)
        avatar = rt.urls.origin + AVATAR_PATH
        followers = await follow_store.count(store, followee=uri)
        following = await follow_store.count(store, follower=uri)
        statuses, last_status = await mstore.count_by_account(store, uri)
        slug = rt.urls.slug_of(uri)
        if slug is not None and uri == rt.urls.actor(slug):
            local = await actor_store.get_actor(store, slug)
            if local is None:
                raise NotFound("no such account")
            return entities.AccountInfo(
                id=aid,
                uri=uri,
                username=slug,
                acct=slug,
                display_name=local.name,
                note=f"<p>{_esc(local.summary)}</p>" if local.summary else "",
                url=rt.urls.origin + "/@" + slug,
                type=local.type,
                locked=local.manually_approves or local.join_policy != "open",
                created_at=local.created_at,
                followers_count=followers,
                following_count=following,
                statuses_count=statuses,
                last_status_at=last_status,
                avatar=avatar,
                header=avatar,
            )
        remote = await remote_store.get(store, uri)
        doc = remote.document if remote else {}
        username = (remote.preferred_username if remote else None) or uri.rstrip("/").rsplit(
            "/", 1
        )[-1]
        host = urlsplit(uri).netloc
        url = doc.get("url") if isinstance(doc.get("url"), str) else uri
        icon = doc.get("icon")
        if isinstance(icon, dict) and isinstance(icon.get("url"), str):
            avatar = icon["url"]
        return entities.AccountInfo(
            id=aid,
            uri=uri,
            username=username,
            acct=f"{username}@{host}",
            display_name=(remote.name if remote else None) or username,
            note=doc.get("summary") if isinstance(doc.get("summary"), str) else "",
            url=url,
            type=remote.type if remote else "Person",
            locked=bool(doc.get("manuallyApprovesFollowers")),
            created_at=remote.fetched_at if remote else 0.0,
            followers_count=followers,
            following_count=following,
            statuses_count=statuses,
            last_status_at=last_status,
            avatar=avatar,
            header=rt.urls.origin + AVATAR_PATH,
        )

    async def account(self, uri: str) -> dict[str, Any]:
        """The account entity, shared between requests for ACCOUNT_TTL seconds (counts may
        lag that long; a resident's own changes invalidate it: `forget_account`)."""
        if uri in self._accounts:
            return self._accounts[uri]
        cache: dict[str, tuple[float, dict[str, Any]]] = self.rt.caches.setdefault(
            "mastodon_accounts", {}
        )
        now = self.rt.clock.now()
        hit = cache.get(uri)
        if hit is None or now - hit[0] > ACCOUNT_TTL or now < hit[0]:
            if len(cache) > ACCOUNT_CACHE_SIZE:
                cache.clear()
            hit = (now, entities.account(await self.account_info(uri)))
            cache[uri] = hit
        self._accounts[uri] = hit[1]
        return hit[1]

    async def accounts(self, uris: list[str]) -> list[dict[str, Any]]:
        return [await self.account(u) for u in uris]

    # -- statuses ---------------------------------------------------------------------------

    async def visible(self, obj: StoredObject) -> bool:
        if obj.deleted is not None or obj.attributed_to in self.hidden:
            return False
        return await visible_to(
            self.rt, addressed=obj.addressees, author=obj.attributed_to, viewer=self.viewer
        )

    async def statuses(self, rows: list[StatusRow]) -> list[dict[str, Any]]:
        """The rows this viewer may see, as status entities (reblogs wrap their original)."""
        objects: dict[str, StoredObject] = {}
        shown: list[tuple[StatusRow, StoredObject]] = []
        loaded = await mstore.objects(self.rt.store, list({r.object_uri for r in rows}))
        for row in rows:
            obj = loaded.get(row.object_uri)
            if obj is None or not await self.visible(obj):
                continue
            if row.announce_uri and row.account_uri in self.hidden:
                continue
            objects[row.object_uri] = obj
            shown.append((row, obj))
        uris = list(objects)
        counts = await mstore.counts(self.rt.store, uris)
        favs, boosts = (
            await mstore.mine(self.rt.store, uris, self.viewer) if self.viewer else (set(), set())
        )
        ids = {r.object_uri: r.id for r, _ in shown if r.announce_uri is None}
        missing = [u for u in uris if u not in ids]
        if missing:
            ids.update(await mstore.original_ids(self.rt.store, missing))
        pinned = (
            await pin_store.pinned_among(self.rt.store, self.viewer, uris) if self.viewer else set()
        )
        out = []
        for row, obj in shown:
            original = await self._status(obj, ids.get(obj.uri, row.id), counts, favs, boosts)
            original["pinned"] = obj.uri in pinned
            if row.announce_uri:
                out.append(
                    entities.reblog_wrapper(
                        id_=row.id,
                        original=original,
                        account_=await self.account(row.account_uri),
                        created_at=row.created_at,
                        uri=row.announce_uri,
                    )
                )
            else:
                out.append(original)
        return out

    async def _status(
        self,
        obj: StoredObject,
        id_: int,
        counts: dict[str, tuple[int, int, int]],
        favs: set[str],
        boosts: set[str],
    ) -> dict[str, Any]:
        store = self.rt.store
        reply_id = reply_account = None
        if obj.in_reply_to:
            parent = await activity_store.get_object(store, obj.in_reply_to)
            found = await mstore.original_ids(store, [obj.in_reply_to])
            reply_id = found.get(obj.in_reply_to)
            if parent is not None:
                reply_account = await mstore.account_id(store, parent.attributed_to)
        mentions = []
        for href in entities.mention_tags(obj.document):
            acc = await self.account(href)
            mentions.append(
                {
                    "id": acc["id"],
                    "username": acc["username"],
                    "acct": acc["acct"],
                    "url": acc["url"],
                }
            )
        poll = None
        if obj.kind == "poll" or obj.type == "Question":
            poll = await self.poll(obj, id_)
        slug = self.rt.urls.slug_of(obj.attributed_to)
        followers = self.rt.urls.followers(slug) if slug else obj.attributed_to + "/followers"
        return entities.status(
            id_=id_,
            doc=obj.document,
            kind=obj.kind,
            account_=await self.account(obj.attributed_to),
            created_at=obj.published,
            followers=followers,
            counts=counts.get(obj.uri, (0, 0, 0)),
            favourited=obj.uri in favs or await self._rsvped(obj),
            reblogged=obj.uri in boosts,
            in_reply_to_id=reply_id,
            in_reply_to_account_id=reply_account,
            mentions=mentions,
            poll_=poll,
            tag_url=self.tag_url,
            edited=obj.updated is not None and bool(obj.document.get("updated")),
        )

    def visibility_of(self, obj: StoredObject) -> str:
        from ...protocol.addressing import as_list

        slug = self.rt.urls.slug_of(obj.attributed_to)
        followers = self.rt.urls.followers(slug) if slug else None
        to = [str(u) for u in as_list(obj.document.get("to"))]
        return entities.visibility(obj.addressees, to, followers)

    async def _rsvped(self, obj: StoredObject) -> bool:
        """An Event is 'favourited' when the viewer takes part (docs/mastodon-api.md, RSVP)."""
        if obj.kind != "event" or self.viewer is None:
            return False
        from ...store import events as event_store

        p = await event_store.get(self.rt.store, obj.uri, self.viewer)
        return p is not None and p.state != "rejected"

    async def poll(self, obj: StoredObject, id_: int) -> dict[str, Any] | None:
        store = self.rt.store
        tally = await poll_store.tally(store, obj.uri) if obj.local else {}
        voters = await poll_store.voters_count(store, obj.uri) if obj.local else 0
        if not obj.local:
            count = obj.document.get("votersCount")
            voters = count if isinstance(count, int) else 0
        own: list[int] = []
        if self.viewer:
            from ...protocol.vocab import parse_object

            parsed = parse_object(obj.document).poll
            names = [o.name for o in parsed.options] if parsed else []
            chosen = await mstore.own_votes(store, obj.uri, self.viewer)
            own = [i for i, name in enumerate(names) if name in chosen]
        return entities.poll(
            obj.document, id_=id_, tally=tally, voters=voters, own=own, now=self.rt.clock.now()
        )

    async def status_row(self, id_: str | int) -> tuple[StatusRow, StoredObject]:
        """A status the viewer may see, or 404 (never 403: its existence stays private)."""
        try:
            n = int(id_)
        except (TypeError, ValueError):
            raise NotFound("Record not found") from None
        row = await mstore.status(self.rt.store, n)
        obj = await activity_store.get_object(self.rt.store, row.object_uri) if row else None
        if row is None or obj is None or not await self.visible(obj):
            raise NotFound("Record not found")
        return row, obj

    async def one(self, row: StatusRow) -> dict[str, Any]:
        shown = await self.statuses([row])
        if not shown:
            raise NotFound("Record not found")
        return shown[0]

    async def by_object(self, uri: str) -> dict[str, Any]:
        ids = await mstore.original_ids(self.rt.store, [uri])
        if uri not in ids:
            raise NotFound("Record not found")
        row = await mstore.status(self.rt.store, ids[uri])
        assert row is not None
        return await self.one(row)


def _esc(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def addressed_to(doc: dict[str, Any]) -> list[str]:
    return addressees(doc)
