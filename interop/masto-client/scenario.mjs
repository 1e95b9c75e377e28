// masto.js (the library Elk and Phanpy are built on) driving a fedivoisin server through
// the acceptance scenario of issue 11. Every response is checked against masto's own
// TypeScript entity declarations (the non-optional members of Account, Status, Poll,
// Notification, Relationship, Context, Instance): a missing one fails the run.
//
// Environment: BASE (our server), USERNAME/PASSWORD (the resident), BOB_TOKEN (a second
// resident), OTHER_BASE + COMMUNITY + COMMUNITY_TOKEN (a community on a second instance).
import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOAuthAPIClient, createRestAPIClient } from "masto";

const env = process.env;
const here = dirname(fileURLToPath(import.meta.url));
const ENTITIES = join(here, "node_modules/masto/dist/esm/mastodon/entities");
const REDIRECT = "http://127.0.0.1:9/callback";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

// -- typed models: required members read from masto's declarations ----------------------
function required(file, name) {
  const src = readFileSync(join(ENTITIES, file), "utf8");
  const m = src.match(new RegExp(`interface ${name}(?:<[^>]*>)? \\{([\\s\\S]*?)\\n\\}`));
  if (!m) throw new Error(`no interface ${name} in ${file}`);
  const out = {};
  for (const line of m[1].split("\n")) {
    const p = line.match(/^ {4}(?:readonly )?([A-Za-z_]+)(\??): (.*);$/);
    if (p && !p[2]) out[p[1]] = p[3].includes("null");
  }
  return out;
}
const MODELS = {
  Account: required("v1/account.d.ts", "Account"),
  Status: required("v1/status.d.ts", "Status"),
  Poll: required("v1/poll.d.ts", "Poll"),
  Relationship: required("v1/relationship.d.ts", "Relationship"),
  Context: required("v1/context.d.ts", "Context"),
  Notification: required("v1/notification.d.ts", "BaseNotification"),
  Instance: required("v2/instance.d.ts", "Instance"),
};
const NESTED = {
  Status: { account: "Account", reblog: "Status", poll: "Poll" },
  Notification: { account: "Account", status: "Status" },
  Context: {},
};
const problems = [];
function check(model, value, path = model) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => check(model, v, `${path}[${i}]`));
    return value;
  }
  if (value === null || typeof value !== "object") {
    problems.push(`${path} is not an object`);
    return value;
  }
  for (const [key, nullable] of Object.entries(MODELS[model])) {
    if (!(key in value) || value[key] === undefined) problems.push(`${path}.${key} missing`);
    else if (value[key] === null && !nullable) problems.push(`${path}.${key} is null`);
  }
  for (const [key, sub] of Object.entries(NESTED[model] ?? {})) {
    if (value[key]) check(sub, value[key], `${path}.${key}`);
  }
  if (model === "Context") {
    check("Status", value.ancestors, `${path}.ancestors`);
    check("Status", value.descendants, `${path}.descendants`);
  }
  return value;
}

async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// -- the OAuth dance with PKCE, the consent form submitted as a browser would --------------
async function authorise(app) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const url = new URL("/oauth/authorize", env.BASE);
  for (const [k, v] of Object.entries({
    response_type: "code", client_id: app.clientId, redirect_uri: REDIRECT,
    scope: "read write follow", state: "s1", code_challenge: challenge,
    code_challenge_method: "S256",
  })) url.searchParams.set(k, v);
  const page = await fetch(url);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    form.set(m[1], m[2].replaceAll("&amp;", "&").replaceAll("&#x27;", "'").replaceAll("&quot;", '"'));
  }
  form.set("username", env.USERNAME);
  form.set("password", env.PASSWORD);
  form.set("decision", "approve");
  // The consent form is protected by a CSRF cookie: send back what the page set.
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const answer = await fetch(new URL("/oauth/authorize", env.BASE), {
    method: "POST", body: form, redirect: "manual", headers: { cookie },
  });
  if (answer.status !== 302) throw new Error(`consent refused: ${answer.status} ${await answer.text()}`);
  const code = new URL(answer.headers.get("location")).searchParams.get("code");
  const oauth = createOAuthAPIClient({ url: env.BASE });
  const token = await oauth.token.create({
    grantType: "authorization_code", clientId: app.clientId, clientSecret: app.clientSecret,
    redirectUri: REDIRECT, code, codeVerifier: verifier, scope: "read write follow",
  });
  return token.accessToken;
}

