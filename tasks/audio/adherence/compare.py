"""Align the script's units with the heard units: matches, substitutions, omissions, insertions.

An edit-distance alignment (see ``edit_ops``), then the differences grouped into *regions*: maximal runs of non-matching
operations (a look-alike pair stands alone), widened to whole words on both
sides, so that each region can be judged as one question ("did the talent say these script words here, or what the
recogniser heard?").
"""
from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass


@dataclass
class Region:
    """Script words ``[s0, s1)`` against heard words ``[h0, h1)``; either side may be empty."""

    s0: int
    s1: int
    h0: int
    h1: int

    @property
    def kind(self) -> str:
        if self.s0 == self.s1:
            return "insertion"  # heard words that are not in the script
        if self.h0 == self.h1:
            return "omission"  # script words that were not heard
        return "substitution"


NEAR = 0.6  # spelling similarity from which two different units are the same word misspelt or misheard


@functools.lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    sim = similarity(a, b)
    return 2.0 * (1.0 - sim) if sim >= NEAR else 2.0


def edit_ops(a: list[str], b: list[str]) -> list[tuple[str, int | None, int | None]]:
    """Operations turning ``a`` into ``b``: ``=`` same, ``~`` near (similar spelling), ``x`` different, ``-``, ``+``.

    A different unit costs as much as an omission plus an insertion, so the
    alignment keeps as many matching units as possible; a near unit (``"harbour"``
    for ``"harbor"``) costs less, so it pairs with its look-alike instead.
    """
    n, m = len(a), len(b)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = float(i)
    for j in range(m + 1):
        d[0][j] = float(j)
    for i in range(1, n + 1):
        ai, row, prev = a[i - 1], d[i], d[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + _sub_cost(ai, b[j - 1]), prev[j] + 1, row[j - 1] + 1)
    ops: list[tuple[str, int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and abs(d[i][j] - (d[i - 1][j - 1] + _sub_cost(a[i - 1], b[j - 1]))) < 1e-9:
            c = _sub_cost(a[i - 1], b[j - 1])
            ops.append(("=" if c == 0 else ("x" if c == 2.0 else "~"), i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and abs(d[i][j] - (d[i - 1][j] + 1)) < 1e-9:
            ops.append(("-", i - 1, None))
            i -= 1
        else:
            ops.append(("+", None, j - 1))
            j -= 1
    return ops[::-1]


def diff(script_units: list[tuple[int, str]], heard_units: list[tuple[int, str]]) -> tuple[list[Region], list[tuple[int, int]]]:
    """Differing regions between two unit lists, each unit given as (word index, unit).

    Returns the regions in script order, widened to whole words and merged where
    they touch the same word, and the (script word, heard word) pairs of every
    matched unit.
    """
    ops = edit_ops([u for _, u in script_units], [u for _, u in heard_units])
    pairs: list[tuple[int, int]] = []  # (script word, heard word) of every matched unit
    raw: list[list[int]] = []  # [s0, s1, h0, h1] in words
    s_next = h_next = 0  # the word just after the last matched unit on each side
    cur: list[int] | None = None
    cur_near = False
    for op, i, j in ops:
        if op == "=":
            pairs.append((script_units[i][0], heard_units[j][0]))
            if cur is not None:
                raw.append(cur)
                cur = None
            cur_near = False
            s_next, h_next = script_units[i][0] + 1, heard_units[j][0] + 1
            continue
        if op == "~" or (cur is not None and cur_near):
            # a look-alike pair is a question of its own: misheard, or misread?
            if cur is not None:
                raw.append(cur)
                s_next, h_next = cur[1], cur[3]
                cur = None
        cur_near = op == "~"
        if cur is None:
            cur = [s_next, s_next, h_next, h_next]
        if i is not None:
            cur[0], cur[1] = min(cur[0], script_units[i][0]), max(cur[1], script_units[i][0] + 1)
        if j is not None:
            cur[2], cur[3] = min(cur[2], heard_units[j][0]), max(cur[3], heard_units[j][0] + 1)
    if cur is not None:
        raw.append(cur)
    # A region that takes part of a word takes all of it, and whatever that word matched
    # on the other side, so that replacing one side by the other never duplicates a unit.
    for r in raw:
        # a word whose units matched on both sides of the region straddles it ("25-30" heard
        # for "25 to 30"): the region is inside that word, so it takes the word
        for side, other in ((1, 0), (0, 1)):
            lo, hi = (r[0], r[1]) if other == 0 else (r[2], r[3])
            before = {p[side] for p in pairs if p[other] < lo}
            after = {p[side] for p in pairs if p[other] >= hi}
            for w in before & after:
                if side == 1:
                    r[2], r[3] = min(r[2], w), max(r[3], w + 1)
                else:
                    r[0], r[1] = min(r[0], w), max(r[1], w + 1)
        changed = True
        while changed:
            changed = False
            for sw, hw in pairs:
                if (r[0] <= sw < r[1] or r[2] <= hw < r[3]) and not (r[0] <= sw < r[1] and r[2] <= hw < r[3]):
                    r[0], r[1] = min(r[0], sw), max(r[1], sw + 1)
                    r[2], r[3] = min(r[2], hw), max(r[3], hw + 1)
                    changed = True
    merged: list[Region] = []
    for s0, s1, h0, h1 in raw:
        if merged and (s0 < merged[-1].s1 or h0 < merged[-1].h1):
            m = merged[-1]
            m.s0, m.s1, m.h0, m.h1 = min(m.s0, s0), max(m.s1, s1), min(m.h0, h0), max(m.h1, h1)
        else:
            merged.append(Region(s0, s1, h0, h1))
    return merged, pairs
