"""Cloning engines and their limits, in one place, applied file by file and to the whole set.

Sizes are in MB of 1024 × 1024 bytes. voice_engine_3:

* instant: at most 25 files, each at least 1.5 s, together at least 1.5 s and at most 10 MB;
* professional: at most 100 files, each at least 10 minutes, together at least 30 minutes
  and at most 1500 MB.

How a set is cut down (the order matters and is what ``discardedFiles`` reports):

1. each file on its own: duration unknown or below the per-file minimum → discarded;
2. files beyond the maximum count (in the order given) → discarded;
3. files that would push the total size over the cap (in the order given) → discarded;
4. whole set: what is left must reach the minimum total duration, otherwise the set is
   refused (``set_too_short``), since nothing sensible can be trained from it. Its message
   gives the real amounts ("You have 0.5 of the 30 minutes needed."); booth takes of a set
   that short are discarded with that same code and message, not with the joining rule.

Professional sets recorded in the booth are many short takes. Such takes (files that belong
to a recording task) are not discarded for being short: the packager joins them, in section
order, into files of at least the per-file minimum (10 minutes); a tail shorter than that is
appended to the previous joined file. Each joined file counts as one file for the count limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MB = 1024 * 1024

DEFAULT_ENGINE = "voice_engine_3"
TYPES = ("instant", "professional")


@dataclass(frozen=True)
class Limits:
    max_files: int
    min_file_s: float
    min_total_s: float
    max_total_bytes: int
    join_short_task_files: bool = False

    def describe(self) -> dict:
        return {
            "maxFiles": self.max_files,
            "minFileSeconds": self.min_file_s,
            "minTotalSeconds": self.min_total_s,
            "maxTotalBytes": self.max_total_bytes,
            "maxTotalMB": self.max_total_bytes / MB,
        }


ENGINES: dict[str, dict[str, Limits]] = {
    "voice_engine_3": {
        "instant": Limits(max_files=25, min_file_s=1.5, min_total_s=1.5, max_total_bytes=10 * MB),
        "professional": Limits(max_files=100, min_file_s=600.0, min_total_s=1800.0, max_total_bytes=1500 * MB,
                               join_short_task_files=True),
    },
}


class UnknownEngine(ValueError):
    pass


def limits_for(engine: str, voice_type: str) -> Limits:
    try:
        return ENGINES[engine][voice_type]
    except KeyError:
        raise UnknownEngine(f"Unknown engine {engine!r} or type {voice_type!r}; "
                            f"engines: {', '.join(ENGINES)}; types: {', '.join(TYPES)}.") from None


@dataclass(frozen=True)
class FileFacts:
    """What the limits need to know about one file (kept free of Django)."""

    file_id: str
    duration_s: float | None
    size: int
    group: str | None = None  # recording task id: short files of one task may be joined
    order: tuple = ()  # section order inside the group


@dataclass
class Member:
    """One audio file of the package: a file as it is, or several short takes joined."""

    file_ids: list[str]
    duration_s: float
    size: int

    @property
    def joined(self) -> bool:
        return len(self.file_ids) > 1


@dataclass
class Evaluation:
    engine: str
    voice_type: str
    limits: Limits
    used: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    discarded: list[dict] = field(default_factory=list)
    set_errors: list[dict] = field(default_factory=list)
    total_s: float = 0.0
    total_bytes: int = 0
    available_s: float = 0.0  # audio of every file that passed the per-file checks (before joining and caps)

    @property
    def ok(self) -> bool:
        return not self.set_errors and bool(self.members)

    def discard(self, facts: FileFacts, code: str, reason: str) -> None:
        self.discarded.append({"fileId": facts.file_id, "code": code, "reason": reason})


def _fmt_s(seconds: float) -> str:
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.2f} s"


def shortfall(have_s: float, need_s: float) -> str:
    """"You have 0.5 of the 30 minutes needed.": real amounts, in the unit of the limit."""
    if need_s >= 60:
        return f"You have {have_s / 60:.1f} of the {need_s / 60:g} minutes needed."
    return f"You have {have_s:.1f} of the {need_s:g} seconds needed."


def _join(group: list[FileFacts], min_s: float) -> list[Member]:
    """Join a task's short takes, in section order, into members of at least ``min_s``."""
    members: list[Member] = []
    current = Member([], 0.0, 0)
    for facts in sorted(group, key=lambda f: f.order):
        current.file_ids.append(facts.file_id)
        current.duration_s += facts.duration_s or 0.0
        current.size += facts.size
        if current.duration_s >= min_s:
            members.append(current)
            current = Member([], 0.0, 0)
    if current.file_ids:
        if members:
            last = members[-1]
            last.file_ids += current.file_ids
            last.duration_s += current.duration_s
            last.size += current.size
        else:
            members.append(current)
    return members


