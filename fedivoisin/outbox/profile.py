"""Update of a local actor's own profile (name, summary), federated as Update(actor)."""

from __future__ import annotations

from typing import Any

from ..actor_document import actor_document_of
from ..errors import InvalidActivity
from ..runtime import Runtime
from ..store import actors as actor_store
from ..store.actors import LocalActor
from .publish import publish

EDITABLE = {"name": "name", "summary": "summary", "manuallyApprovesFollowers": "manually_approves"}


async def update_profile(rt: Runtime, actor: LocalActor, obj: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, column in EDITABLE.items():
        if key in obj:
            value = obj[key]
            if column == "manually_approves":
                if not isinstance(value, bool):
                    raise InvalidActivity(f"{key} must be true or false", field=f"object.{key}")
                value = int(value)
            elif not isinstance(value, str) or (key == "name" and not value.strip()):
                raise InvalidActivity(f"{key} must be a non-empty string", field=f"object.{key}")
            changes[column] = value
    if not changes:
        raise InvalidActivity(
            "nothing to update: name, summary or manuallyApprovesFollowers", field="object"
        )
    updated = await actor_store.update_actor(rt.store, actor.slug, rt.clock.now(), **changes)
    doc = actor_document_of(rt.urls, updated)
    doc.pop("@context", None)
    return await publish(
        rt,
        updated,
        {
            "type": "Update",
            "object": doc,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [rt.urls.followers(actor.slug)],
        },
        store_object=False,
    )
