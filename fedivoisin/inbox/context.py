"""What a handler gets: the runtime, the parsed activity, who signed it, where it came in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..protocol.addressing import addressees, ref
from ..protocol.documents import PUBLIC
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
    _addressed: tuple[dict[str, Any], list[str]] | None = field(default=None, repr=False)

    def addressees(self) -> list[str]:
        """addressees(activity), computed once per activity (the worker and the handlers
        ask three times per received Create; docs/performance.md "Inbox processing").
        Callers must not change the list."""
        cached = self._addressed
        if cached is None or cached[0] is not self.activity:
            cached = self._addressed = (self.activity, addressees(self.activity))
        return cached[1]

    def is_public(self) -> bool:
        """addressing.is_public(activity), from the same once-computed addressees."""
        return PUBLIC in self.addressees()

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
