"""SQL written once, for SQLite, translated for PostgreSQL (pure functions, no I/O).

Why translate instead of writing two sets of queries: every module of fedivoisin/store/
keeps one readable statement, and the test suite runs all of them on both engines
(docs/deploy.md "Writing SQL for both engines" lists what is translated and what to avoid).
The translation is small and purely textual, done once per distinct statement (cached):

- placeholders `?` → `%s` (and a literal `%` → `%%`, psycopg's escape);
- `INSERT OR IGNORE` → `INSERT … ON CONFLICT DO NOTHING`;
- `json_extract(x, '$.a.b')` → `(CAST(x AS jsonb) #>> '{a,b}')`, `json_object` →
  `json_build_object`, `instr` → `strpos`, `ifnull` → `coalesce`, `group_concat` →
  `string_agg`, two-argument `max`/`min` → `GREATEST`/`LEAST`;
- `LIKE` → `ILIKE` (SQLite's LIKE ignores ASCII case);
- in migrations: column types (INTEGER PRIMARY KEY → BIGSERIAL, INTEGER → BIGINT, REAL →
  DOUBLE PRECISION, BLOB → BYTEA), SQLite triggers → PL/pgSQL functions and triggers, and
  `julianday('now')` → the epoch clock.
A migration that cannot be expressed this way ships a `NNN_name.pg.sql` twin.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["postgres_migration", "postgres_statement", "split_statements"]


def _segments(sql: str) -> list[tuple[bool, str]]:
    """(is_literal, text) pieces: single-quoted literals apart from the rest."""
    out: list[tuple[bool, str]] = []
    i = 0
    start = 0
    n = len(sql)
    while i < n:
        if sql[i] == "'":
            if i > start:
                out.append((False, sql[start:i]))
            j = i + 1
            while j < n:
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            out.append((True, sql[i : j + 1]))
            i = start = j + 1
            continue
        i += 1
    if start < n:
        out.append((False, sql[start:]))
    return out


def _call_args(sql: str, open_paren: int) -> tuple[list[str], int]:
    """The top-level arguments of the call whose '(' is at open_paren, and the index just
    after its ')'."""
    depth = 0
    args: list[str] = []
    cur = open_paren + 1
    i = open_paren
    quote = False
    while i < len(sql):
        c = sql[i]
        if quote:
            if c == "'":
                quote = False
        elif c == "'":
            quote = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[cur:i])
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(sql[cur:i])
            cur = i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses in SQL: {sql[:80]!r}")


def _rewrite_calls(sql: str, name: str, rewrite: object) -> str:
    """Replace every call `name(...)` (case-insensitive, innermost first via recursion on
    the arguments) by rewrite(args) (or leave it when rewrite returns None)."""
    pattern = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
    out = []
    pos = 0
    while True:
        m = pattern.search(sql, pos)
        if not m:
            out.append(sql[pos:])
            return "".join(out)
        if _inside_literal(sql, m.start()):
            out.append(sql[pos : m.end()])
            pos = m.end()
            continue
        args, end = _call_args(sql, m.end() - 1)
        args = [_rewrite_calls(a, name, rewrite) for a in args]
        replaced = rewrite(args)  # type: ignore[operator]
        out.append(sql[pos : m.start()])
        out.append(replaced if replaced is not None else f"{m.group(0)}{','.join(args)})")
        pos = end


def _inside_literal(sql: str, index: int) -> bool:
    return sql.count("'", 0, index) % 2 == 1


def _json_path(path: str) -> str:
    p = path.strip()
    if not (p.startswith("'$.") and p.endswith("'")):
        raise ValueError(f"unsupported JSON path for PostgreSQL: {path}")
    keys = p[3:-1].split(".")
    return "{" + ",".join(keys) + "}"


def _json_extract(args: list[str]) -> str:
    col, path = args[0].strip(), _json_path(args[1])
    return f"(CAST({col} AS jsonb) #>> '{path}')"


def _group_concat(args: list[str]) -> str:
    expr = args[0].strip()
    distinct = ""
    if expr.upper().startswith("DISTINCT "):
        distinct, expr = "DISTINCT ", expr[9:].strip()
    sep = args[1].strip() if len(args) > 1 else "','"
    return f"string_agg({distinct}CAST({expr} AS TEXT), {sep})"


def _greatest(args: list[str]) -> str | None:
    return f"GREATEST({','.join(args)})" if len(args) > 1 else None


def _least(args: list[str]) -> str | None:
    return f"LEAST({','.join(args)})" if len(args) > 1 else None


_RENAMES = (
    (re.compile(r"\binstr\s*\(", re.I), "strpos("),
    (re.compile(r"\bifnull\s*\(", re.I), "coalesce("),
    (re.compile(r"\bjson_object\s*\(", re.I), "json_build_object("),
    (re.compile(r"(?<!I)\bLIKE\b", re.I), "ILIKE"),
)
_JULIAN_EPOCH = re.compile(r"\(\s*julianday\('now'\)\s*-\s*2440587\.5\s*\)\s*\*\s*86400(\.0)?")
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


def _translate(sql: str) -> str:
    """The engine-neutral rewrites shared by statements and migrations."""
    sql = _JULIAN_EPOCH.sub("extract(epoch from clock_timestamp())", sql)
    sql = _rewrite_calls(sql, "json_extract", _json_extract)
    sql = _rewrite_calls(sql, "group_concat", _group_concat)
    sql = _rewrite_calls(sql, "max", _greatest)
    sql = _rewrite_calls(sql, "min", _least)
    pieces = []
    for literal, text in _segments(sql):
        if not literal:
            for pattern, repl in _RENAMES:
                text = pattern.sub(repl, text)
        pieces.append(text)
    return _insert_or_ignore("".join(pieces))


def _insert_or_ignore(sql: str) -> str:
    if not _INSERT_OR_IGNORE.search(sql):
        return sql
    sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql, count=1).rstrip().rstrip(";")
    m = _RETURNING.search(sql)
    if m and not _inside_literal(sql, m.start()):
        return sql[: m.start()] + "ON CONFLICT DO NOTHING " + sql[m.start() :]
    return sql + " ON CONFLICT DO NOTHING"


@lru_cache(maxsize=4096)
def postgres_statement(sql: str) -> str:
    """One statement as psycopg runs it on PostgreSQL."""
    sql = _translate(sql)
    pieces = []
    for literal, text in _segments(sql):
        text = text.replace("%", "%%")
        if not literal:
            text = text.replace("?", "%s")
        pieces.append(text)
    return "".join(pieces)


# --- migrations --------------------------------------------------------------------------

_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(AFTER|BEFORE)\s+(INSERT|UPDATE|DELETE)"
    r"(?:\s+OF\s+[\w\s,]+?)?\s+ON\s+(\w+)(?:\s+FOR\s+EACH\s+ROW)?(?:\s+WHEN\s+(.*?))?\s+BEGIN\b(.*?)\bEND\s*;",
    re.I | re.S,
)
_TYPES = (
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?", re.I), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bWITHOUT\s+ROWID\b", re.I), ""),
    (re.compile(r"\bIS\s+NOT\s+(NEW|OLD)\.", re.I), r"IS DISTINCT FROM \1."),
)


def _strip_comments(sql: str) -> str:
    """Drop `-- …` comments outside literals (comments may hold apostrophes)."""
    out = []
    i, n, quote = 0, len(sql), False
    while i < n:
        c = sql[i]
        if quote:
            quote = c != "'"
        elif c == "'":
            quote = True
        elif sql.startswith("--", i):
            while i < n and sql[i] != "\n":
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def split_statements(sql: str) -> list[str]:
    """Statements of a script, split on ';' outside literals and $fv$ bodies."""
    out: list[str] = []
    joined = sql
    depth_dollar = False
    start = 0
    i = 0
    quote = False
    while i < len(joined):
        if not depth_dollar and joined[i] == "'":
            quote = not quote
        elif not quote and joined.startswith("$fv$", i):
            depth_dollar = not depth_dollar
            i += 4
            continue
        elif not quote and not depth_dollar and joined[i] == ";":
            stmt = joined[start:i].strip()
            if stmt:
                out.append(stmt)
            start = i + 1
        i += 1
    tail = joined[start:].strip()
    if tail:
        out.append(tail)
    return out


def _trigger(m: re.Match[str]) -> str:
    name, when, event, table, cond, body = m.groups()
    statements = [_translate(s) for s in split_statements(body)]
    body_sql = ";\n  ".join(statements)
    guard = f" WHEN ({cond.strip()})" if cond else ""
    return (
        f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $fv$\n"
        f"BEGIN\n  {body_sql};\n  RETURN NULL;\nEND\n$fv$;\n"
        f"CREATE TRIGGER {name} {when} {event} ON {table} FOR EACH ROW{guard}"
        f" EXECUTE FUNCTION {name}_fn();"
    )


def postgres_migration(sql: str) -> list[str]:
    """A SQLite migration as a list of PostgreSQL statements."""
    sql = _strip_comments(sql)
    sql = _TRIGGER.sub(_trigger, sql)
    out = []
    for stmt in split_statements(sql):
        if re.match(r"\s*PRAGMA\b", stmt, re.I):
            continue
        if not stmt.upper().startswith(("CREATE FUNCTION", "CREATE TRIGGER")):
            stmt = _translate(stmt)
        for pattern, repl in _TYPES:
            stmt = pattern.sub(repl, stmt)
        out.append(stmt)
    return out
