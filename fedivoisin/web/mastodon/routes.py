"""Every Mastodon API route, in one list appended to the app's routes."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, WebSocketRoute

from . import admin, media, streaming
from . import routes_accounts as acc
from . import routes_instance as inst
from . import routes_search as search
from . import routes_statuses as st
from . import routes_timelines as tl

S = "/api/v1/statuses/{id}"
A = "/api/v1/accounts/{id}"


def routes() -> list[BaseRoute]:
    return [
        Route("/api/v1/instance", inst.instance_v1),
        Route("/api/v2/instance", inst.instance_v2),
        Route("/api/fedivoisin/avatar.png", inst.avatar),
        Route("/api/v1/custom_emojis", inst.empty_list),
        Route("/api/v1/filters", inst.empty_list),
        Route("/api/v2/filters", inst.empty_list),
        Route("/api/v1/lists", inst.empty_list),
        Route("/api/v1/announcements", inst.empty_list),
        Route("/api/v1/accounts/verify_credentials", acc.verify_credentials),
        Route("/api/v1/accounts/update_credentials", acc.update_credentials, methods=["PATCH"]),
        Route("/api/v1/accounts/lookup", acc.lookup),
        Route("/api/v1/accounts/relationships", acc.relationships),
        Route(A, acc.get_account),
        Route(A + "/statuses", acc.account_statuses),
        Route(A + "/follow", acc.follow, methods=["POST"]),
        Route(A + "/unfollow", acc.unfollow, methods=["POST"]),
        Route(A + "/followers", acc.followers),
        Route(A + "/following", acc.following),
        Route(A + "/block", acc.block_or_mute, methods=["POST"]),
        Route(A + "/unblock", acc.block_or_mute, methods=["POST"]),
        Route(A + "/mute", acc.block_or_mute, methods=["POST"]),
        Route(A + "/unmute", acc.block_or_mute, methods=["POST"]),
        Route("/api/v1/follow_requests", acc.follow_requests),
        Route("/api/v1/follow_requests/{id}/authorize", acc.answer_request, methods=["POST"]),
        Route("/api/v1/follow_requests/{id}/reject", acc.answer_request, methods=["POST"]),
        Route("/api/v1/blocks", acc.blocks),
        Route("/api/v1/mutes", acc.mutes),
        Route("/api/v1/statuses", st.post_status, methods=["POST"]),
        Route(S, st.get_status, methods=["GET"]),
        Route(S, st.delete_status, methods=["DELETE"]),
        Route(S, st.edit_status, methods=["PUT"]),
        Route(S + "/context", st.context),
        Route(S + "/favourite", st.favourite, methods=["POST"]),
        Route(S + "/unfavourite", st.favourite, methods=["POST"]),
        Route(S + "/reblog", st.reblog, methods=["POST"]),
        Route(S + "/unreblog", st.reblog, methods=["POST"]),
        Route(S + "/pin", st.pin, methods=["POST"]),
        Route(S + "/unpin", st.pin, methods=["POST"]),
        Route(S + "/favourited_by", st.favourited_by),
        Route(S + "/reblogged_by", st.reblogged_by),
        Route("/api/v1/polls/{id}", st.get_poll),
        Route("/api/v1/polls/{id}/votes", st.vote, methods=["POST"]),
        Route("/api/v1/timelines/home", tl.home),
        Route("/api/v1/timelines/public", tl.public),
        Route("/api/v1/timelines/tag/{tag}", tl.tag),
        Route("/api/v1/notifications", tl.notifications),
        Route("/api/v1/notifications/clear", tl.dismiss, methods=["POST"]),
        Route("/api/v1/notifications/{id}", tl.notification),
        Route("/api/v1/notifications/{id}/dismiss", tl.dismiss, methods=["POST"]),
        Route("/api/v1/markers", tl.markers, methods=["GET", "POST"]),
        Route("/api/v2/search", search.search),
        Route("/api/v2/media", media.upload, methods=["POST"]),
        Route("/api/v1/media", media.upload, methods=["POST"]),
        Route("/api/v1/media/{id}", media.get_media, methods=["GET"]),
        Route("/api/v1/media/{id}", media.update_media, methods=["PUT"]),
        Route("/media/{name}", media.serve),
        Route("/api/v1/admin/reports", admin.reports),
        Route("/api/v1/admin/reports/{id}", admin.report),
        Route("/api/v1/admin/reports/{id}/assign_to_self", admin.report_action, methods=["POST"]),
        Route("/api/v1/admin/reports/{id}/unassign", admin.report_action, methods=["POST"]),
        Route("/api/v1/admin/reports/{id}/resolve", admin.report_action, methods=["POST"]),
        Route("/api/v1/admin/reports/{id}/reopen", admin.report_action, methods=["POST"]),
        Route("/api/v1/admin/accounts/{id}", admin.account),
        Route("/api/v1/admin/accounts/{id}/action", admin.account_action, methods=["POST"]),
        WebSocketRoute("/api/v1/streaming", streaming.streaming),
        WebSocketRoute("/api/v1/streaming/", streaming.streaming),
    ]
