"""Inbox side of citizen reports: the responsible actor's reply carrying `reportStatus`
(a Note in reply to our report), from a remote service or a local one."""

from __future__ import annotations

from typing import Any

from ...outbox import reports
from ...protocol.addressing import ref
from ...store import activities as activity_store
from ..context import Ctx
from . import content


async def on_create(ctx: Ctx, obj: dict[str, Any]) -> None:
    if "reportStatus" not in obj:
        return
    report = await activity_store.get_object(ctx.rt.store, ref(obj.get("inReplyTo")) or "")
    if report is None or not report.local or report.kind != "report" or report.deleted:
        return
    await reports.apply_reply(ctx.rt, report, ctx.actor, obj)


def register() -> None:
    content.CREATE_HOOKS.append(on_create)
