"""Small-count suppression for published indicators (pure; docs/privacy.md "Indicators").

Figures are published per community and per month, with the territory's total of each
metric. Rules, for k = 5:
1. Primary: every count below k is suppressed (shown as null).
2. Complementary: within one metric of one month, the communities and their published
   total form one equation (total = sum of cells). If any cell is suppressed, the
   suppressed set must hold at least two cells, sum to k or more, and include at least one
   cell that is not itself small; cells are added smallest first until it does, or the total
   is suppressed when no cell is left to add. Then no suppressed count can be solved for
   from the published figures, nor is their sum a count below k.
3. Months never combine: only monthly flows are published (no running totals or stocks),
   and a closed month's figures are frozen at first publication (outbox/indicators.py),
   so differences between months or between publications add no equation.
4. Non-count figures tied to a count (the median resolution time) are published only with
   that count.
A town aggregating several instances adds their published figures (`aggregate`): sums of
published numbers, which reveal nothing the parts did not.
"""

from __future__ import annotations

from collections.abc import Mapping

K = 5
#: Figures that are not counts, and the count that must be published for them to be.
DEPENDENT = {"median_resolution_hours": "reports_resolved"}

Published = dict[str, dict[str, int | None]]


def suppress_metric(
    cells: Mapping[str, int], k: int = K
) -> tuple[dict[str, int | None], int | None]:
    """One metric of one month: (published cells, published total)."""
    total = sum(cells.values())
    hidden = {c for c, v in cells.items() if v < k}
    primary = set(hidden)
    if hidden and total >= k:

        def unsafe() -> bool:
            return len(hidden) < 2 or sum(cells[c] for c in hidden) < k or hidden <= primary

        order = sorted((v, c) for c, v in cells.items() if c not in hidden)
        while unsafe() and order:
            hidden.add(order.pop(0)[1])
        show_total = not unsafe()
    else:
        show_total = total >= k
    return (
        {c: (None if c in hidden else v) for c, v in cells.items()},
        total if show_total else None,
    )


def suppress(
    table: Mapping[str, Mapping[str, int]], k: int = K
) -> tuple[Published, dict[str, int | None]]:
    """All metrics of one month: table is community → metric → raw value.
    Returns (community → metric → published value or None, metric → territory total)."""
    communities = list(table)
    metrics = sorted({m for row in table.values() for m in row})
    out: Published = {c: {} for c in communities}
    totals: dict[str, int | None] = {}
    for m in metrics:
        if m in DEPENDENT:
            continue
        cells, total = suppress_metric({c: int(table[c].get(m, 0)) for c in communities}, k)
        for c in communities:
            out[c][m] = cells[c]
        totals[m] = total
    for m, count in DEPENDENT.items():
        if any(m in table[c] for c in communities):
            for c in communities:
                out[c][m] = int(table[c].get(m, 0)) if out[c].get(count) is not None else None
    return out, totals


def aggregate(parts: list[Mapping[str, int | None]]) -> dict[str, int | None]:
    """A town's sum of published figures from several communities or instances; a metric
    with a suppressed part is reported as the sum of the published parts, and its key
    `suppressed_parts` counts the gaps (a lower bound, never an estimate)."""
    out: dict[str, int | None] = {}
    gaps: dict[str, int] = {}
    for part in parts:
        for m, v in part.items():
            if m in DEPENDENT:
                continue
            if v is None:
                gaps[m] = gaps.get(m, 0) + 1
                out.setdefault(m, 0)
            else:
                out[m] = (out.get(m) or 0) + int(v)
    for m, n in gaps.items():
        out[f"{m}.suppressed_parts"] = n
    return out
