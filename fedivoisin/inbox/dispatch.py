"""Route a received activity to its handler: {activity type: handler}."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from . import block_gate
from .context import Ctx, Ignored
from .handlers import community, content, follow, moderation
from .handlers import events as event_handlers
from .handlers import polls as poll_handlers
from .handlers import reblogs as reblog_handlers
from .handlers import reports as report_handlers

Handler = Callable[[Ctx], Awaitable[None]]

HANDLERS: dict[str, Handler] = {
    "Follow": follow.on_follow,
    "Accept": follow.on_accept,
    "Reject": follow.on_reject,
    "Undo": follow.on_undo,
    "Create": content.on_create,
    "Update": content.on_update,
    "Delete": content.on_delete,
    "Announce": content.on_announce,
    "Join": community.on_join_activity,
    "Leave": community.on_leave_activity,
    "Like": content.on_record_only,
    "Add": content.on_record_only,
    "Remove": content.on_record_only,
    "EmojiReact": content.on_record_only,
    "Block": content.on_record_only,
    "Flag": moderation.on_flag,
    "Move": moderation.on_move,
}


community.register()
event_handlers.register()
poll_handlers.register()
report_handlers.register()
reblog_handlers.register()


def register(type_: str, handler: Handler) -> None:
    HANDLERS[type_] = handler


async def dispatch(ctx: Ctx) -> None:
    handler = HANDLERS.get(ctx.type)
    if handler is None:
        raise Ignored(f"{ctx.type} activities are not handled")
    await block_gate.check(ctx)
    await handler(ctx)
