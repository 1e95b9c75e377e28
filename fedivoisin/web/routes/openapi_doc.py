"""GET /api/openapi.json: the OpenAPI 3.1 description, merged from per-area fragments.

Each area keeps its own fragment in `fedivoisin/web/openapi/NNN_area.json` (paths,
components, tags, webhooks), so engineers add their paths without touching anyone
else's; fragments are merged in file-name order and a path, method or component defined
twice is an error (caught by tests/bridge/test_openapi.py). The vocabulary's JSON Schemas
(`fedivoisin/schemas/`) are added as components, their cross-file `$ref`s rewritten to
local ones, so the C2S request bodies are described by the very schemas that validate
them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .common import runtime

CACHE_KEY = "openapi_document"
#: Components every fragment may repeat (so each stays a valid document on its own): the
#: first definition is kept. Any other name defined twice is an error.
SHARED = frozenset(
    {("schemas", "Problem"), ("securitySchemes", "bearer"), ("securitySchemes", "oauth2")}
)
#: Top-level keys of a standalone fragment that the base (000_base.json) owns.
BASE_OWNED = frozenset({"openapi", "info", "servers", "jsonSchemaDialect"})
DEFS_PREFIX = "defs.schema.json#/$defs/"


def _merge(doc: dict[str, Any], fragment: dict[str, Any], source: str) -> None:
    for key, value in fragment.items():
        if key in ("paths", "webhooks"):
            target = doc.setdefault(key, {})
            for path, item in value.items():
                methods = target.setdefault(path, {})
                for method, op in item.items():
                    if method in methods and method != "parameters":
                        raise ValueError(f"{source}: {method.upper()} {path} is already described")
                    methods[method] = op
        elif key == "components":
            comps = doc.setdefault("components", {})
            for section, entries in value.items():
                target = comps.setdefault(section, {})
                for name, entry in entries.items():
                    if name in target:
                        if target[name] == entry or (section, name) in SHARED:
                            continue
                        raise ValueError(f"{source}: components.{section}.{name} already exists")
                    target[name] = entry
        elif key == "tags":
            known = {t["name"] for t in doc.setdefault("tags", [])}
            doc["tags"].extend(t for t in value if t["name"] not in known)
        elif key not in doc:
            doc[key] = value
        elif key in BASE_OWNED:
            continue
        else:
            raise ValueError(f"{source}: top-level {key!r} is set by an earlier fragment")


def _rewrite(node: Any, local: str = "") -> Any:
    """Drop $schema/$id; point `defs.schema.json#/$defs/X` at `vocab_X` and a schema's own
    `#/$defs/X` at `<local>X`."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("$schema", "$id"):
                continue
            if k == "$ref" and isinstance(v, str) and v.startswith(DEFS_PREFIX):
                v = "#/components/schemas/vocab_" + v[len(DEFS_PREFIX) :]
            elif k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                v = "#/components/schemas/" + local + v[len("#/$defs/") :]
            out[k] = _rewrite(v, local)
        return out
    if isinstance(node, list):
        return [_rewrite(v, local) for v in node]
    return node


def vocabulary_schemas() -> dict[str, Any]:
    """Components for the vocabulary: `vocab_<def>` for shared definitions, `Event`,
    `Note`… for each kind."""
    found: dict[str, Any] = {}
    for entry in resources.files("fedivoisin").joinpath("schemas").iterdir():
        if not entry.name.endswith(".schema.json"):
            continue
        schema = json.loads(entry.read_text("utf-8"))
        stem = entry.name[: -len(".schema.json")]
        if stem == "defs":
            for name, sub in schema.get("$defs", {}).items():
                found["vocab_" + name] = _rewrite(sub, "vocab_")
        else:
            kind = stem.capitalize()
            for name, sub in schema.pop("$defs", {}).items():
                found[f"{kind}_{name}"] = _rewrite(sub, f"{kind}_")
            found[kind] = _rewrite(schema, f"{kind}_")
    return found


def build(origin: str) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    folder = resources.files("fedivoisin.web").joinpath("openapi")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            _merge(doc, json.loads(entry.read_text("utf-8")), entry.name)
    _merge(doc, {"components": {"schemas": vocabulary_schemas()}}, "fedivoisin/schemas")
    doc["servers"] = [{"url": origin}]
    return doc


async def openapi_json(request: Request) -> Response:
    rt = runtime(request)
    body = rt.caches.get(CACHE_KEY)
    if body is None:
        body = json.dumps(build(rt.settings.origin), ensure_ascii=False).encode()
        rt.caches[CACHE_KEY] = body
    return Response(
        body,
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


# -- the rendered reference in docs/bridge.md

MD_BEGIN = "<!-- openapi:begin (generated: python -m fedivoisin.web.routes.openapi_doc) -->"
MD_END = "<!-- openapi:end -->"


def render_markdown(doc: dict[str, Any]) -> str:
    """The operations as a Markdown reference: one table per tag."""
    by_tag: dict[str, list[str]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            auth = "bearer" if op.get("security") else "—"
            codes = ", ".join(c for c in op.get("responses", {}) if c != "default")
            row = f"| `{method.upper()} {path}` | {op.get('summary', '')} | {auth} | {codes} |"
            by_tag.setdefault((op.get("tags") or ["other"])[0], []).append(row)
    out = [MD_BEGIN, ""]
    descriptions = {t["name"]: t.get("description", "") for t in doc.get("tags", [])}
    for tag, rows in by_tag.items():
        out += [f"**{tag}** — {descriptions.get(tag, '')}", ""]
        out += ["| operation | what | auth | answers |", "|---|---|---|---|", *rows, ""]
    kinds = sorted(k for k in doc["components"]["schemas"] if k[0].isupper() and "_" not in k)
    out += [f"Schemas: {', '.join(f'`{k}`' for k in kinds)}.", "", MD_END]
    return "\n".join(out)


def refresh_docs(path: str = "docs/bridge.md") -> bool:
    """Rewrite the generated section of docs/bridge.md; True when it changed."""
    from pathlib import Path

    file = Path(path)
    text = file.read_text("utf-8")
    head, _, rest = text.partition(MD_BEGIN)
    _, _, tail = rest.partition(MD_END)
    new = head + render_markdown(build("https://your.instance")) + tail
    if new != text:
        file.write_text(new, "utf-8")
    return new != text


if __name__ == "__main__":
    print("docs/bridge.md updated" if refresh_docs() else "docs/bridge.md is up to date")
