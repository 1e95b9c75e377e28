// fedivoisin interop peer: a real Fedify (2.3.x) ActivityPub server with one
// actor, driven over a small JSON control API under /_control/.
//
// Run with the Node 22 binary installed by npm:  node_modules/.bin/node peer.mjs --port 0
// Prints "LISTENING <port>" on stdout once ready; all logs go to stderr.
//
// Fedify's own checks stay on: HTTP signature verification (RFC 9421 and
// draft-cavage), LD signatures, object integrity proofs, key ownership and
// cross-origin checks.  Only `allowPrivateAddress` is enabled so it can talk
// to 127.0.0.1.  No message queue is configured, so deliveries happen
// immediately and the control API can report each delivery's outcome.

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import process from "node:process";

import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  signRequest,
  verifyObject,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Add,
  Announce,
  Block,
  Create,
  Delete,
  Endpoints,
  Follow,
  isActor,
  Join,
  Leave,
  Like,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Remove,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getTextFormatter } from "@logtape/logtape";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";

const FEDIFY_VERSION = "2.3.6";

// ---------------------------------------------------------------------------
// Command line / environment

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = "true";
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const PORT = Number(args.port ?? process.env.PEER_PORT ?? 0);
const HOST = "127.0.0.1";
const USER = args.username ?? process.env.PEER_USERNAME ?? "alice";
const LOG_LEVEL = args["log-level"] ?? process.env.PEER_LOG_LEVEL ?? "info";
const SCHEMES = {
  "rfc9421": "rfc9421",
  "draft-cavage": "draft-cavage-http-signatures-12",
  "draft-cavage-http-signatures-12": "draft-cavage-http-signatures-12",
  "cavage": "draft-cavage-http-signatures-12",
};
let firstKnock = SCHEMES[args["first-knock"] ?? process.env.PEER_FIRST_KNOCK ?? "rfc9421"];
if (firstKnock == null) {
  process.stderr.write(`unknown --first-knock; use rfc9421 or draft-cavage\n`);
  process.exit(2);
}
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  process.stderr.write(`invalid port\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Logging (stderr only; stdout carries just the LISTENING line)

const textFormatter = getTextFormatter({ timestamp: "date-time" });
await configure({
  sinks: { stderr: (record) => process.stderr.write(textFormatter(record)) },
  // Fedify uses context-local properties; without a store LogTape warns on every request.
  contextLocalStorage: new AsyncLocalStorage(),
  loggers: [
    { category: "fedify", lowestLevel: LOG_LEVEL, sinks: ["stderr"] },
    { category: "peer", lowestLevel: LOG_LEVEL, sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});
function log(...parts) {
  process.stderr.write(`[peer] ${parts.join(" ")}\n`);
}

// ---------------------------------------------------------------------------
// In-memory state

const state = {
  name: "Alice (Fedify peer)",
  summary: "A Fedify test peer for fedivoisin interop tests.",
  deleted: false,
  published: Temporal.Now.instant(),
  followPolicy: args["follow-policy"] ?? process.env.PEER_FOLLOW_POLICY ?? "accept", // accept | reject | manual
  followers: new Map(), // actorId -> { actor (Fedify Actor), followId, since, responseActivityId, responseDelivery }
  following: new Map(), // actorId -> { actor, followId, state, requestedAt, ... }
  notes: new Map(), // noteId -> { note, deleted }
  sent: new Map(), // activityId -> { activity, at }
  received: [],
  rejected: [],
  inboxLog: [],
  outgoing: [],
  seq: 0,
};
const waiters = new Set();
function nextSeq() {
  return ++state.seq;
}
function notifyWaiters() {
  for (const w of [...waiters]) w();
}

let keyPairs = null; // [{privateKey, publicKey}] RSA first, then Ed25519

// ---------------------------------------------------------------------------
// Signature header inspection (observation only; Fedify does the verifying)

function unquote(s) {
  return s?.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

function describeSignature(headers) {
  const input = headers.get("signature-input");
  const sig = headers.get("signature");
  if (input != null) {
    const m = input.match(/^\s*([A-Za-z0-9_.*-]+)=\(([^)]*)\)(.*)$/);
    const params = {};
    if (m) {
      for (const p of m[3].split(";")) {
        const i = p.indexOf("=");
        if (i > 0) params[p.slice(0, i).trim()] = unquote(p.slice(i + 1).trim());
      }
    }
    return {
      scheme: "rfc9421",
      label: m?.[1] ?? null,
      components: m ? m[2].split(/\s+/).filter(Boolean).map(unquote) : [],
      keyId: params.keyid ?? null,
      alg: params.alg ?? null,
      created: params.created != null ? Number(params.created) : null,
    };
  }
  if (sig != null) {
    const params = {};
    for (const m of sig.matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[m[1]] = m[2];
    return {
      scheme: "draft-cavage",
      keyId: params.keyId ?? null,
      alg: params.algorithm ?? null,
      components: (params.headers ?? "date").split(/\s+/).filter(Boolean),
    };
  }
  return { scheme: "none", keyId: null, alg: null, components: [] };
}

// Observe every outgoing HTTP request Fedify makes (deliveries and fetches).
const originalFetch = globalThis.fetch;
globalThis.fetch = async function observedFetch(input, init) {
  const isReq = input instanceof Request;
  const url = isReq ? input.url : String(input);
  const method = (init?.method ?? (isReq ? input.method : "GET")).toUpperCase();
  const headers = new Headers(isReq ? input.headers : undefined);
  if (init?.headers) for (const [k, v] of new Headers(init.headers)) headers.set(k, v);
  const entry = {
    seq: nextSeq(),
    at: new Date().toISOString(),
    method,
    url,
    accept: headers.get("accept"),
    contentType: headers.get("content-type"),
    signature: describeSignature(headers),
    activityId: null,
    activityType: null,
    status: null,
    error: null,
    durationMs: null,
  };
  if (method === "POST" && isReq && init?.body == null) {
    try {
      const body = JSON.parse(await input.clone().text());
      entry.activityId = typeof body.id === "string" ? body.id : null;
      entry.activityType = body.type ?? null;
    } catch { /* not JSON */ }
  }
  state.outgoing.push(entry);
  const started = performance.now();
  try {
    const response = await originalFetch(input, init);
    entry.status = response.status;
    return response;
  } catch (error) {
    entry.error = String(error?.message ?? error);
    throw error;
  } finally {
    entry.durationMs = Math.round(performance.now() - started);
  }
};

// Per-request store so the tracer hook can attach Fedify's own verification
// verdict (from its "activitypub.activity.received" span event) to the
// inbound request record.
const requestStore = new AsyncLocalStorage();

const tracerProvider = new BasicTracerProvider({
  spanProcessors: [{
    onStart() {},
    onEnd(span) {
      const inbound = requestStore.getStore();
      if (inbound == null) return;
      for (const ev of span.events ?? []) {
        if (ev.name !== "activitypub.activity.received") continue;
        const a = ev.attributes ?? {};
        const v = inbound.verification;
        v.activityVerified = a["activitypub.activity.verified"] ?? null;
        v.ldSignatureVerified = a["ld_signatures.verified"] ?? null;
        v.httpSignatureVerified = a["http_signatures.verified"] ?? null;
        v.httpSignatureKeyId = a["http_signatures.key_id"] || null;
        if (a["http_signatures.failure_reason"]) v.httpSignatureFailure = a["http_signatures.failure_reason"];
        v.objectIntegrityProofVerified = v.activityVerified === true &&
          !v.ldSignatureVerified && !v.httpSignatureVerified;
        v.verifiedBy = v.httpSignatureVerified
          ? "http-signature"
          : v.ldSignatureVerified
          ? "ld-signature"
          : v.objectIntegrityProofVerified
          ? "object-integrity-proof"
          : null;
      }
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  }],
});

// ---------------------------------------------------------------------------
// Helpers

class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function href(u) {
  return u == null ? null : (u.href ?? String(u));
}

function requireUrl(value, field) {
  if (typeof value !== "string" || value === "") throw new HttpError(400, `"${field}" must be a URL string`);
  try {
    return new URL(value);
  } catch {
    throw new HttpError(400, `"${field}" is not a valid URL: ${value}`);
  }
}

function asArray(v) {
  if (v == null) return [];
  return Array.isArray(v) ? v : [v];
}

async function safeJsonLd(obj) {
  if (obj == null) return null;
  try {
    return await obj.toJsonLd();
  } catch (error) {
    return { error: `toJsonLd failed: ${error?.message ?? error}` };
  }
}

let BASE = null; // set once listening
let federation = null;

function ctxFor(data = { inbound: null }) {
  return federation.createContext(new URL(BASE), data);
}

function newActivityId(ctx) {
  return ctx.getObjectUri(Activity, { identifier: USER, id: randomUUID() });
}

async function buildActor(ctx, identifier) {
  const pairs = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    name: state.name,
    summary: state.summary,
    url: ctx.getActorUri(identifier),
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    manuallyApprovesFollowers: state.followPolicy === "manual",
    discoverable: true,
    published: state.published,
    publicKey: pairs[0]?.cryptographicKey,
    assertionMethods: pairs.map((p) => p.multikey),
  });
}

// ctx.lookupObject with a timeout; on failure the error carries the HTTP
// requests Fedify made (it swallows fetch errors and returns null).
async function lookup(ctx, url, { signed = false } = {}) {
  const seqBefore = state.seq;
  const fetches = () => state.outgoing.filter((e) => e.seq > seqBefore && e.method === "GET")
    .map((e) => ({ url: e.url, accept: e.accept, signature: e.signature.scheme, status: e.status, error: e.error }));
  let obj;
  try {
    obj = await withTimeout(
      ctx.lookupObject(url, {
        crossOrigin: "throw",
        ...(signed ? { documentLoader: await ctx.getDocumentLoader({ identifier: USER }) } : {}),
      }),
      20000,
      `lookup of ${url.href}`,
    );
  } catch (error) {
    throw new HttpError(502, `Fedify could not look up ${url.href}: ${error?.message ?? error}`, { fetches: fetches() });
  }
  if (obj == null) {
    throw new HttpError(502, `Fedify could not fetch or parse ${url.href} (lookupObject returned null)`, { fetches: fetches() });
  }
  return obj;
}

// Resolve a remote actor by URL through Fedify (unsigned, or signed by alice).
async function resolveActor(ctx, url, { signed = false } = {}) {
  const u = typeof url === "string" ? requireUrl(url, "actor") : url;
  for (const f of [state.followers.get(u.href), state.following.get(u.href)]) {
    if (f?.actor) return f.actor;
  }
  const obj = await lookup(ctx, u, { signed });
  if (!isActor(obj)) {
    throw new HttpError(422, `${u.href} is a ${obj.constructor.name}, not an actor`, { type: obj.constructor.name });
  }
  return obj;
}

// Deliver `activity` from alice.  Recipients are grouped by inbox so each
// inbox gets exactly one POST and its outcome can be reported separately.
async function deliver(ctx, activity, recipients, { followers = false, preferSharedInbox = true } = {}) {
  const all = new Map();
  for (const r of recipients) if (r?.id) all.set(r.id.href, r);
  if (followers) for (const [id, f] of state.followers) if (!all.has(id)) all.set(id, f.actor);
  const groups = new Map();
  const skipped = [];
  for (const [id, r] of all) {
    const inbox = (preferSharedInbox ? r.endpoints?.sharedInbox : null) ?? r.inboxId;
    if (inbox == null) {
      skipped.push({ actor: id, reason: "no inbox" });
      continue;
    }
    if (!groups.has(inbox.href)) groups.set(inbox.href, []);
    groups.get(inbox.href).push(r);
  }
  const activityId = activity.id.href;
  state.sent.set(activityId, { activity, at: new Date().toISOString() });
  const deliveries = await Promise.all([...groups].map(async ([inbox, rs]) => {
    const result = { inbox, recipients: rs.map((r) => r.id.href), ok: false, status: null, error: null };
    try {
      await ctx.sendActivity({ identifier: USER }, rs, activity, { preferSharedInbox, immediate: true });
      result.ok = true;
    } catch (error) {
      result.status = error?.statusCode ?? null;
      result.error = String(error?.message ?? error).slice(0, 2000);
    }
    result.attempts = state.outgoing
      .filter((e) => e.activityId === activityId && e.url === inbox)
      .map((e) => ({ scheme: e.signature.scheme, alg: e.signature.alg, keyId: e.signature.keyId, status: e.status, error: e.error }));
    if (result.ok && result.status == null) result.status = result.attempts.at(-1)?.status ?? null;
    return result;
  }));
  return { id: activityId, deliveries, skipped, ok: deliveries.every((d) => d.ok) };
}

function sendResult(res, result, extra = {}) {
  const body = { ...extra, ...result };
  if (!result.ok) {
    body.error = `delivery failed to ${result.deliveries.filter((d) => !d.ok).map((d) => d.inbox).join(", ")}`;
    return [502, body];
  }
  return [200, body];
}

// Turn "to"/"cc" lists into URLs; "public"/"followers" are accepted aliases.
function audience(ctx, list, field) {
  const urls = [];
  for (const v of asArray(list)) {
    if (v === "public" || v === "Public" || v === "as:Public") urls.push(PUBLIC_COLLECTION);
    else if (v === "followers") urls.push(ctx.getFollowersUri(USER));
    else urls.push(requireUrl(v, field));
  }
  return urls;
}

async function recipientsFrom(ctx, urls) {
  const followersUri = ctx.getFollowersUri(USER).href;
  let followers = false;
  const actors = [];
  const ignored = [];
  for (const u of urls) {
    if (u.href === PUBLIC_COLLECTION.href) continue;
    if (u.href === followersUri) {
      followers = true;
      continue;
    }
    try {
      actors.push(await resolveActor(ctx, u));
    } catch (error) {
      if (error instanceof HttpError && error.status === 422) ignored.push({ url: u.href, reason: error.message });
      else throw error;
    }
  }
  return { followers, actors, ignored };
}

// ---------------------------------------------------------------------------
// Recording received activities

async function recordActivity(ctx, activity, listener) {
  const inbound = ctx.data?.inbound ?? null;
  const raw = inbound?.bodyJson ?? null;
  const objectEmbedded = raw != null && typeof raw.object === "object" && raw.object !== null;
  let object = null;
  let objectError = null;
  // A Delete's object is gone by definition; don't try to fetch a bare URL.
  if (objectEmbedded || !(activity instanceof Delete)) {
    try {
      object = await withTimeout(activity.getObject(), 15000, "getObject");
    } catch (error) {
      objectError = String(error?.message ?? error);
    }
  }
  // FEP-8b32: check the sender's object integrity proof with Fedify's own verifier
  // (it resolves the verificationMethod and requires every actor/attribution to be
  // authenticated by a proof), independently of the HTTP signature.
  let proofVerified = null;
  let proofError = null;
  if (raw != null && raw.proof != null) {
    try {
      const verified = await withTimeout(
        verifyObject(Activity, raw, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader }),
        15000,
        "verifyObject",
      );
      proofVerified = verified != null;
    } catch (error) {
      proofVerified = false;
      proofError = String(error?.message ?? error);
    }
  }
  const rec = {
    seq: nextSeq(),
    receivedAt: new Date().toISOString(),
    proofVerified,
    proofError,
    listener,
    inbox: inbound?.path ?? null,
    recipient: ctx.recipient ?? null,
    id: href(activity.id),
    type: activity.constructor.name,
    actor: href(activity.actorId),
    objectType: object?.constructor?.name ?? null,
    objectId: href(activity.objectId) ?? href(object?.id),
    objectEmbedded,
    objectError,
    // Fedify only calls inbox listeners for activities it authenticated
    // (HTTP signature, LD signature or object integrity proof).
    signatureVerified: true,
    verification: inbound?.verification ?? null,
    httpSignature: inbound?.signature ?? null,
    json: await safeJsonLd(activity),
    object: await safeJsonLd(object),
    raw,
    handling: null,
  };
  state.received.push(rec);
  if (inbound) inbound.activities.push(rec.id);
  log(`received ${rec.type} ${rec.id} from ${rec.actor} object=${rec.objectType} verifiedBy=${rec.verification?.verifiedBy ?? "?"}`);
  notifyWaiters();
  return { rec, object };
}

function findFollowing(predicate) {
  for (const f of state.following.values()) if (predicate(f)) return f;
  return null;
}

async function respondToFollow(ctx, follow, follower, kind) {
  const Cls = kind === "accept" ? Accept : Reject;
  const response = new Cls({
    id: newActivityId(ctx),
    actor: ctx.getActorUri(USER),
    object: follow,
    to: follower.id,
  });
  return await deliver(ctx, response, [follower], { preferSharedInbox: false });
}

// ---------------------------------------------------------------------------
// Federation

function buildFederation() {
  const fed = createFederation({
    kv: new MemoryKvStore(),
    origin: BASE,
    allowPrivateAddress: true,
    firstKnock,
    tracerProvider,
    userAgent: { software: "fedivoisin-fedify-peer/0.1.0" },
  });

  fed
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== USER) return null;
      if (state.deleted) {
        return new Tombstone({ id: ctx.getActorUri(identifier), deleted: state.deletedAt });
      }
      return await buildActor(ctx, identifier);
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === USER ? keyPairs : []));

  fed
    .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
      if (identifier !== USER) return null;
      return {
        items: [...state.followers.values()].map((f) => ({
          id: f.actor.id,
          inboxId: f.actor.inboxId,
          endpoints: f.actor.endpoints,
        })),
      };
    })
    .setCounter((_ctx, identifier) => (identifier === USER ? state.followers.size : null));

  fed
    .setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
      if (identifier !== USER) return null;
      return {
        items: [...state.following.values()].filter((f) => f.state === "accepted").map((f) => f.actor.id),
      };
    })
    .setCounter((_ctx, identifier) =>
      identifier === USER ? [...state.following.values()].filter((f) => f.state === "accepted").length : null
    );

  fed
    .setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) => {
      if (identifier !== USER) return null;
      const items = [...state.sent.values()]
        .map((s) => s.activity)
        .filter((a) => a instanceof Create || a instanceof Announce)
        .reverse();
      return { items };
    })
    .setCounter((_ctx, identifier) =>
      identifier === USER
        ? [...state.sent.values()].filter((s) => s.activity instanceof Create || s.activity instanceof Announce).length
        : null
    );

  fed.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (ctx, values) => {
    if (values.identifier !== USER) return null;
    const entry = state.notes.get(ctx.getObjectUri(Note, values).href);
    return entry == null || entry.deleted ? null : entry.note;
  });

  fed.setObjectDispatcher(Activity, "/users/{identifier}/activities/{id}", (ctx, values) => {
    if (values.identifier !== USER) return null;
    return state.sent.get(ctx.getObjectUri(Activity, values).href)?.activity ?? null;
  });

  fed.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
    software: { name: "fedify-peer", version: "0.1.0" },
    protocols: ["activitypub"],
    openRegistrations: false,
    usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts: state.notes.size, localComments: 0 },
  }));

  const inbox = fed.setInboxListeners("/users/{identifier}/inbox", "/inbox");

  inbox.on(Follow, async (ctx, follow) => {
    const { rec, object } = await recordActivity(ctx, follow, "Follow");
    const me = ctx.getActorUri(USER).href;
    if (href(follow.objectId) !== me) {
      rec.handling = `ignored: object ${href(follow.objectId)} is not ${me}`;
      return;
    }
    void object;
    const follower = await follow.getActor();
    if (follower == null || follower.id == null) {
      rec.handling = "ignored: could not fetch the follower actor";
      return;
    }
    if (href(follower.id) !== href(follow.actorId)) {
      rec.handling = "ignored: fetched actor id differs from Follow.actor";
      return;
    }
    const policy = state.followPolicy;
    if (policy === "manual") {
      state.pendingFollowers ??= new Map();
      state.pendingFollowers.set(follower.id.href, { actor: follower, follow });
      rec.handling = "pending (manual follow policy)";
      return;
    }
    if (policy === "accept") {
      state.followers.set(follower.id.href, {
        actor: follower,
        followId: href(follow.id),
        since: new Date().toISOString(),
        responseDelivery: "pending",
      });
    }
    rec.handling = `${policy === "accept" ? "Accept" : "Reject"} scheduled`;
    // Respond after the inbox POST has been answered (like a queued server).
    setImmediate(async () => {
      try {
        const result = await respondToFollow(ctx, follow, follower, policy);
        rec.handling = `${policy === "accept" ? "Accept" : "Reject"} ${result.id} ${result.ok ? "delivered" : "FAILED"}`;
        rec.response = result;
        const f = state.followers.get(follower.id.href);
        if (f) {
          f.responseActivityId = result.id;
          f.responseDelivery = result.ok ? "delivered" : "failed";
        }
      } catch (error) {
        rec.handling = `response failed: ${error?.message ?? error}`;
        log(`failed to answer Follow ${href(follow.id)}: ${error?.stack ?? error}`);
      }
      notifyWaiters();
    });
  });

  const onAcceptOrReject = (kind) => async (ctx, activity) => {
    const { rec } = await recordActivity(ctx, activity, kind);
    const objectId = href(activity.objectId);
    const actorId = href(activity.actorId);
    let entry = findFollowing((f) => f.followId === objectId);
    let matchedBy = "follow-id";
    if (entry == null) {
      entry = findFollowing((f) => f.actor.id.href === actorId && f.state === "pending");
      matchedBy = "actor";
    }
    if (entry == null) {
      rec.handling = `ignored: no pending Follow matches ${objectId}`;
      return;
    }
    if (entry.actor.id.href !== actorId) {
      rec.handling = `ignored: ${kind} by ${actorId} for a Follow of ${entry.actor.id.href}`;
      return;
    }
    entry.state = kind === "Accept" ? "accepted" : "rejected";
    entry[kind === "Accept" ? "acceptedAt" : "rejectedAt"] = new Date().toISOString();
    entry.responseId = href(activity.id);
    entry.matchedBy = matchedBy;
    rec.handling = `following ${entry.actor.id.href} -> ${entry.state} (matched by ${matchedBy})`;
  };
  inbox.on(Accept, onAcceptOrReject("Accept"));
  inbox.on(Reject, onAcceptOrReject("Reject"));

  inbox.on(Undo, async (ctx, undo) => {
    const { rec, object } = await recordActivity(ctx, undo, "Undo");
    const actorId = href(undo.actorId);
    if (object instanceof Follow) {
      const f = state.followers.get(actorId);
      if (href(object.actorId) !== actorId) {
        rec.handling = "ignored: Undo actor differs from the Follow's actor";
      } else if (f != null) {
        state.followers.delete(actorId);
        rec.handling = `removed follower ${actorId}`;
      } else {
        rec.handling = "no such follower";
      }
    }
  });

  inbox.on(Delete, async (ctx, del) => {
    const { rec } = await recordActivity(ctx, del, "Delete");
    const actorId = href(del.actorId);
    if (href(del.objectId) === actorId) {
      const had = state.followers.delete(actorId) | state.following.delete(actorId);
      rec.handling = `actor deleted${had ? "; removed from followers/following" : ""}`;
    }
  });

  inbox.on(Block, async (ctx, block) => {
    const { rec } = await recordActivity(ctx, block, "Block");
    const actorId = href(block.actorId);
    if (href(block.objectId) === ctx.getActorUri(USER).href) {
      state.followers.delete(actorId);
      const f = state.following.get(actorId);
      if (f) f.state = "blocked";
      rec.handling = "blocked: removed follower, following marked blocked";
    }
  });

  for (const [cls, name] of [
    [Create, "Create"],
    [Update, "Update"],
    [Announce, "Announce"],
    [Like, "Like"],
    [Join, "Join"],
    [Leave, "Leave"],
    [Add, "Add"],
    [Remove, "Remove"],
  ]) {
    inbox.on(cls, async (ctx, activity) => {
      await recordActivity(ctx, activity, name);
    });
  }

  // Catch-all: Fedify dispatches to the nearest registered superclass.
  inbox.on(Activity, async (ctx, activity) => {
    await recordActivity(ctx, activity, "Activity");
  });

  inbox.onError((ctx, error) => {
    log(`inbox listener error: ${error?.stack ?? error}`);
    const inbound = ctx.data?.inbound;
    if (inbound) inbound.listenerError = String(error?.message ?? error);
  });

  // Observe (not override) deliveries Fedify refuses: returning nothing keeps
  // Fedify's default 401 response.
  inbox.onUnverifiedActivity((ctx, activity, reason) => {
    const inbound = ctx.data?.inbound ?? null;
    const entry = {
      seq: nextSeq(),
      at: new Date().toISOString(),
      inbox: inbound?.path ?? null,
      id: href(activity.id),
      type: activity.constructor.name,
      actor: href(activity.actorId),
      reason: reason.type,
      keyId: href(reason.keyId),
      keyFetch: reason.type === "keyFetchError"
        ? ("status" in reason.result
          ? { status: reason.result.status }
          : { error: String(reason.result.error?.message ?? reason.result.error) })
        : null,
      httpSignature: inbound?.signature ?? null,
      raw: inbound?.bodyJson ?? null,
    };
    state.rejected.push(entry);
    log(`REJECTED ${entry.type} ${entry.id}: ${entry.reason} keyId=${entry.keyId}`);
    notifyWaiters();
  });

  // Lets shared-inbox listeners fetch with signed GETs (authorized fetch).
  inbox.setSharedKeyDispatcher(() => ({ identifier: USER }));

  return fed;
}

// ---------------------------------------------------------------------------
// Control API

function summarizeKey(k) {
  return {
    id: href(k.id),
    owner: href(k.ownerId),
    algorithm: k.publicKey?.algorithm?.name ?? null,
  };
}

async function describeActor(actor) {
  const keys = [];
  try {
    for await (const k of actor.getPublicKeys()) keys.push(summarizeKey(k));
  } catch (error) {
    keys.push({ error: String(error?.message ?? error) });
  }
  const multikeys = [];
  try {
    for await (const k of actor.getAssertionMethods()) {
      multikeys.push({ id: href(k.id), controller: href(k.controllerId), algorithm: k.publicKey?.algorithm?.name ?? null });
    }
  } catch (error) {
    multikeys.push({ error: String(error?.message ?? error) });
  }
  return {
    id: href(actor.id),
    type: actor.constructor.name,
    preferredUsername: actor.preferredUsername?.toString() ?? null,
    name: actor.name?.toString() ?? null,
    summary: actor.summary?.toString() ?? null,
    url: href(actor.url?.href ?? actor.url),
    inbox: href(actor.inboxId),
    sharedInbox: href(actor.endpoints?.sharedInbox),
    outbox: href(actor.outboxId),
    followers: href(actor.followersId),
    following: href(actor.followingId),
    manuallyApprovesFollowers: actor.manuallyApprovesFollowers ?? null,
    publicKey: keys[0] ?? null,
    publicKeys: keys,
    assertionMethods: multikeys,
    json: await safeJsonLd(actor),
  };
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj?.[k] !== undefined) out[k] = obj[k];
  return out;
}

const routes = {
  "GET /_control/health": () => [200, {
    ok: true,
    base: BASE,
    actor: `${BASE}/users/${USER}`,
    handle: `acct:${USER}@${new URL(BASE).host}`,
    fedify: FEDIFY_VERSION,
    node: process.version,
    firstKnock,
    followPolicy: state.followPolicy,
  }],

  "GET /_control/received": async (_body, q) => {
    const filter = (r) =>
      (q.get("type") == null || r.type === q.get("type")) &&
      (q.get("objectType") == null || r.objectType === q.get("objectType")) &&
      (q.get("actor") == null || r.actor === q.get("actor")) &&
      (q.get("id") == null || r.id === q.get("id")) &&
      r.seq > Number(q.get("since") ?? 0);
    const min = Number(q.get("min") ?? 1);
    const wait = Math.min(Number(q.get("wait") ?? 0), 60);
    if (wait > 0) await waitFor(() => state.received.filter(filter).length >= min, wait * 1000);
    return [200, state.received.filter(filter)];
  },

  "GET /_control/rejected": async (_body, q) => {
    const wait = Math.min(Number(q.get("wait") ?? 0), 60);
    const since = Number(q.get("since") ?? 0);
    if (wait > 0) await waitFor(() => state.rejected.some((r) => r.seq > since), wait * 1000);
    return [200, state.rejected.filter((r) => r.seq > since)];
  },
  "GET /_control/inbox-log": () => [200, state.inboxLog],
  "GET /_control/outgoing": (_body, q) => [200, state.outgoing.filter((e) =>
    (q.get("activityId") == null || e.activityId === q.get("activityId")) &&
    (q.get("method") == null || e.method === q.get("method")?.toUpperCase())
  )],

  "POST /_control/reset": (body) => {
    state.received.length = 0;
    state.rejected.length = 0;
    state.inboxLog.length = 0;
    state.outgoing.length = 0;
    if (body?.all) {
      state.followers.clear();
      state.following.clear();
      state.pendingFollowers?.clear();
    }
    return [200, { ok: true, all: Boolean(body?.all) }];
  },

  "POST /_control/config": (body) => {
    if (body.followPolicy != null) {
      if (!["accept", "reject", "manual"].includes(body.followPolicy)) {
        throw new HttpError(400, `followPolicy must be accept, reject or manual`);
      }
      state.followPolicy = body.followPolicy;
    }
    return [200, { followPolicy: state.followPolicy, firstKnock }];
  },

  "GET /_control/signature-scheme": () => [200, { scheme: firstKnock, firstKnockSupported: true }],
  "POST /_control/signature-scheme": (body) => {
    const scheme = SCHEMES[body.scheme];
    if (scheme == null) throw new HttpError(400, `"scheme" must be "rfc9421" or "draft-cavage"`);
    firstKnock = scheme;
    // firstKnock is a createFederation option: rebuild the Federation (fresh
    // MemoryKvStore, so the per-server remembered scheme and caches reset).
    federation = buildFederation();
    return [200, { scheme: firstKnock, firstKnockSupported: true, cachesReset: true }];
  },

  "POST /_control/lookup": async (body) => {
    const ctx = ctxFor();
    const url = requireUrl(body.url, "url");
    const obj = await lookup(ctx, url, { signed: Boolean(body.signed) });
    if (!isActor(obj)) throw new HttpError(422, `${url.href} is a ${obj.constructor.name}, not an actor`, { type: obj.constructor.name });
    return [200, await describeActor(obj)];
  },

  "POST /_control/lookup-object": async (body) => {
    const ctx = ctxFor();
    const url = requireUrl(body.url, "url");
    const obj = await lookup(ctx, url, { signed: Boolean(body.signed) });
    const json = await safeJsonLd(obj);
    return [200, {
      id: href(obj.id),
      type: obj.constructor.name,
      isActor: isActor(obj),
      ...pick(json, ["name", "content", "summary", "attributedTo", "inReplyTo", "to", "cc", "published", "updated",
        "startTime", "endTime", "oneOf", "anyOf", "votersCount", "closed", "tag", "attachment", "url"]),
      json,
    }];
  },

  "GET /_control/following": () => [200, [...state.following.values()].map((f) => ({
    actor: f.actor.id.href,
    followId: f.followId,
    state: f.state,
    requestedAt: f.requestedAt,
    acceptedAt: f.acceptedAt ?? null,
    rejectedAt: f.rejectedAt ?? null,
    responseId: f.responseId ?? null,
    matchedBy: f.matchedBy ?? null,
    delivery: f.delivery ?? null,
  }))],

  "GET /_control/followers": () => [200, [...state.followers.values()].map((f) => ({
    actor: f.actor.id.href,
    inbox: href(f.actor.inboxId),
    sharedInbox: href(f.actor.endpoints?.sharedInbox),
    followId: f.followId,
    since: f.since,
    responseActivityId: f.responseActivityId ?? null,
    responseDelivery: f.responseDelivery ?? null,
  }))],

  "GET /_control/follow-requests": () => [200, [...(state.pendingFollowers?.values() ?? [])].map((p) => ({
    actor: p.actor.id.href,
    followId: href(p.follow.id),
  }))],

  // With followPolicy "manual": answer a pending Follow with Accept or Reject.
  "POST /_control/approve": async (body) => {
    const ctx = ctxFor();
    const url = requireUrl(body.actor, "actor");
    const pending = state.pendingFollowers?.get(url.href);
    if (pending == null) throw new HttpError(404, `no pending follow request from ${url.href}`);
    state.pendingFollowers.delete(url.href);
    const kind = body.reject ? "reject" : "accept";
    const result = await respondToFollow(ctx, pending.follow, pending.actor, kind);
    if (kind === "accept") {
      state.followers.set(url.href, {
        actor: pending.actor,
        followId: href(pending.follow.id),
        since: new Date().toISOString(),
        responseActivityId: result.id,
        responseDelivery: result.ok ? "delivered" : "failed",
      });
    }
    return sendResult(null, result, { response: kind === "accept" ? "Accept" : "Reject" });
  },

  "POST /_control/follow": async (body) => {
    const ctx = ctxFor();
    const target = await resolveActor(ctx, body.actor, { signed: Boolean(body.signed) });
    const follow = new Follow({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(USER),
      object: target.id,
      to: target.id,
    });
    const entry = {
      actor: target,
      followId: follow.id.href,
      state: "pending",
      requestedAt: new Date().toISOString(),
    };
    state.following.set(target.id.href, entry);
    const result = await deliver(ctx, follow, [target], { preferSharedInbox: false });
    entry.delivery = result.ok ? "delivered" : "failed";
    if (!result.ok) entry.state = "failed";
    return sendResult(null, result, { followId: follow.id.href, state: entry.state });
  },

  "POST /_control/unfollow": async (body) => {
    const ctx = ctxFor();
    const url = requireUrl(body.actor, "actor");
    const entry = state.following.get(url.href);
    if (entry == null) throw new HttpError(404, `not following ${url.href}`);
    const undo = new Undo({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(USER),
      object: new Follow({ id: new URL(entry.followId), actor: ctx.getActorUri(USER), object: entry.actor.id }),
      to: entry.actor.id,
    });
    const result = await deliver(ctx, undo, [entry.actor], { preferSharedInbox: false });
    if (result.ok) state.following.delete(url.href);
    return sendResult(null, result, { undoId: undo.id.href, followId: entry.followId });
  },

  "POST /_control/post": async (body) => {
    const ctx = ctxFor();
    if (typeof body.content !== "string") throw new HttpError(400, `"content" must be a string`);
    const to = audience(ctx, body.to ?? ["public"], "to");
    const cc = audience(ctx, body.cc ?? (body.to == null ? ["followers"] : []), "cc");
    const tags = [];
    const mentioned = [];
    for (const m of asArray(body.mentions)) {
      const actor = await resolveActor(ctx, m);
      mentioned.push(actor);
      const host = new URL(actor.id.href).host;
      tags.push(new Mention({ href: actor.id, name: `@${actor.preferredUsername ?? "user"}@${host}` }));
      if (![...to, ...cc].some((u) => u.href === actor.id.href)) cc.push(actor.id);
    }
    const id = ctx.getObjectUri(Note, { identifier: USER, id: randomUUID() });
    const published = Temporal.Now.instant();
    const note = new Note({
      id,
      attribution: ctx.getActorUri(USER),
      content: body.content,
      ...(body.summary != null ? { summary: body.summary } : {}),
      ...(body.sensitive != null ? { sensitive: Boolean(body.sensitive) } : {}),
      tos: to,
      ccs: cc,
      replyTarget: body.inReplyTo ? requireUrl(body.inReplyTo, "inReplyTo") : null,
      tags,
      published,
      url: id,
    });
    state.notes.set(id.href, { note, deleted: false });
    const create = new Create({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(USER),
      object: note,
      tos: to,
      ccs: cc,
      published,
    });
    const { followers, actors, ignored } = await recipientsFrom(ctx, [...to, ...cc]);
    const result = await deliver(ctx, create, [...actors, ...mentioned], { followers });
    return sendResult(null, result, { noteId: id.href, createId: create.id.href, ignoredRecipients: ignored });
  },

  "POST /_control/vote": async (body) => {
    const ctx = ctxFor();
    const question = requireUrl(body.question, "question");
    if (typeof body.choice !== "string" || body.choice === "") throw new HttpError(400, `"choice" must be a string`);
    let authorUrl = body.to;
    if (authorUrl == null) {
      const q = await ctx.lookupObject(question, { crossOrigin: "throw" }).catch(() => null);
      authorUrl = href(q?.attributionId);
      if (authorUrl == null) throw new HttpError(400, `"to" missing and the question's author could not be determined`);
    }
    const author = await resolveActor(ctx, authorUrl);
    const id = ctx.getObjectUri(Note, { identifier: USER, id: randomUUID() });
    const note = new Note({
      id,
      attribution: ctx.getActorUri(USER),
      name: body.choice,
      replyTarget: question,
      to: author.id,
      published: Temporal.Now.instant(),
    });
    state.notes.set(id.href, { note, deleted: false });
    const create = new Create({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(USER),
      object: note,
      to: author.id,
    });
    const result = await deliver(ctx, create, [author], { preferSharedInbox: false });
    return sendResult(null, result, { noteId: id.href, createId: create.id.href });
  },

  "POST /_control/join": (body) => joinOrLeave(body, Join),
  "POST /_control/leave": (body) => joinOrLeave(body, Leave),

  "POST /_control/update-profile": async (body) => {
    const ctx = ctxFor();
    if (body.name != null) state.name = String(body.name);
    if (body.summary != null) state.summary = String(body.summary);
    const actor = await buildActor(ctx, USER);
    const update = new Update({
      id: newActivityId(ctx),
      actor: actor.id,
      object: actor,
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(USER),
      updated: Temporal.Now.instant(),
    });
    const { actors } = await recipientsFrom(ctx, audience(ctx, body.to, "to"));
    const result = await deliver(ctx, update, actors, { followers: true });
    return sendResult(null, result, { updateId: update.id.href, name: state.name });
  },

  "POST /_control/delete": async (body) => {
    const ctx = ctxFor();
    const objectId = requireUrl(body.object, "object");
    const entry = state.notes.get(objectId.href);
    if (entry) entry.deleted = true;
    const del = new Delete({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(USER),
      object: new Tombstone({ id: objectId, deleted: Temporal.Now.instant() }),
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(USER),
    });
    const { actors } = await recipientsFrom(ctx, audience(ctx, body.to, "to"));
    const result = await deliver(ctx, del, actors, { followers: body.followers !== false });
    return sendResult(null, result, { deleteId: del.id.href, known: entry != null });
  },

  "POST /_control/delete-actor": async (body) => {
    const ctx = ctxFor();
    const me = ctx.getActorUri(USER);
    const del = new Delete({
      id: newActivityId(ctx),
      actor: me,
      object: me,
      to: PUBLIC_COLLECTION,
    });
    const { actors } = await recipientsFrom(ctx, audience(ctx, body?.to, "to"));
    const following = [...state.following.values()].map((f) => f.actor);
    // Deliver while the actor (and its keys) can still be fetched.
    const result = await deliver(ctx, del, [...actors, ...following], { followers: true });
    state.deleted = true;
    state.deletedAt = Temporal.Now.instant();
    return sendResult(null, result, { deleteId: del.id.href });
  },

  // Generic: send any activity JSON-LD as alice (id and actor filled in).
  "POST /_control/send": async (body) => {
    const ctx = ctxFor();
    if (typeof body.activity !== "object" || body.activity == null) throw new HttpError(400, `"activity" must be an object`);
    const json = { "@context": "https://www.w3.org/ns/activitystreams", ...body.activity };
    json.id ??= newActivityId(ctx).href;
    json.actor ??= ctx.getActorUri(USER).href;
    if (json.actor !== ctx.getActorUri(USER).href) throw new HttpError(400, `"actor" must be ${ctx.getActorUri(USER).href}`);
    let activity;
    try {
      activity = await Activity.fromJsonLd(json, ctx);
    } catch (error) {
      throw new HttpError(400, `Fedify could not parse the activity: ${error?.message ?? error}`);
    }
    const { actors } = await recipientsFrom(ctx, audience(ctx, body.to, "to"));
    const result = await deliver(ctx, activity, actors, {
      followers: Boolean(body.followers),
      preferSharedInbox: body.sharedInbox !== false,
    });
    return sendResult(null, result, { type: activity.constructor.name });
  },

  // Low level: POST `activity` exactly as given (no LD signature, no proof)
  // to `inbox`, HTTP-signed with alice's RSA key using `scheme`
  // ("rfc9421" | "draft-cavage" | "none"), like servers that only do HTTP
  // signatures (Mastodon).  No double-knock.
  "POST /_control/raw-deliver": async (body) => {
    const ctx = ctxFor();
    const inbox = requireUrl(body.inbox, "inbox");
    if (typeof body.activity !== "object" || body.activity == null) throw new HttpError(400, `"activity" must be an object`);
    const scheme = body.scheme ?? "draft-cavage";
    if (scheme !== "none" && SCHEMES[scheme] == null) throw new HttpError(400, `"scheme" must be rfc9421, draft-cavage or none`);
    const json = { ...body.activity };
    json.id ??= newActivityId(ctx).href;
    json.actor ??= ctx.getActorUri(USER).href;
    const payload = new TextEncoder().encode(JSON.stringify(json));
    let request = new Request(inbox, {
      method: "POST",
      headers: { "content-type": body.contentType ?? "application/activity+json", accept: "application/activity+json" },
      body: payload,
    });
    if (scheme !== "none") {
      const rsa = (await ctx.getActorKeyPairs(USER)).find((k) => k.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
      request = await signRequest(request, rsa.privateKey, rsa.keyId, { spec: SCHEMES[scheme], body: payload.buffer });
    }
    let response;
    try {
      response = await withTimeout(fetch(request), 20000, `POST ${inbox.href}`);
    } catch (error) {
      throw new HttpError(502, `POST ${inbox.href} failed: ${error?.message ?? error}`);
    }
    const text = await response.text();
    return [200, { id: json.id, inbox: inbox.href, scheme, status: response.status, ok: response.ok, body: text.slice(0, 2000) }];
  },
};