def evaluate(files: list[FileFacts], engine: str = DEFAULT_ENGINE, voice_type: str = "instant") -> Evaluation:
    """Apply the engine's limits; return what is used (as package members), what is discarded and why."""
    limits = limits_for(engine, voice_type)
    ev = Evaluation(engine=engine, voice_type=voice_type, limits=limits)

    candidates: list[Member] = []
    facts_of: dict[str, FileFacts] = {}
    groups: dict[str, list[FileFacts]] = {}
    for facts in files:
        if facts.file_id in facts_of:
            continue
        facts_of[facts.file_id] = facts
        if facts.duration_s is None:
            ev.discard(facts, "duration_unknown", "The file has not been analysed yet, so its length is unknown.")
            continue
        if facts.duration_s <= 0:
            ev.discard(facts, "empty", "The file contains no audio.")
            continue
        if facts.duration_s < limits.min_file_s:
            if limits.join_short_task_files and facts.group:
                groups.setdefault(facts.group, []).append(facts)
                continue
            ev.discard(facts, "too_short", f"The file is {_fmt_s(facts.duration_s)} long; each file must be at "
                       f"least {_fmt_s(limits.min_file_s)} for {voice_type} voices.")
            continue
        candidates.append(Member([facts.file_id], facts.duration_s, facts.size))
    ev.available_s = sum(m.duration_s for m in candidates) + sum(
        f.duration_s or 0.0 for group in groups.values() for f in group)
    for group in groups.values():
        for member in _join(group, limits.min_file_s):
            if member.duration_s >= limits.min_file_s:
                candidates.append(member)
                continue
            if ev.available_s < limits.min_total_s:  # the whole set is short: say so once, in real minutes
                code, reason = "set_too_short", shortfall(ev.available_s, limits.min_total_s)
            else:
                code, reason = "too_short", (f"These takes add up to {_fmt_s(member.duration_s)}, too little to "
                                             f"make one file of at least {_fmt_s(limits.min_file_s)}.")
            for fid in member.file_ids:
                ev.discard(facts_of[fid], code, reason)

    for member in candidates:
        if len(ev.members) >= limits.max_files:
            for fid in member.file_ids:
                ev.discard(facts_of[fid], "too_many_files", f"At most {limits.max_files} files are used for "
                           f"{voice_type} voices; this one is beyond that.")
            continue
        if ev.total_bytes + member.size > limits.max_total_bytes:
            for fid in member.file_ids:
                ev.discard(facts_of[fid], "total_size_exceeded", f"Adding this file would take the set over "
                           f"{limits.max_total_bytes / MB:g} MB.")
            continue
        ev.members.append(member)
        ev.total_bytes += member.size
        ev.total_s += member.duration_s

    ev.used = [fid for m in ev.members for fid in m.file_ids]

    if 0 < ev.available_s < limits.min_total_s or ev.members and ev.total_s < limits.min_total_s:
        have = ev.total_s if ev.members else ev.available_s
        ev.set_errors.append({"code": "set_too_short", "message": shortfall(have, limits.min_total_s),
                              "haveSeconds": round(have, 1), "needSeconds": limits.min_total_s})
    elif not ev.members:
        ev.set_errors.append({"code": "no_usable_files", "message": "None of the files can be used."})
    return ev
