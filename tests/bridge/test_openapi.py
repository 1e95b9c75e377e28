"""OpenAPI 3.1 at /api/openapi.json (issue 10 item 4): merged from per-area fragments,
covering every /api and /oauth route, and checked by schemathesis against a running
server: no server error, no response outside the description."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from fedivoisin.web.app import routes
from fedivoisin.web.routes.openapi_doc import build
from tests.bridge.oauth_helpers import client_token, grant, register
from tests.rig import Instance

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_fragments_merge_and_cover_the_api() -> None:
    doc = build("https://example.org")
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "https://example.org"}]
    documented = set(doc["paths"])
    for route in routes():
        path = getattr(route, "path", "")
        # The bridge API (docs/bridge.md). The Mastodon client API (docs/mastodon-api.md)
        # and the moderation/indicator endpoints (docs/moderation.md) are described there.
        if path.startswith(("/api/v1/apps", "/api/v1/webhooks", "/api/v1/imports", "/oauth/")):
            assert path in documented, f"{path} is not in fedivoisin/web/openapi/*.json"
    schemas = doc["components"]["schemas"]
    for kind in ("Note", "Event", "News", "Alert", "Poll", "Proposal", "Report"):
        assert kind in schemas
    assert "defs.schema.json" not in str(doc)  # every vocabulary $ref made local


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    instance: Instance, tmp_path: Path
) -> None:
    async with instance.http() as c:
        served = await c.get("/api/openapi.json")
    assert served.status_code == 200 and served.json()["info"]["title"]
    await instance.community("les-lilas")
    app = await register(instance, scopes="read write webhooks")
    await grant(instance, app["client_id"], "les-lilas")
    # read + webhooks (not write): the fuzzer exercises every check of the outbox up to
    # the scope, without publishing random activities to random (remote) addressees.
    token = await client_token(instance, app, scope="read webhooks")
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{instance.base_url}/api/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance,response_headers_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "8",
        "--seed",
        "10",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-shrink",
        "--request-timeout",
        "10",
        "--max-redirects",
        "0",
        # Queues a call to the fuzzed URL: it would leave loopback.
        "--exclude-path",
        "/api/v1/webhooks/{id}/test",
        "--header",
        f"Authorization: Bearer {token}",
        "--no-color",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 240)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-6000:]


def test_rendered_reference_in_docs_is_current() -> None:
    from fedivoisin.web.routes.openapi_doc import MD_BEGIN, MD_END, render_markdown

    text = (Path(__file__).resolve().parents[2] / "docs" / "bridge.md").read_text("utf-8")
    section = MD_BEGIN + text.partition(MD_BEGIN)[2].partition(MD_END)[0] + MD_END
    assert section == render_markdown(build("https://your.instance")), (
        "docs/bridge.md is stale: run `python -m fedivoisin.web.routes.openapi_doc`"
    )
