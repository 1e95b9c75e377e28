#!/usr/bin/env bash
# Self-check of the Fedify peer: two peers (A, B) on loopback talk to each
# other through their control APIs.  Bounded by timeouts; kills both peers on
# exit; exits 0 only if every step passed.
set -euo pipefail
cd "$(dirname "$0")"

NODE=node_modules/.bin/node
if [[ ! -x $NODE ]]; then
  echo "installing (npm ci)..." >&2
  timeout 300 npm ci --no-audit --no-fund >&2
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for n in A B; do echo "--- peer $n stderr (tail) ---" >&2; tail -n 25 "$WORK/$n.err" >&2 || true; done
  exit 1
}

start_peer() { # name -> sets PORT_<name>
  local name=$1
  "$NODE" peer.mjs --port 0 --log-level warning >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    if grep -q '^LISTENING ' "$WORK/$name.out" 2>/dev/null; then
      printf -v "PORT_$name" '%s' "$(awk '/^LISTENING /{print $2; exit}' "$WORK/$name.out")"
      return 0
    fi
    sleep 0.2
  done
  fail "peer $name did not print LISTENING within 20 s"
}

# ctl PEER METHOD PATH [JSON] -> response body on stdout; HTTP status in $WORK/status
ctl() {
  local port_var="PORT_$1" method=$2 path=$3 data=${4:-}
  local args=(-sS --max-time 40 -o "$WORK/body" -w '%{http_code}' -X "$method" "http://127.0.0.1:${!port_var}$path")
  [[ -n $data ]] && args+=(-H 'content-type: application/json' --data "$data")
  curl "${args[@]}" >"$WORK/status" || fail "curl $method $path failed"
  cat "$WORK/body"
}
status() { cat "$WORK/status"; }
# jget EXPR: evaluate a Python expression on the JSON document `d` read from stdin
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_peer A
start_peer B
A=http://127.0.0.1:$PORT_A/users/alice
B=http://127.0.0.1:$PORT_B/users/alice
echo "peer A: $A"
echo "peer B: $B"

ctl A GET /_control/health | jget 'd["ok"], d["fedify"], d["node"], d["firstKnock"]'

echo "== 1. A looks up B's actor by URL"
out=$(ctl A POST /_control/lookup "{\"url\": \"$B\"}")
[[ $(status) == 200 ]] || fail "lookup: HTTP $(status): $out"
echo "$out" | jget 'd["type"], d["preferredUsername"], d["inbox"], d["publicKey"]["id"], [m["algorithm"] for m in d["assertionMethods"]]'
[[ $(echo "$out" | jget 'd["type"]') == Person ]] || fail "lookup did not return a Person"
[[ $(echo "$out" | jget 'd["publicKey"]["owner"]') == "$B" ]] || fail "publicKey owner mismatch"

echo "== 2. A follows B; B auto-accepts"
out=$(ctl A POST /_control/follow "{\"actor\": \"$B\"}")
[[ $(status) == 200 ]] || fail "follow: HTTP $(status): $out"
FOLLOW_ID=$(echo "$out" | jget 'd["followId"]')
echo "Follow $FOLLOW_ID delivered: $(echo "$out" | jget '[(a["scheme"], a["status"]) for x in d["deliveries"] for a in x["attempts"]]')"
state=""
for _ in $(seq 1 50); do
  state=$(ctl A GET /_control/following | jget "next((f['state'] for f in d if f['actor'] == '$B'), 'missing')")
  [[ $state == accepted ]] && break
  sleep 0.2
done
[[ $state == accepted ]] || fail "A's following of B is '$state', expected accepted"
echo "A following B: $state"
n=$(ctl B GET /_control/followers | jget "sum(1 for f in d if f['actor'] == '$A')")
[[ $n == 1 ]] || fail "B's followers do not contain A"
echo "B followers contain A: yes"
ctl A GET "/_control/received?type=Accept" | jget '[(r["type"], r["objectType"], r["objectId"] == "'"$FOLLOW_ID"'", r["verification"]["verifiedBy"], r["httpSignature"]["scheme"]) for r in d]'

