"""When may a member publish in the name of its group? (Mobilizon, issue 15 item 7)

Mobilizon sends an event created by a member for its group as `Create` with `actor` = the
member and `attributedTo` = the group. SECURITY.md rule 5 ("attributedTo must be the
activity's actor") would refuse it. We accept it only when the group itself vouches for the
actor: the group is on the actor's exact origin (scheme, host, port), is a `Group`, and its
`members` collection, fetched from that origin, lists the actor (as a URI or as a Mobilizon
`Member` object). Every other mismatch stays refused.
"""

from __future__ import annotations

from typing import Any

from ..errors import RemoteError
from ..http import same_origin
from ..protocol.addressing import as_list, ref
from ..remote import fetch
from ..runtime import Runtime

MAX_PAGES = 3  # members collections are small; never walk an unbounded chain


def _lists(items: list[Any], member: str, group: str) -> bool:
    for item in items:
        if ref(item) == member:
            return True
        if isinstance(item, dict) and ref(item.get("actor")) == member:
            return ref(item.get("object")) in (None, group)
    return False


async def group_vouches(rt: Runtime, *, group: str, member: str) -> bool:
    if not same_origin(group, member):
        return False
    try:
        doc = await fetch(rt, group)
    except RemoteError:
        return False
    if "Group" not in as_list(doc.get("type")):
        return False
    members = ref(doc.get("members"))
    if members is None or not same_origin(members, group):
        return False
    page: Any = members
    for _ in range(MAX_PAGES):
        if isinstance(page, str):
            if not same_origin(page, group):
                return False
            try:
                page = await fetch(rt, page)
            except RemoteError:
                return False
        if not isinstance(page, dict):
            return False
        items = as_list(page.get("orderedItems")) + as_list(page.get("items"))
        if _lists(items, member, group):
            return True
        page = (
            page.get("first")
            if page.get("type") in ("Collection", "OrderedCollection")
            else page.get("next")
        )
        if page is None:
            return False
    return False
