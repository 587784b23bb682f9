"""Small counts of people hidden from viewers without clearance, so that no total gives them back.

A count from 1 to 4 is shown as "<5" (primary suppression). Where figures are tied by sums the
viewer also sees (实有人口 = 户籍 + 流动 + 境外, a street = its communities …), hidden cells could
be worked out from the others, so further cells are hidden as "—" (complementary suppression)
until no "<5" cell is fixed by what is shown. "Fixed" is decided as an attacker would: the least
and the greatest value the cell can take under every shown sum at once, "<5" being 1–4 and "—"
any count (two linear programmes per cell, the audit statistical offices run on tables).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 5
SMALL = "<5"
WITHHELD = "—"
NOTE = "为保护个人信息，1–4 人的数字显示为“<5”，可由合计推算出它们的数字显示为“—”。"


@dataclass(frozen=True)
class Sum:
    """total = sum(parts), an equation the viewer can check on the figures shown."""

    total: Hashable
    parts: tuple[Hashable, ...]


def _fixed(
    cells: Mapping, sums: Sequence[Sum], small: set, withheld: set, safe: set
) -> Hashable | None:
    """A "<5" cell whose value the shown cells and sums leave no choice for, or None.

    Cells in `safe` were shown to have a choice before; hiding more cells only widens the
    choice, so they are not tried again (and cells found to have one are added to it)."""
    hidden = sorted(small | withheld, key=repr)
    index = {k: i for i, k in enumerate(hidden)}
    rows, rhs = [], []
    for rule in sums:
        row = np.zeros(len(hidden))
        known = 0
        for key, sign in ((rule.total, 1), *((p, -1) for p in rule.parts)):
            if key in index:
                row[index[key]] += sign
            else:
                known += sign * cells[key]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    if not rows:
        return None
    a_eq, b_eq = np.array(rows), np.array(rhs, dtype=float)
    linked = {hidden[i] for i in np.flatnonzero(np.abs(a_eq).sum(axis=0))}
    bounds = [(1, THRESHOLD - 1) if k in small else (0, None) for k in hidden]
    for key in sorted((small & linked) - safe, key=repr):
        goal = np.zeros(len(hidden))
        goal[index[key]] = 1
        # The true counts satisfy every sum; another value either side is the choice.
        for direction in (-1, 1):
            found = linprog(direction * goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if abs(direction * found.fun - cells[key]) >= 1 - 1e-6:
                safe.add(key)
                break
        else:
            return key
    return None


def suppress(
    cells: Mapping[Hashable, int], sums: Sequence[Sum], keep: Collection[Hashable] = ()
) -> dict[Hashable, str]:
    """Which cells a viewer without clearance sees as "<5" or "—" (the others as they are).

    `cells` are counts of people keyed by anything hashable; `sums` are the equations between
    them that the viewer can see (only those that hold on `cells` are used); `keep` are counts
    shown elsewhere in other forms (a share, a total), never withheld unless small.
    """
    holding = [
        s
        for s in sums
        if s.total in cells
        and all(p in cells for p in s.parts)
        and cells[s.total] == sum(cells[p] for p in s.parts)
    ]
    small = {k for k, v in cells.items() if 0 < v < THRESHOLD}
    withheld: set = set()
    safe: set = {k for k in small if not any(k in (s.total, *s.parts) for s in holding)}
    while (exposed := _fixed(cells, holding, small, withheld, safe)) is not None:
        # Hide the smallest count still shown in a sum with the exposed cell (or, when those
        # are all hidden, in any sum with a hidden cell).
        hidden = small | withheld
        for near in ({exposed}, hidden):
            shown = {
                k
                for rule in holding
                if near & {rule.total, *rule.parts}
                for k in (rule.total, *rule.parts)
                if k not in hidden and k not in keep
            }
            if shown:
                break
        else:
            # Nothing shown is left to hide (every cell of its sums is small): the bounds of
            # "<5" themselves fix it (a 2 x 2 table of ones totals 4), so it says nothing at all.
            small.discard(exposed)
            withheld.add(exposed)
            continue
        withheld.add(min(shown, key=lambda k: (cells[k], repr(k))))
    return {**dict.fromkeys(small, SMALL), **dict.fromkeys(withheld, WITHHELD)}
