"""Property-based fuzzing of both inboxes: malformed bodies and headers never cause a 500
or a crash, and every refusal is an `application/problem+json` with a title and a detail.

Why in-process (httpx.ASGITransport on one event loop per module, the app started with its
lifespan so the store and workers run): thousands of requests go through the real routes,
exception handlers and worker at ~1 ms each, with no sockets to flake. No request can leave
the machine: private networks are off and the outbound client's resolver knows no names.

Strategies cover: random JSON, activity-shaped objects with wrong types in every field,
truncated JSON, deep nesting, non-UTF-8 bytes, and random or half-valid Signature /
Signature-Input / Digest / Content-Digest / Date / Content-Type headers. One strategy signs
correctly (independent signer) so that fuzzed activities get past authentication into
parsing, origin checks and the worker's handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedivoisin.config import load_settings
from fedivoisin.http import HttpPolicy, create_http_client
from fedivoisin.protocol.actors import host_of
from fedivoisin.runtime import Runtime
from fedivoisin.store import remote_actors as remote_store
from fedivoisin.store.remote_actors import RemoteActor
from fedivoisin.web.app import create_app

from . import cavage

ORIGIN = "http://127.0.0.1:8999"
SIGNER = "http://127.0.0.1:9/users/fuzzer"  # port 9: nothing listens, nothing is fetched
SIGNER_KEY = cavage.rsa_key("fuzzer")
PATHS = ["/inbox", "/actors/lilas/inbox", "/actors/nobody/inbox"]
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@dataclass
class App:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    runtime: Runtime

    def post(self, path: str, body: bytes, headers: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = self.loop.run_until_complete(
            asyncio.wait_for(self.client.post(path, content=body, headers=headers), 10)
        )
        return response


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.run_until_complete(event_loop.shutdown_asyncgens())
    event_loop.close()


@pytest.fixture
def app(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> Iterator[App]:
    """One started app (lifespan on) shared by every example of a test function."""
    settings_ = load_settings(
        {
            "data_dir": tmp_path,
            "base_url": ORIGIN,
            "allow_private_networks": False,
            "log_level": "critical",
            "worker_poll_interval": 0.05,
        },
        env={},
    )
    asgi = create_app(settings_)
    stack = contextlib.AsyncExitStack()

    async def start() -> App:
        await stack.enter_async_context(asgi.router.lifespan_context(asgi))
        rt: Runtime = asgi.state.runtime
        # No DNS at all: every name is unknown to this static table (and private
        # addresses are refused anyway), so a fuzzed keyId can never reach a network.
        rt.http_client = create_http_client(
            HttpPolicy(user_agent="fuzz", resolver_override={}, total_timeout=2.0)
        )
        from fedivoisin import admin
        from fedivoisin.clock import SystemClock

        await admin.create_community(
            rt.store, SystemClock(), "lilas", name="Lilas", kind="building"
        )
        await remote_store.save(
            rt.store,
            RemoteActor(
                uri=SIGNER,
                type="Person",
                host=host_of(SIGNER),
                preferred_username="fuzzer",
                name=None,
                inbox=SIGNER + "/inbox",
                shared_inbox=None,
                followers=None,
                key_id=SIGNER + "#main-key",
                public_key_pem=cavage.public_pem(SIGNER_KEY),
                document={"id": SIGNER, "type": "Person"},
                fetched_at=time.time(),
            ),
        )
        transport = httpx.ASGITransport(app=asgi)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=ORIGIN, timeout=10)
        )
        return App(loop, client, rt)

    started = loop.run_until_complete(start())
    yield started
    try:  # whatever the examples got accepted, the worker handled without an error
        assert loop.run_until_complete(_drain(started)) == []
    finally:
        loop.run_until_complete(stack.aclose())


# -- strategies ---------------------------------------------------------------------

TEXT = st.text(max_size=40)
LATIN1 = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=120,
)
URLS = (
    st.sampled_from(
        [
            SIGNER,
            SIGNER + "/x",
            ORIGIN + "/actors/lilas",
            ORIGIN + "/objects/1",
            "http://127.0.0.1:9/",
            "https://[::1]/x",
            "http://169.254.169.254/",
            "urn:x",
            "",
            "http://a@b/",
            "https://x.invalid/a",
        ]
    )
    | TEXT
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT | URLS
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=25,
)
FIELDS = [
    "@context",
    "id",
    "type",
    "actor",
    "object",
    "to",
    "cc",
    "bto",
    "audience",
    "target",
    "origin",
    "attributedTo",
    "tag",
    "attachment",
    "content",
    "inReplyTo",
    "oneOf",
    "signature",
    "published",
    "url",
    "name",
    "summary",
    "endTime",
    "proof",
    "instrument",
    "result",
]
JSONLD_KEYWORDS = ["@graph", "@included", "@reverse", "@id", "@type", "@value", "@list"]
TYPES = st.sampled_from(
    [
        "Create",
        "Update",
        "Delete",
        "Follow",
        "Accept",
        "Reject",
        "Undo",
        "Announce",
        "Like",
        "Block",
        "Flag",
        "Move",
        "Question",
        "Note",
        "Join",
        "Leave",
        "Add",
        "Remove",
        "Person",
    ]
)
ACTIVITY_VALUES = JSON | TYPES | URLS


def _dumps(value: Any) -> bytes:
    """stdlib json: unlike orjson it writes integers beyond 64 bits (fuzz material)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


