#!/usr/bin/env python3
"""A tiny "neighbourhood platform" bridged into the fediverse through fedivoisin.

What a real platform (a Smiile quartier, a building's intranet) would do, in ~250 lines
of standard library Python and no ActivityPub code:

1. register an app (POST /api/v1/apps) and, once the fedivoisin admin granted it the
   community (`fedivoisin app grant CLIENT_ID COMMUNITY`), get a token
   (client_credentials);
2. start its own small HTTP server on loopback and subscribe it as a webhook
   (POST /api/v1/webhooks) for what the community receives and for RSVPs;
3. post a garden party as an Event for the community (POST /actors/COMMUNITY/outbox);
4. verify every webhook call (HMAC-SHA256 signature, timestamp at most 5 minutes old,
   event id never seen before), and print the replies and RSVPs it gets;
5. exit 0 once it got both a reply to the party and an RSVP (or 1 after --timeout).

    python examples/bridge/platform.py --server http://127.0.0.1:8080 --community les-lilas \
        --admin-data-dir ./fedivoisin-data      # lets the script run `fedivoisin app grant`

Without --admin-data-dir it prints the grant command and waits until the admin ran it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds: older (or future) webhook timestamps are refused (replays)


# -- verifying a webhook call (Standard Webhooks), as any platform would


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 after `whsec_`, else the secret's UTF-8 bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :])
    return secret.encode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    """True when `webhook-signature` holds v1,base64(HMAC-SHA256(key, id.timestamp.body))
    and `webhook-timestamp` is within TOLERANCE seconds of now."""
    event_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not event_id or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False
    mac = hmac.new(secret_key(secret), f"{event_id}.{stamp}.".encode() + body, hashlib.sha256)
    expected = "v1," + base64.b64encode(mac.digest()).decode()
    sent = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, s) for s in sent)


# -- the platform's webhook endpoint


class Inbox:
    """Verified, deduplicated events, handed from the HTTP thread to the main loop."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.rejected = 0

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        if not verify(self.secret, headers, body):
            self.rejected += 1
            print("rejected a webhook call (bad signature or stale timestamp)", flush=True)
            return 401
        with self.lock:
            if headers["webhook-id"] in self.seen:
                return 200  # a retry of something we already have
            self.seen.add(headers["webhook-id"])
        self.events.put(json.loads(body))
        return 200


def serve(inbox: Inbox) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(min(length, 1_048_576))
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(inbox.accept(headers, body))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# -- talking to fedivoisin


def call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    data = None
    headers = {"Accept": "application/json"}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode(errors="replace")


def register(server: str) -> dict[str, Any]:
    status, app = call(
        "POST",
        f"{server}/api/v1/apps",
        form={
            "client_name": "Jardin partagé (example platform)",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write webhooks",
            "website": "https://example.org/jardin",
        },
    )
    if status != 200:
        sys.exit(f"registration failed: {status} {app}")
    print(f"registered app {app['name']!r}: client_id {app['client_id']}", flush=True)
    return app


def token_for(server: str, app: dict[str, Any]) -> str | None:
    status, doc = call(
        "POST",
        f"{server}/oauth/token",
        form={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write webhooks",
        },
    )
    return doc["access_token"] if status == 200 else None


def wait_for_grant(args: argparse.Namespace, app: dict[str, Any]) -> str:
    command = ["fedivoisin", "app", "grant", app["client_id"], args.community]
    if args.admin_data_dir:
        command += ["--data-dir", args.admin_data_dir]
        subprocess.run([args.fedivoisin, *command[1:]], check=True, capture_output=True)
        print(f"the admin granted {args.community} to the app", flush=True)
    else:
        print("ask the fedivoisin admin to run: " + " ".join(command), flush=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        token = token_for(args.server, app)
        if token:
            # The token acts for the community once the grant exists: probe the inbox.
            status, _ = call("GET", f"{args.server}/actors/{args.community}/inbox", token=token)
            if status == 200:
                return token
        time.sleep(0.5)
    sys.exit("no grant arrived in time")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--server", required=True, help="fedivoisin's origin, e.g. http://127.0.0.1:8080"
    )
    p.add_argument("--community", required=True, help="the community this platform serves")
    p.add_argument("--admin-data-dir", help="run `fedivoisin app grant` on this data dir")
    p.add_argument("--fedivoisin", default="fedivoisin", help="the fedivoisin command")
    p.add_argument("--webhook-secret", default=None, help="default: a fresh random secret")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    server = args.server.rstrip("/")
    args.server = server

    app = register(server)
    token = wait_for_grant(args, app)
    print("got a token acting for the community", flush=True)

    secret = args.webhook_secret or secrets.token_urlsafe(32)
    inbox = Inbox(secret)
    http = serve(inbox)
    hook_url = f"http://127.0.0.1:{http.server_address[1]}/fedivoisin"
    status, hook = call(
        "POST",
        f"{server}/api/v1/webhooks",
        token=token,
        json_body={
            "community": args.community,
            "url": hook_url,
            "events": ["activity.received", "rsvp.changed"],
            "secret": secret,
        },
    )
    if status != 201:
        sys.exit(f"webhook subscription failed: {status} {hook}")
    print(f"webhook {hook['id']} listening on {hook_url}", flush=True)

    status, created = call(
        "POST",
        f"{server}/actors/{args.community}/outbox",
        token=token,
        content_type="application/activity+json",
        json_body={
            "type": "Event",
            "name": "Fête du jardin partagé",
            "content": "<p>Apportez un plat, on fournit les boissons !</p>",
            "startTime": "2027-06-05T18:00:00+02:00",
            "endTime": "2027-06-05T22:00:00+02:00",
            "timezone": "Europe/Paris",
            "location": {"type": "Place", "name": "Jardin de la cour"},
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    )
    if status != 201:
        sys.exit(f"posting the event failed: {status} {created}")
    event_id = created["object"]["id"]
    print(f"posted event {event_id}", flush=True)

    got_reply = got_rsvp = False
    deadline = time.monotonic() + args.timeout
    while not (got_reply and got_rsvp) and time.monotonic() < deadline:
        try:
            event = inbox.events.get(timeout=0.5)
        except queue.Empty:
            continue
        data = event["data"]
        if event["type"] == "activity.received":
            activity = data["activity"]
            obj = activity.get("object")
            if isinstance(obj, dict) and obj.get("inReplyTo") == event_id:
                got_reply = True
                print(f"reply from {activity['actor']}: {obj.get('content', '')}", flush=True)
            else:
                print(f"received {activity.get('type')} from {activity.get('actor')}", flush=True)
        elif event["type"] == "rsvp.changed" and data["event"] == event_id:
            got_rsvp = True
            print(f"RSVP: {data['participant']} is {data['state']}", flush=True)
    http.shutdown()
    if got_reply and got_rsvp:
        print("done: the garden party got a reply and an RSVP from the fediverse", flush=True)
        return 0
    print("timed out waiting for a reply and an RSVP", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