echo "== 3. B posts to its followers; A receives it verified"
out=$(ctl B POST /_control/post '{"content": "<p>Hello from B</p>", "to": ["public"], "cc": ["followers"]}')
[[ $(status) == 200 ]] || fail "post: HTTP $(status): $out"
CREATE_ID=$(echo "$out" | jget 'd["createId"]')
NOTE_ID=$(echo "$out" | jget 'd["noteId"]')
echo "Create delivered to: $(echo "$out" | jget '[(x["inbox"], [(a["scheme"], a["status"]) for a in x["attempts"]]) for x in d["deliveries"]]')"
rec=$(ctl A GET "/_control/received?type=Create&wait=10&id=$CREATE_ID")
[[ $(echo "$rec" | jget 'len(d)') == 1 ]] || fail "A did not receive $CREATE_ID"
echo "$rec" | jget '{k: d[0][k] for k in ("type", "objectType", "objectId", "inbox", "signatureVerified")}'
echo "$rec" | jget '{"httpSignature": (d[0]["httpSignature"]["scheme"], d[0]["httpSignature"]["alg"], d[0]["httpSignature"]["keyId"]), "verifiedBy": d[0]["verification"]["verifiedBy"]}'
[[ $(echo "$rec" | jget 'd[0]["objectType"]') == Note ]] || fail "objectType is not Note"
[[ $(echo "$rec" | jget 'd[0]["objectId"]') == "$NOTE_ID" ]] || fail "objectId mismatch"
[[ $(echo "$rec" | jget 'd[0]["verification"]["activityVerified"]') == True ]] || fail "not verified"
out=$(ctl A POST /_control/lookup-object "{\"url\": \"$NOTE_ID\"}")
[[ $(status) == 200 ]] || fail "lookup-object: HTTP $(status): $out"
echo "A dereferences the note: $(echo "$out" | jget 'd["type"], d["content"]')"

echo "== 4. HTTP-signature-only deliveries (no LD signature / proof), A -> B's shared inbox"
for scheme in rfc9421 draft-cavage none; do
  body="{\"inbox\": \"http://127.0.0.1:$PORT_B/inbox\", \"scheme\": \"$scheme\", \"activity\": {\"@context\": \"https://www.w3.org/ns/activitystreams\", \"type\": \"Like\", \"object\": \"$NOTE_ID\", \"to\": \"$B\"}}"
  out=$(ctl A POST /_control/raw-deliver "$body")
  code=$(echo "$out" | jget 'd["status"]')
  id=$(echo "$out" | jget 'd["id"]')
  if [[ $scheme == none ]]; then
    [[ $code == 401 ]] || fail "unsigned delivery answered $code, expected 401"
    reason=$(ctl B GET "/_control/rejected?wait=5" | jget "next((r['reason'] for r in d if r['id'] == '$id'), 'missing')")
    echo "unsigned Like -> $code, B rejected it: $reason"
  else
    [[ $code == 202 ]] || fail "$scheme delivery answered $code"
    verified=$(ctl B GET "/_control/received?wait=5&id=$id" | jget 'd[0]["verification"]["verifiedBy"], d[0]["httpSignature"]["scheme"], d[0]["objectType"]')
    echo "$scheme-signed Like -> $code, B: $verified"
  fi
done

echo "== 5. A switches first-knock to draft-cavage and sends a Like through Fedify"
ctl A POST /_control/signature-scheme '{"scheme": "draft-cavage"}' | jget 'd'
out=$(ctl A POST /_control/send "{\"activity\": {\"type\": \"Like\", \"object\": \"$NOTE_ID\"}, \"to\": [\"$B\"]}")
[[ $(status) == 200 ]] || fail "send Like: HTTP $(status): $out"
echo "Like attempts: $(echo "$out" | jget '[(a["scheme"], a["alg"], a["status"]) for x in d["deliveries"] for a in x["attempts"]]')"

echo "== 6. A undoes the follow"
out=$(ctl A POST /_control/unfollow "{\"actor\": \"$B\"}")
[[ $(status) == 200 ]] || fail "unfollow: HTTP $(status): $out"
undo=$(ctl B GET "/_control/received?type=Undo&wait=10")
echo "$undo" | jget '[(r["type"], r["objectType"], r["objectId"] == "'"$FOLLOW_ID"'", r["handling"]) for r in d]'
n=$(ctl B GET /_control/followers | jget 'len(d)')
[[ $n == 0 ]] || fail "B still has $n followers after Undo"
n=$(ctl A GET /_control/following | jget 'len(d)')
[[ $n == 0 ]] || fail "A still follows $n actors"
echo "B followers after Undo: 0; A following: 0"

echo "== signature schemes seen on B's inbox"
ctl B GET /_control/inbox-log | python3 -c "$(cat <<'PY'
import json, sys
for e in json.load(sys.stdin):
    s = e["signature"]
    print("  %-7s %-18s sig=%-12s alg=%-16s -> %s verifiedBy=%s" % (
        e["activityType"], e["path"], s["scheme"], s["alg"], e["status"],
        e["verification"].get("verifiedBy")))
PY
)"
echo "== signature schemes of A's outgoing requests"
ctl A GET /_control/outgoing | python3 -c "$(cat <<'PY'
import json, sys
for e in json.load(sys.stdin):
    print("  %-4s %s sig=%s -> %s" % (e["method"], e["url"], e["signature"]["scheme"], e["status"]))
PY
)"

echo "SELFCHECK OK"