async function joinOrLeave(body, Cls) {
  const ctx = ctxFor();
  const event = requireUrl(body.event, "event");
  let organiserUrl = body.to;
  if (organiserUrl == null) {
    const ev = await ctx.lookupObject(event, { crossOrigin: "throw" }).catch(() => null);
    organiserUrl = href(ev?.attributionId);
    if (organiserUrl == null) throw new HttpError(400, `"to" missing and the event's organiser could not be determined`);
  }
  const organiser = await resolveActor(ctx, organiserUrl);
  const activity = new Cls({
    id: newActivityId(ctx),
    actor: ctx.getActorUri(USER),
    object: event,
    to: organiser.id,
  });
  const result = await deliver(ctx, activity, [organiser], { preferSharedInbox: false });
  return sendResult(null, result, { [Cls === Join ? "joinId" : "leaveId"]: activity.id.href });
}

function waitFor(predicate, ms) {
  return new Promise((resolve) => {
    if (predicate()) return resolve(true);
    const timer = setTimeout(() => {
      waiters.delete(check);
      resolve(false);
    }, ms);
    const check = () => {
      if (predicate()) {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(true);
      }
    };
    waiters.add(check);
  });
}

// ---------------------------------------------------------------------------
// HTTP server: /_control/* here, everything else to Fedify