@st.composite
def activities(draw: st.DrawFn, actor: str | None = None) -> dict[str, Any]:
    """Activity-shaped dicts with a random subset of fields, each of a random type."""
    keys = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=10))
    doc: dict[str, Any] = {k: draw(ACTIVITY_VALUES) for k in keys}
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(JSONLD_KEYWORDS))] = draw(JSON)
    if draw(st.integers(0, 3)):
        doc["type"] = draw(TYPES)
    if draw(st.booleans()):
        obj = draw(activities()) if draw(st.integers(0, 3)) == 0 else draw(ACTIVITY_VALUES)
        doc["object"] = obj
    if actor is not None:
        doc["actor"] = actor
        if draw(st.booleans()):
            doc["id"] = actor + "/activities/" + draw(st.text("abc123", min_size=1, max_size=8))
    return doc


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from([0, 1, 1, 1, 1, 2, 3, 4, 5, 6]))
    if kind == 0:
        return _dumps(draw(JSON))
    if kind == 1:  # a plausible activity from the known signer: reaches the signature
        return _dumps(draw(activities(actor=SIGNER)))
    if kind == 2:  # truncated JSON
        full = _dumps(draw(activities()))
        return full[: draw(st.integers(0, max(0, len(full) - 1)))]
    if kind == 3:  # deep nesting, arrays or objects
        depth = draw(st.integers(20, 3000))
        if draw(st.booleans()):
            return b"[" * depth + b"]" * depth
        return b'{"a":' * depth + b"1" + b"}" * depth
    if kind == 4:  # non-UTF-8 / random bytes
        return draw(st.binary(max_size=300)) + draw(
            st.sampled_from([b"\xff\xfe", b"\xc3(", b"\x80"])
        )
    if kind == 5:
        return b""
    doc = draw(activities())  # valid UTF-8 JSON with lone surrogate escapes / odd numbers
    return _dumps(doc)[:-1] + b',"x":"\\ud800","n":1e999999}'


def _header_value(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return strategy.map(lambda s: s.encode("latin-1"))


CONTENT_TYPES = (
    st.sampled_from(
        [
            cavage.AS2,
            'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
            "application/json",
            "text/plain",
            "application/activity+json; charset=utf-16",
            "",
            "*/*",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
        ]
    )
    | LATIN1
)
SIGNATURE_PARAMS = st.lists(
    st.tuples(
        st.sampled_from(["keyId", "algorithm", "headers", "signature", "created", "expires", "x"]),
        st.sampled_from(
            [
                SIGNER + "#main-key",
                "hs2019",
                "rsa-sha256",
                "(request-target) host date digest",
                "(created)",
                "AAAA",
                "=",
                "1700000000",
                "-1",
                "1e400",
                "",
            ]
        )
        | LATIN1,
    ),
    max_size=6,
)
SIGNATURES = (
    SIGNATURE_PARAMS.map(
        lambda ps: ",".join(f'{k}="{v}"' if i % 2 else f"{k}={v}" for i, (k, v) in enumerate(ps))
    )
    | LATIN1
)
SIGNATURE_INPUTS = (
    st.sampled_from(
        [
            'sig1=("@method" "@target-uri" "content-digest");keyid="'
            + SIGNER
            + '#main-key";created=1',
            'sig1=("@method");alg="ed25519"',
            "sig1=",
            "sig1=(",
            '=("a")',
            "sig1=();created=-5",
        ]
    )
    | LATIN1
)
DIGESTS = (
    st.sampled_from(
        [
            "SHA-256=",
            "SHA-256=AAAA",
            "sha-512=xyz",
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        ]
    )
    | LATIN1
)
CONTENT_DIGESTS = (
    st.sampled_from(
        [
            "sha-256=:AAAA:",
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
            "sha-512=::",
            "x",
        ]
    )
    | LATIN1
)
DATES = (
    st.sampled_from(
        [
            "Tue, 20 Apr 2021 02:07:55 GMT",
            cavage.http_date(time.time()),
            "0",
            "Mon, 99 Foo 9999 99:99:99 GMT",
        ]
    )
    | LATIN1
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": _header_value(CONTENT_TYPES),
        "Signature": _header_value(SIGNATURES),
        "Signature-Input": _header_value(SIGNATURE_INPUTS),
        "Digest": _header_value(DIGESTS),
        "Content-Digest": _header_value(CONTENT_DIGESTS),
        "Date": _header_value(DATES),
        "Authorization": _header_value(st.just("Signature ") | st.just("Bearer x") | LATIN1),
        "Host": _header_value(st.sampled_from(["127.0.0.1:8999", "evil.example", ""])),
    },
)


