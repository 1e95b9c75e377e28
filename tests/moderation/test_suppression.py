"""k = 5 suppression (protocol/indicators.py) on crafted data: no published figure, nor any
combination of them (differences between months, a community against the territory
total), determines a count below 5."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from fedivoisin.protocol.indicators import K, aggregate, suppress, suppress_metric


def determined(unknowns: list[str], equations: list[dict[str, int]], cell: str) -> bool:
    """Is `cell` fixed by the published equations (each: unknown → coefficient, over the
    suppressed cells only)? True iff its unit vector lies in the equations' row space."""

    def rank(rows: list[list[Fraction]]) -> int:
        rows = [r[:] for r in rows]
        r = 0
        for col in range(len(unknowns)):
            pivot = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
            if pivot is None:
                continue
            rows[r], rows[pivot] = rows[pivot], rows[r]
            for i in range(len(rows)):
                if i != r and rows[i][col] != 0:
                    f = rows[i][col] / rows[r][col]
                    rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
            r += 1
        return r

    matrix = [[Fraction(eq.get(u, 0)) for u in unknowns] for eq in equations]
    unit = [Fraction(1 if u == cell else 0) for u in unknowns]
    return rank([*matrix, unit]) == rank(matrix)


def attack(months: list[dict[str, dict[str, int]]], metric: str) -> list[tuple[int, str, int]]:
    """Every (month, community, value<K) an attacker holding all months' publications can
    solve for, or whose suppressed companions sum to a count below K."""
    found = []
    unknowns: list[str] = []
    equations: list[dict[str, int]] = []
    small: list[tuple[int, str, int, str]] = []
    for i, table in enumerate(months):
        published, totals = suppress(table)
        hidden = [c for c in table if published[c][metric] is None]
        names = [f"{i}:{c}" for c in hidden]
        unknowns += names
        if totals[metric] is not None and hidden:
            equations.append(dict.fromkeys(names, 1))
            if sum(table[c][metric] for c in hidden) < K:
                found.append((i, "sum of suppressed", sum(table[c][metric] for c in hidden)))
        for c in hidden:
            if table[c][metric] < K:
                small.append((i, c, table[c][metric], f"{i}:{c}"))
        for c in table:
            v = published[c][metric]
            assert v is None or v >= K, (c, v)
        t = totals[metric]
        assert t is None or t >= K
    for i, c, v, name in small:
        if determined(unknowns, equations, name):
            found.append((i, c, v))
    return found


def test_a_month_with_three_participants_survives_differencing() -> None:
    october = {
        "lilas": {"participants": 3},
        "tilleuls": {"participants": 12},
        "acacias": {"participants": 9},
    }
    november = {
        "lilas": {"participants": 8},
        "tilleuls": {"participants": 12},
        "acacias": {"participants": 9},
    }
    published, totals = suppress(october)
    assert published["lilas"]["participants"] is None
    # complementary suppression: the total alone would give 24 - 12 - 9 = 3
    assert totals["participants"] == 24
    assert published["acacias"]["participants"] is None
    assert published["tilleuls"]["participants"] == 12
    nov, nov_totals = suppress(november)
    assert nov["lilas"]["participants"] == 8 and nov_totals["participants"] == 29
    assert attack([october, november], "participants") == []


def test_a_lone_community_hides_its_total_too() -> None:
    cells, total = suppress_metric({"lilas": 3})
    assert cells == {"lilas": None} and total is None
    cells, total = suppress_metric({"lilas": 3, "tilleuls": 4})
    assert cells == {"lilas": None, "tilleuls": None} and total is None  # 7 - 0 = 7, but…
    cells, total = suppress_metric({"lilas": 3, "tilleuls": 4, "acacias": 20})
    assert total == 27 and cells["acacias"] is None  # never only small cells behind a total


def test_median_is_published_only_with_its_count() -> None:
    published, _ = suppress(
        {
            "a": {"reports_resolved": 2, "median_resolution_hours": 30},
            "b": {"reports_resolved": 7, "median_resolution_hours": 5},
            "c": {"reports_resolved": 9, "median_resolution_hours": 1},
        }
    )
    assert published["a"]["median_resolution_hours"] is None
    assert "median_resolution_hours" not in _


def test_town_aggregate_adds_published_figures_only() -> None:
    got = aggregate([{"events": 7, "alerts": None}, {"events": 5, "alerts": 6}])
    assert got == {"events": 12, "alerts": 6, "alerts.suppressed_parts": 1}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6),
        min_size=1,
        max_size=3,
    ).map(lambda months: [m + [0] * (max(map(len, months)) - len(m)) for m in months])
)
def test_no_small_count_is_ever_determined(months: list[list[int]]) -> None:
    tables = [{f"c{j}": {"events": v} for j, v in enumerate(m)} for m in months]
    assert attack(tables, "events") == []