function sendJson(res, status, body) {
  const data = Buffer.from(JSON.stringify(body, null, 1));
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": data.length });
  res.end(data);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

async function handleControl(req, res, url, body) {
  const addr = req.socket.remoteAddress ?? "";
  if (!(addr === "127.0.0.1" || addr === "::1" || addr === "::ffff:127.0.0.1")) {
    return sendJson(res, 403, { error: "control API is loopback-only" });
  }
  const handler = routes[`${req.method} ${url.pathname.replace(/\/$/, "")}`];
  if (handler == null) {
    const known = Object.keys(routes).some((k) => k.endsWith(` ${url.pathname}`));
    return sendJson(res, known ? 405 : 404, { error: `${known ? "method not allowed" : "no such control route"}: ${req.method} ${url.pathname}` });
  }
  let json = {};
  if (body.length > 0) {
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      return sendJson(res, 400, { error: "request body is not valid JSON" });
    }
  }
  if (json == null || typeof json !== "object") json = {};
  try {
    const [status, out] = await handler(json, url.searchParams);
    sendJson(res, status, out);
  } catch (error) {
    if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message, ...error.extra });
    log(`control ${req.method} ${url.pathname} failed: ${error?.stack ?? error}`);
    sendJson(res, 500, { error: String(error?.message ?? error) });
  }
}