def check(response: httpx.Response) -> None:
    """Never a 5xx; every refusal a problem+json with a non-empty title and detail."""
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/problem+json")
        problem = response.json()
        assert isinstance(problem.get("title"), str) and problem["title"]
        assert isinstance(problem.get("detail"), str) and problem["detail"]


@settings(FUZZ, max_examples=1500)
@given(path=st.sampled_from(PATHS), body=bodies(), headers=HEADERS)
def test_fuzz_inbox_garbage_bodies_and_headers(
    app: App, path: str, body: bytes, headers: dict[str, bytes]
) -> None:
    """Unsigned or randomly "signed" garbage at both inboxes."""
    headers.setdefault("Content-Type", cavage.AS2.encode())
    check(app.post(path, body, headers))


@settings(FUZZ, max_examples=800)
@given(
    path=st.sampled_from(PATHS),
    doc=activities(actor=SIGNER),
    tamper=st.fixed_dictionaries(
        {},
        optional={
            "Digest": _header_value(DIGESTS),
            "Date": _header_value(DATES),
            "Content-Type": _header_value(CONTENT_TYPES),
            "Signature-Input": _header_value(SIGNATURE_INPUTS),
        },
    ),
    covered=st.sampled_from(
        [
            None,
            ("(request-target)", "host", "date"),
            ("date",),
            ("(request-target)", "host", "date", "digest", "content-type"),
        ]
    ),
)
def test_fuzz_inbox_correctly_signed_malformed_activities(
    app: App,
    path: str,
    doc: dict[str, Any],
    tamper: dict[str, bytes],
    covered: tuple[str, ...] | None,
) -> None:
    """Validly signed (by a known key) activity-shaped junk reaches parsing, the origin
    checks and — when accepted — the worker's handlers; sometimes a header is swapped."""
    body = _dumps(doc)
    host, target = ORIGIN.split("://", 1)[1], path
    headers: dict[str, Any] = cavage.sign(
        "POST", host, target, body, key_id=SIGNER + "#main-key", key=SIGNER_KEY, covered=covered
    )
    headers.update(tamper)
    check(app.post(path, body, headers))


@settings(FUZZ, max_examples=300)
@given(doc=activities(actor=SIGNER))
def test_fuzz_worker_never_crashes_on_accepted_junk(app: App, doc: dict[str, Any]) -> None:
    """Whatever a valid signer gets accepted, the inbox worker handles without an error
    (it is dropped, ignored or stored, never a traceback and a retry loop)."""
    doc.setdefault("type", "Create")
    body = _dumps(doc)
    headers = cavage.sign(
        "POST",
        ORIGIN.split("://", 1)[1],
        "/inbox",
        body,
        key_id=SIGNER + "#main-key",
        key=SIGNER_KEY,
    )
    response = app.post("/inbox", body, headers)
    check(response)
    if response.status_code == 202:
        errors = app.loop.run_until_complete(_drain(app))
        assert errors == [], errors


async def _drain(app: App) -> list[str]:
    """Let the inbox worker empty the queue (bounded); the errors it recorded."""
    store = app.runtime.store
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = await store.fetchall(
            "SELECT count(*) AS n FROM received WHERE state = 'pending' AND attempts = 0"
        )
        if rows[0]["n"] == 0:
            break
        await asyncio.sleep(0.005)
    failed = await store.fetchall("SELECT error FROM received WHERE error IS NOT NULL")
    return [r["error"] for r in failed]
