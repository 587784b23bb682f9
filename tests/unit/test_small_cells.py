"""Small cells: counts of 1–4 withheld, and no withheld count recoverable from what is shown.

The oracle is brute force over all sums at once: every assignment of the hidden cells (1–4 for
"<5", any count up to the largest cell for "—") that keeps every sum true. A "<5" cell is safe
when at least two of its values remain possible.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yibiaotong.small_cells import SMALL, WITHHELD, Sum, suppress


def possible_values(cells: dict, sums: list[Sum], marks: dict) -> dict | None:
    """Each hidden cell → the values a viewer cannot rule out (None: too many to try).

    A depth-first search over the hidden cells, each sum checked as soon as all its cells have
    a value."""
    hidden = sorted(marks, key=repr)
    # "—" is any count; bounded only to keep the search finite, above the largest true count
    # (that count itself as the bound would hand the viewer knowledge they do not have).
    ceiling = max(cells.values()) + 4
    ranges = {k: range(1, 5) if marks[k] == SMALL else range(0, ceiling + 1) for k in hidden}
    order = {k: n for n, k in enumerate(hidden)}
    # Sums to check once the n-th hidden cell has its value (their last hidden member).
    due: dict[int, list[Sum]] = {}
    for s in sums:
        members = [order[k] for k in (s.total, *s.parts) if k in order]
        if members:
            due.setdefault(max(members), []).append(s)
    seen: dict = {k: set() for k in hidden}
    value = dict(cells)
    steps = 0

    def walk(n: int) -> None:
        nonlocal steps
        steps += 1
        if steps > 1_000_000:
            raise OverflowError
        if n == len(hidden):
            for k in hidden:
                seen[k].add(value[k])
            return
        for v in ranges[hidden[n]]:
            value[hidden[n]] = v
            if all(value[s.total] == sum(value[p] for p in s.parts) for s in due.get(n, [])):
                walk(n + 1)

    try:
        walk(0)
    except OverflowError:
        return None
    return seen


def assert_safe(cells: dict, sums: list[Sum], marks: dict) -> bool:
    """Every count 1–4 is hidden ("<5", or "—" where the bounds of "<5" alone would fix it, as
    in a 2 x 2 table of ones whose total must be 4), and no "<5" is fixed by the rest; False if
    not checked."""
    for key, value in cells.items():
        if 0 < value < 5:
            assert marks.get(key) in (SMALL, WITHHELD), key
        else:
            assert marks.get(key) != SMALL, key
    possible = possible_values(cells, sums, marks)
    if possible is None:
        return False
    for key, values in possible.items():
        assert cells[key] in values
        if marks[key] == SMALL:
            assert len(values) > 1, (key, values, marks)
    return True


def test_one_small_part_of_a_shown_total_takes_another_cell_with_it():
    cells = {"all": 40, "a": 3, "b": 30, "c": 7}
    sums = [Sum("all", ("a", "b", "c"))]
    marks = suppress(cells, sums)
    assert marks == {"a": SMALL, "c": WITHHELD}
    assert assert_safe(cells, sums, marks)


def test_a_small_count_beside_a_zero_is_not_left_alone():
    # 3 and 0 make 3: the total is small too, and both would be read off each other.
    cells = {"all": 23, "x": 20, "y": 3, "z": 0, "y+z": 3}
    sums = [Sum("all", ("x", "y", "z")), Sum("y+z", ("y", "z"))]
    marks = suppress(cells, sums)
    assert marks["y"] == marks["y+z"] == SMALL
    assert assert_safe(cells, sums, marks)


def test_zeros_and_large_counts_are_shown():
    cells = {"all": 105, "a": 0, "b": 100, "c": 5}
    assert suppress(cells, [Sum("all", ("a", "b", "c"))]) == {}


def test_a_sum_that_does_not_hold_is_not_used():
    cells = {"all": 50, "a": 3, "b": 30}  # someone without a kind: 50 != 33
    assert suppress(cells, [Sum("all", ("a", "b"))]) == {"a": SMALL}


@pytest.mark.parametrize(
    "table", [[[20, 1], [1, 0]], [[4, 3], [4, 1]], [[20, 5, 1, 7], [20, 9, 1, 2]]]
)
def test_tables_an_attacker_solved_when_each_sum_was_checked_alone(table):
    cells, sums = margins(table)
    assert assert_safe(cells, sums, suppress(cells, sums))


def test_a_table_of_small_counts_whose_bounds_fix_the_total_hides_the_total():
    cells, sums = margins([[1, 1], [1, 1]])  # four cells of at least 1: a "<5" total is 4
    marks = suppress(cells, sums)
    assert assert_safe(cells, sums, marks)
    assert marks[("all", "all")] == WITHHELD


def margins(table: list[list[int]]) -> tuple[dict, list[Sum]]:
    """A table with its row totals, column totals and grand total, all shown."""
    width = len(table[0])
    cells = {(i, j): v for i, r in enumerate(table) for j, v in enumerate(r)}
    sums = []
    for i, r in enumerate(table):
        cells[(i, "all")] = sum(r)
        sums.append(Sum((i, "all"), tuple((i, j) for j in range(width))))
    for j in range(width):
        cells[("all", j)] = sum(r[j] for r in table)
        sums.append(Sum(("all", j), tuple((i, j) for i in range(len(table)))))
    cells[("all", "all")] = sum(map(sum, table))
    sums.append(Sum(("all", "all"), tuple((i, "all") for i in range(len(table)))))
    return cells, sums


counts = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 9, 14])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(2, 3), st.data())
def test_tables_with_row_and_column_totals_leak_nothing(rows, width, data):
    table = [data.draw(st.lists(counts, min_size=width, max_size=width)) for _ in range(rows)]
    cells, sums = margins(table)
    assume(assert_safe(cells, sums, suppress(cells, sums)))
