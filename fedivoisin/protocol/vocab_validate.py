"""Strict validation of what local users publish, against ``fedivoisin/schemas/*.json``.

Why: received objects are parsed tolerantly, but what we emit must be exactly the shape
VOCABULARY.md promises so every receiver reads it. The schemas are the source of truth
(ARCHITECTURE.md convention 7); this module adds only the rules JSON Schema cannot say
(an order between two dates, unique option names, a loadable IANA zone, "in the future").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedivoisin.errors import InvalidActivity
from fedivoisin.protocol.vocab_values import as_datetime

__all__ = ["SCHEMA_KINDS", "load_schema", "validate_local"]

#: kind -> schema file stem. ``offer``/``request`` are proposals with that ``purpose``.
SCHEMA_KINDS: Final = {
    "event": "event",
    "proposal": "proposal",
    "offer": "proposal",
    "request": "proposal",
    "alert": "alert",
    "news": "news",
    "poll": "poll",
    "report": "report",
    "note": "note",
}
_SCHEMA_BASE: Final = "https://w3id.org/fedivoisin/schemas/"
_SCHEMA_FILES: Final = ("defs", "event", "proposal", "alert", "news", "poll", "report", "note")
_MAX_DETAIL: Final = 300
_QUOTED = re.compile(r"'([^']+)'")


@cache
def load_schema(stem: str) -> dict[str, Any]:
    """A packaged schema, parsed once."""
    if stem not in _SCHEMA_FILES:
        raise KeyError(stem)
    path = resources.files("fedivoisin").joinpath("schemas", f"{stem}.schema.json")
    schema: dict[str, Any] = json.loads(path.read_bytes())
    return schema


@cache
def _validator(stem: str) -> Any:
    """Draft 2020-12 validator with every packaged schema registered (``$ref`` stays offline)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resources(
        (f"{_SCHEMA_BASE}{name}.schema.json", Resource.from_contents(load_schema(name)))
        for name in _SCHEMA_FILES
    )
    return Draft202012Validator(load_schema(stem), registry=registry)


def validate_local(kind: str, obj: Any, *, now: datetime | None = None) -> None:
    """Raise InvalidActivity naming the first bad field of a locally composed object.

    With ``now``, end dates (event end, alert expiry, poll end) must be in the future.
    """
    stem = SCHEMA_KINDS.get(kind)
    if stem is None:
        raise InvalidActivity(f"kind: unknown kind {kind!r}", field="kind")
    if not isinstance(obj, Mapping):
        raise InvalidActivity("the object must be a JSON object", field="")
    _check_schema(stem, obj)
    if kind in ("offer", "request") and obj.get("purpose") != kind:
        raise InvalidActivity(f"purpose: must be {kind!r} for a {kind}", field="purpose")
    _RULES[stem](obj)
    if now is not None:
        _check_future(stem, obj, now)


def _check_schema(stem: str, obj: Mapping[str, Any]) -> None:
    from jsonschema.exceptions import best_match

    errors = list(_validator(stem).iter_errors(obj))
    # A failure inside the shared base hides its annotations, so unevaluatedProperties then
    # blames every member: report the real failure instead.
    precise = [e for e in errors if e.validator != "unevaluatedProperties"]
    error = best_match(precise or errors)
    if error is None:
        return
    field = _field_of(error)
    detail = f"{field or '(object)'}: {_message(error)}"
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    raise InvalidActivity(detail, internal=f"{detail} [rule {error.validator}]", field=field)


def _message(error: Any) -> str:
    """jsonschema's message, without echoing a whole list or text back."""
    limit = error.validator_value
    if error.validator == "minItems":
        return f"needs at least {limit} items"
    if error.validator == "maxItems":
        return f"allows at most {limit} items"
    if error.validator == "minLength":
        return "must not be empty" if limit == 1 else f"needs at least {limit} characters"
    if error.validator == "maxLength":
        return f"allows at most {limit} characters"
    return str(error.message)


def _field_of(error: Any) -> str:
    """Dotted path of the failing field; for a missing or extra member, that member."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator in ("required", "dependentRequired", "unevaluatedProperties"):
        match = _QUOTED.search(error.message)
        if match:
            parts.append(match.group(1))
    return ".".join(parts)


def _after(obj: Mapping[str, Any], start_key: str, end_key: str, what: str) -> None:
    start, end = as_datetime(obj.get(start_key)), as_datetime(obj.get(end_key))
    if start is not None and end is not None and end <= start:
        raise InvalidActivity(f"{end_key}: {what} must be after {start_key}", field=end_key)


def _check_event(obj: Mapping[str, Any]) -> None:
    _after(obj, "startTime", "endTime", "the end")
    tz = obj.get("timezone")
    if isinstance(tz, str):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidActivity(
                f"timezone: {tz!r} is not an IANA time zone", field="timezone"
            ) from None


def _check_alert(obj: Mapping[str, Any]) -> None:
    if obj.get("alertStatus") == "Draft":
        # CAP keeps Draft in its enumeration, but a draft must never leave the server.
        raise InvalidActivity("alertStatus: a Draft alert is never published", field="alertStatus")
    _after(obj, "startTime", "endTime", "the expiry")
    _after(obj, "published", "endTime", "the expiry")


def _check_poll(obj: Mapping[str, Any]) -> None:
    keys = [k for k in ("oneOf", "anyOf") if k in obj]
    if len(keys) != 1:
        raise InvalidActivity("oneOf: a poll needs exactly one of oneOf or anyOf", field="oneOf")
    options = obj[keys[0]]
    if not 2 <= len(options) <= 20:
        raise InvalidActivity(f"{keys[0]}: a poll has 2 to 20 options", field=keys[0])
    names = [o.get("name") for o in options]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise InvalidActivity(
                f"{keys[0]}.{index}.name: option {name!r} appears twice",
                field=f"{keys[0]}.{index}.name",
            )
    _after(obj, "published", "endTime", "the poll end")


def _check_proposal(obj: Mapping[str, Any]) -> None:
    _after(obj, "published", "endTime", "the expiry")


def _no_rule(obj: Mapping[str, Any]) -> None:
    return None


_RULES: Final = {
    "event": _check_event,
    "proposal": _check_proposal,
    "alert": _check_alert,
    "news": _no_rule,
    "poll": _check_poll,
    "report": _no_rule,
    "note": _no_rule,
}


def _check_future(stem: str, obj: Mapping[str, Any], now: datetime) -> None:
    end = as_datetime(obj.get("endTime"))
    if stem in ("event", "alert", "poll", "proposal") and end is not None and end <= now:
        raise InvalidActivity("endTime: must be in the future", field="endTime")