const anon = createRestAPIClient({ url: env.BASE });
const app = await anon.v1.apps.create({
  clientName: "Voisins (masto.js)", redirectUris: REDIRECT, scopes: "read write follow",
});
const masto = createRestAPIClient({ url: env.BASE, accessToken: await authorise(app) });
const bob = createRestAPIClient({ url: env.BASE, accessToken: env.BOB_TOKEN });

const me = check("Account", await masto.v1.accounts.verifyCredentials());
check("Instance", await masto.v2.instance.fetch());
const bobAccount = check("Account", await masto.v1.accounts.lookup({ acct: "bob" }));
check("Relationship", await masto.v1.accounts.$select(bobAccount.id).follow());
await waitFor(async () => {
  const [rel] = await masto.v1.accounts.relationships.fetch({ id: [bobAccount.id] });
  return check("Relationship", rel).following;
}, "following bob");

const poll = check("Status", await bob.v1.statuses.create({
  status: "Quel soir ?", poll: { options: ["jeudi", "vendredi"], expiresIn: 3600 },
}));
const status = check("Status", await masto.v1.statuses.create({
  status: "Bonjour depuis masto.js #lilas", visibility: "public",
}));
const reply = check("Status", await bob.v1.statuses.create({
  status: "Bonjour !", inReplyToId: status.id,
}));
const fav = check("Status", await bob.v1.statuses.$select(status.id).favourite());
const boost = check("Status", await bob.v1.statuses.$select(status.id).reblog());
const voted = check("Poll", await masto.v1.polls.$select(poll.poll.id).votes.create({ choices: [0] }));
if (!fav.favourited || boost.reblog?.id !== status.id || !voted.voted) {
  throw new Error(`favourite, reblog or vote not reflected: ${JSON.stringify([fav.favourited, boost.reblog?.id, status.id, voted])}`);
}
const context = check("Context", await masto.v1.statuses.$select(status.id).context.fetch());
if (context.descendants[0]?.id !== reply.id) throw new Error("reply missing from context");

await waitFor(async () => {
  const home = check("Status", await masto.v1.timelines.home.list({ limit: 40 }));
  return home.some((s) => s.id === poll.id);
}, "the poll in the home timeline");
const notifications = await waitFor(async () => {
  const list = check("Notification", await masto.v1.notifications.list());
  const kinds = new Set(list.map((n) => n.type));
  return ["favourite", "reblog", "mention"].every((k) => kinds.has(k)) && list;
}, "favourite, reblog and mention notifications");

// The community of the second instance: WebFinger through search, follow = join.
const found = await masto.v2.search.list({ q: env.COMMUNITY, resolve: true });
const community = check("Account", found.accounts[0]);
if (!community.group) throw new Error("a community must be a group account");
await masto.v1.accounts.$select(community.id).follow();
await waitFor(async () => {
  const [rel] = await masto.v1.accounts.relationships.fetch({ id: [community.id] });
  return rel.following;
}, "joining the community");
const posted = await fetch(new URL(`/actors/${env.COMMUNITY_SLUG}/outbox`, env.OTHER_BASE), {
  method: "POST",
  headers: { authorization: `Bearer ${env.COMMUNITY_TOKEN}`, "content-type": "application/activity+json" },
  body: JSON.stringify({
    type: "Event", name: "Vide-grenier", content: "<p>Dans la cour.</p>",
    startTime: "2031-05-10T09:00:00+02:00", endTime: "2031-05-10T17:00:00+02:00",
    timezone: "Europe/Paris", joinMode: "free", audience: env.COMMUNITY_URI,
    to: [PUBLIC], cc: [`${env.COMMUNITY_URI}/followers`],
  }),
});
const eventUri = (await posted.json()).object.id;
const event = await waitFor(async () => {
  const home = check("Status", await masto.v1.timelines.home.list({ limit: 40 }));
  return home.find((s) => s.uri === eventUri);
}, "the community's event in the home timeline");
const rsvp = check("Status", await masto.v1.statuses.$select(event.id).favourite());
if (!rsvp.favourited) throw new Error("RSVP not reflected");

const deleted = check("Status", await masto.v1.statuses.$select(status.id).remove());
let gone = false;
try { await masto.v1.statuses.$select(status.id).fetch(); } catch (e) { gone = e.statusCode === 404; }
if (!gone) throw new Error("a deleted status must answer 404");

if (problems.length) {
  console.log(JSON.stringify({ ok: false, problems: [...new Set(problems)].slice(0, 40) }));
  process.exit(1);
}
console.log(JSON.stringify({
  ok: true, me: me.acct, event: eventUri, deleted: deleted.id,
  notifications: notifications.map((n) => n.type),
}));