async function handleFederation(req, res, url, body) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v != null) headers.set(k, v);
  }
  const hasBody = !["GET", "HEAD"].includes(req.method) && body.length > 0;
  const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });
  let inbound = null;
  const isInboxPost = req.method === "POST";
  if (isInboxPost) {
    let bodyJson = null;
    try {
      bodyJson = JSON.parse(body.toString("utf8"));
    } catch { /* Fedify will answer 400 */ }
    inbound = {
      seq: nextSeq(),
      at: new Date().toISOString(),
      path: url.pathname,
      contentType: headers.get("content-type"),
      signature: describeSignature(headers),
      digest: headers.get("digest"),
      contentDigest: headers.get("content-digest"),
      activityId: typeof bodyJson?.id === "string" ? bodyJson.id : null,
      activityType: bodyJson?.type ?? null,
      actor: typeof bodyJson?.actor === "string" ? bodyJson.actor : bodyJson?.actor?.id ?? null,
      hasLdSignature: bodyJson?.signature != null,
      hasProof: bodyJson?.proof != null,
      verification: {},
      activities: [],
      status: null,
      responseBody: null,
      bodyJson,
    };
  }
  const run = () =>
    federation.fetch(request, {
      contextData: { inbound },
      onNotFound: () => new Response(JSON.stringify({ error: "not found" }), { status: 404, headers: { "content-type": "application/json" } }),
      onNotAcceptable: () => new Response(JSON.stringify({ error: "not acceptable: ask for application/activity+json" }), { status: 406, headers: { "content-type": "application/json", vary: "Accept" } }),
    });
  const response = inbound ? await requestStore.run(inbound, run) : await run();
  const out = Buffer.from(await response.arrayBuffer());
  if (inbound) {
    inbound.status = response.status;
    if (response.status >= 300) inbound.responseBody = out.toString("utf8").slice(0, 1000);
    const { bodyJson: _omit, ...logEntry } = inbound;
    state.inboxLog.push(logEntry);
    log(`inbox POST ${url.pathname} ${inbound.activityType} ${inbound.activityId} sig=${inbound.signature.scheme} -> ${response.status}`);
  }
  const outHeaders = {};
  response.headers.forEach((v, k) => { outHeaders[k] = v; });
  res.writeHead(response.status, outHeaders);
  res.end(req.method === "HEAD" ? undefined : out);
}

const server = http.createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? `${HOST}:${server.address().port}`}`);
    if (federation == null) return sendJson(res, 503, { error: "starting" });
    if (url.pathname.startsWith("/_control/")) return await handleControl(req, res, url, body);
    await handleFederation(req, res, url, body);
  } catch (error) {
    log(`request ${req.method} ${req.url} failed: ${error?.stack ?? error}`);
    if (!res.headersSent) sendJson(res, 500, { error: String(error?.message ?? error) });
    else res.destroy();
  }
});
server.keepAliveTimeout = 5000;

process.on("unhandledRejection", (error) => log(`unhandled rejection: ${error?.stack ?? error}`));
process.on("uncaughtException", (error) => log(`uncaught exception: ${error?.stack ?? error}`));
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    log(`${sig}: shutting down`);
    server.close();
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 100);
  });
}

keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

server.listen(PORT, HOST, () => {
  const port = server.address().port;
  BASE = `http://${HOST}:${port}`;
  federation = buildFederation();
  log(`Fedify ${FEDIFY_VERSION} peer on ${BASE} actor ${BASE}/users/${USER} firstKnock=${firstKnock} (node ${process.version})`);
  process.stdout.write(`LISTENING ${port}\n`);
});
