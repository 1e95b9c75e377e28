"""Domain blocklists in the Mastodon / GoToSocial CSV format (pure parsing).

Header `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate` (the
leading `#` is optional, columns may come in any order, only `domain` is required); a file
without a header is one domain per line. Severities: suspend, silence (GoToSocial and
Mastodon's older exports say `limit`), noop.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

SEVERITIES = ("suspend", "silence", "noop")
_ALIASES = {"limit": "silence", "limited": "silence", "none": "noop", "": "suspend"}
_TRUE = {"true", "1", "yes", "t"}


@dataclass(frozen=True)
class DomainPolicy:
    domain: str
    severity: str = "suspend"
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    obfuscate: bool = False


class BlocklistError(ValueError):
    """The text is not a blocklist we can read."""


def parse_severity(value: str) -> str:
    v = value.strip().lower()
    v = _ALIASES.get(v, v)
    if v not in SEVERITIES:
        raise BlocklistError(f"unknown severity {value!r}: expected one of {', '.join(SEVERITIES)}")
    return v


def parse_csv(text: str, *, max_rows: int = 100_000) -> list[DomainPolicy]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    first = [c.strip().lstrip("#").strip().lower() for c in next(csv.reader([lines[0]]))]
    if "domain" not in first:
        return [DomainPolicy(domain=ln.strip().split(",")[0].strip()) for ln in lines[:max_rows]]
    out: list[DomainPolicy] = []
    for i, row in enumerate(csv.reader(io.StringIO("\n".join(lines[1:])))):
        if i >= max_rows:
            raise BlocklistError(f"more than {max_rows} rows")
        cells = dict(zip(first, (c.strip() for c in row), strict=False))
        domain = cells.get("domain", "")
        if not domain:
            continue
        out.append(
            DomainPolicy(
                domain=domain,
                severity=parse_severity(cells.get("severity", "")),
                reject_media=cells.get("reject_media", "").lower() in _TRUE,
                reject_reports=cells.get("reject_reports", "").lower() in _TRUE,
                public_comment=cells.get("public_comment", ""),
                obfuscate=cells.get("obfuscate", "").lower() in _TRUE,
            )
        )
    return out
