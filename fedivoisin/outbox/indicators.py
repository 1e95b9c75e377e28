"""Town-hall indicators (docs/privacy.md "Indicators"): per community and per closed month,
counts with small ones suppressed (protocol/indicators.py), frozen at first computation;
JSON/CSV for the API and CLI, and a signed `Create{Document}` sent to a town's community,
which adds up what several instances sent (`town_totals`).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import orjson

from ..errors import InvalidInput
from ..protocol.addressing import refs
from ..protocol.indicators import K, aggregate, suppress
from ..runtime import Runtime
from ..store import actors as actor_store
from ..store import indicators as store
from ..store.actors import LocalActor
from .publish import new_id, publish

TERRITORY = "*"
KIND = "fedivoisin:indicators"  # the Document's `name` prefix a town recognises


def month_bounds(month: str) -> tuple[float, float]:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput("month must be YYYY-MM", field="month") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.timestamp(), end.timestamp()


async def month_figures(rt: Runtime, month: str) -> dict[str, Any]:
    """Every local community's published figures for a closed month, and the territory's."""
    start, end = month_bounds(month)
    if end > rt.clock.now():
        raise InvalidInput("indicators are published once the month is over", field="month")
    kept = await store.frozen(rt.store, TERRITORY, month)
    if kept is not None:
        result: dict[str, Any] = orjson.loads(kept)
        return result
    communities = await actor_store.list_actors(rt.store, type_="Group")
    raw = {
        rt.urls.actor(a.slug): await store.raw_counts(rt.store, rt.urls.actor(a.slug), start, end)
        for a in communities
    }
    published, totals = suppress(raw)
    result = {"month": month, "k": K, "communities": published, "territory": totals}
    await store.freeze(rt.store, TERRITORY, month, orjson.dumps(result).decode(), rt.clock.now())
    return result


async def community_figures(rt: Runtime, community: LocalActor, month: str) -> dict[str, Any]:
    figures = await month_figures(rt, month)
    uri = rt.urls.actor(community.slug)
    return {
        "community": uri,
        "month": month,
        "k": figures["k"],
        "figures": figures["communities"].get(uri, {}),
        "territory": figures["territory"],
    }


def as_csv(doc: dict[str, Any]) -> str:
    """community,metric,value rows; an empty value is a suppressed figure."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["month", "community", "metric", "value"])
    rows = doc["communities"] if "communities" in doc else {doc["community"]: doc["figures"]}
    for community, figures in rows.items():
        for metric, value in sorted(figures.items()):
            w.writerow([doc["month"], community, metric, "" if value is None else value])
    for metric, value in sorted(doc["territory"].items()):
        w.writerow([doc["month"], "territory", metric, "" if value is None else value])
    return buf.getvalue()


async def send_to_town(rt: Runtime, community: LocalActor, month: str, town: str) -> dict[str, Any]:
    """The community's published figures, as a signed Create{Document} to a town's
    community (schema.org PropertyValue pairs any server can read; null = suppressed)."""
    doc = await community_figures(rt, community, month)
    start, end = month_bounds(month)
    obj = {
        "id": new_id(rt, "object"),
        "type": "Document",
        "name": f"{KIND} {month}",
        "summary": f"Indicators of {community.name} for {month} (counts below {K} suppressed)",
        "attributedTo": rt.urls.actor(community.slug),
        "startTime": datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endTime": datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "attachment": [
            {"type": "PropertyValue", "name": m, "value": None if v is None else str(v)}
            for m, v in sorted(doc["figures"].items())
        ],
        "to": [town],
    }
    return await publish(rt, community, {"type": "Create", "object": obj, "to": [town]})


def figures_of(obj: dict[str, Any]) -> dict[str, int | None] | None:
    """A received indicators Document's figures (None when it is not one)."""
    if obj.get("type") != "Document" or not str(obj.get("name", "")).startswith(KIND):
        return None
    out: dict[str, int | None] = {}
    for pv in obj.get("attachment") or []:
        if isinstance(pv, dict) and isinstance(pv.get("name"), str):
            v = pv.get("value")
            out[pv["name"]] = int(v) if isinstance(v, str) and v.isdigit() else None
    return out


async def town_totals(rt: Runtime, town: LocalActor, month: str) -> dict[str, Any]:
    """What a town's community received for a month, added up across senders."""
    uri = rt.urls.actor(town.slug)
    parts: dict[str, dict[str, int | None]] = {}
    for sender, obj in await store.received_documents(rt.store):
        if uri not in refs(obj.get("to")) or obj.get("name") != f"{KIND} {month}":
            continue
        figures = figures_of(obj)
        if figures is not None:
            parts[sender] = figures  # the latest per sender
    return {"month": month, "senders": sorted(parts), "totals": aggregate(list(parts.values()))}
