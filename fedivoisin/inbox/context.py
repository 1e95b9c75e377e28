"""What a handler gets: the runtime, the parsed activity, who signed it, where it came in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..protocol.addressing import ref
from ..runtime import Runtime


@dataclass
class Ctx:
    rt: Runtime
    activity: dict[str, Any]
    signer: str
    recipient: str | None  # slug of the personal inbox, None for the shared inbox
    local_origin: bool = False  # handed over by our own outbox (same instance)
    #: The object row a handler stored for this activity (saves the worker a lookup).
    stored_object: str | None = None

    @property
    def actor(self) -> str:
        a = ref(self.activity.get("actor"))
        assert a is not None
        return a

    @property
    def type(self) -> str:
        return str(self.activity.get("type"))

    @property
    def id(self) -> str | None:
        v = self.activity.get("id")
        return v if isinstance(v, str) else None

    @property
    def object(self) -> Any:
        return self.activity.get("object")

    @property
    def object_id(self) -> str | None:
        return ref(self.object)


class Ignored(Exception):
    """The activity is valid but we do nothing with it; the reason is logged."""


class Refused(Ignored):
    """The activity, or the copy it embeds, is not authentic or not allowed (SECURITY.md
    rules 1, 5, 12, 14): the worker drops it entirely, so it is neither recorded nor listed
    in any local inbox where its forged or oversized content would be shown."""
