"""Engine limits for voice_engine_3, file by file and for the whole set, with reasons."""
import pytest

from voicemanager.cloning.engines import MB, FileFacts, UnknownEngine, evaluate, limits_for, shortfall


def f(fid, seconds, size=100_000, group=None, order=()):
    return FileFacts(file_id=fid, duration_s=seconds, size=size, group=group, order=order)


def codes(ev):
    return {d["fileId"]: d["code"] for d in ev.discarded}


def test_instant_limits_are_the_documented_numbers():
    lim = limits_for("voice_engine_3", "instant")
    assert (lim.max_files, lim.min_file_s, lim.min_total_s, lim.max_total_bytes) == (25, 1.5, 1.5, 10 * MB)
    pro = limits_for("voice_engine_3", "professional")
    assert (pro.max_files, pro.min_file_s, pro.min_total_s, pro.max_total_bytes) == (100, 600, 1800, 1500 * MB)


def test_unknown_engine_is_refused():
    with pytest.raises(UnknownEngine):
        evaluate([f("a", 3)], "voice_engine_9", "instant")


def test_instant_file_shorter_than_1_5_s_is_discarded_with_reason():
    ev = evaluate([f("a", 1.4), f("b", 1.5)], voice_type="instant")
    assert ev.used == ["b"]
    assert codes(ev) == {"a": "too_short"}
    assert "1.5" in ev.discarded[0]["reason"]


def test_instant_keeps_at_most_25_files():
    ev = evaluate([f(f"f{i}", 2.0) for i in range(27)], voice_type="instant")
    assert len(ev.used) == 25
    assert codes(ev) == {"f25": "too_many_files", "f26": "too_many_files"}


def test_instant_total_size_over_10_mb_discards_the_files_that_do_not_fit():
    ev = evaluate([f("a", 30, 4 * MB), f("b", 30, 4 * MB), f("c", 30, 4 * MB), f("d", 5, MB)], voice_type="instant")
    assert ev.used == ["a", "b", "d"]
    assert codes(ev) == {"c": "total_size_exceeded"}
    assert ev.total_bytes <= 10 * MB


def test_unanalysed_and_empty_files_are_discarded():
    ev = evaluate([f("a", None), f("b", 0.0), f("c", 3.0)], voice_type="instant")
    assert codes(ev) == {"a": "duration_unknown", "b": "empty"}


def test_no_usable_file_is_a_set_error():
    ev = evaluate([f("a", 1.0)], voice_type="instant")
    assert not ev.ok and ev.set_errors[0]["code"] == "no_usable_files"


def test_professional_file_under_10_minutes_is_discarded():
    ev = evaluate([f("a", 599), f("b", 1200), f("c", 700)], voice_type="professional")
    assert codes(ev) == {"a": "too_short"}
    assert ev.ok and ev.total_s == 1900


def test_professional_set_under_30_minutes_is_refused():
    ev = evaluate([f("a", 900), f("b", 800)], voice_type="professional")
    assert not ev.ok
    assert ev.set_errors[0]["code"] == "set_too_short"
    assert ev.set_errors[0]["message"] == "You have 28.3 of the 30 minutes needed."


def test_professional_keeps_at_most_100_files_and_1500_mb():
    ev = evaluate([f(f"f{i}", 600, 10 * MB) for i in range(102)], voice_type="professional")
    assert len(ev.used) == 100 and set(codes(ev).values()) == {"too_many_files"}
    big = evaluate([f(f"g{i}", 600, 400 * MB) for i in range(5)], voice_type="professional")
    assert big.used == ["g0", "g1", "g2"]
    assert set(codes(big).values()) == {"total_size_exceeded"}


def test_professional_short_booth_takes_are_joined_in_section_order():
    takes = [f(f"t{i}", 60.0, group="task1", order=(i,)) for i in reversed(range(35))]
    ev = evaluate(takes, voice_type="professional")
    assert ev.ok, ev.set_errors
    assert [len(m.file_ids) for m in ev.members] == [10, 10, 15]  # the 5-minute tail joins the last file
    assert ev.members[0].file_ids == [f"t{i}" for i in range(10)]
    assert all(m.duration_s >= 600 for m in ev.members)
    assert ev.discarded == []


def test_professional_takes_that_cannot_reach_10_minutes_are_discarded():
    ev = evaluate([f(f"t{i}", 30.0, group="task1", order=(i,)) for i in range(5)] + [f("x", 3000)],
                  voice_type="professional")
    assert set(codes(ev)) == {f"t{i}" for i in range(5)} and set(codes(ev).values()) == {"too_short"}
    assert ev.used == ["x"]


def test_a_short_booth_set_reports_real_minutes_once_not_the_joining_rule():
    """31 s of booth takes for a professional voice: the shortfall in minutes, no "joined files" rule."""
    takes = [f(f"t{i}", 6.2, group="task1", order=(i,)) for i in range(5)]
    ev = evaluate(takes, voice_type="professional")
    assert [e["code"] for e in ev.set_errors] == ["set_too_short"]
    assert ev.set_errors[0]["message"] == "You have 0.5 of the 30 minutes needed."
    assert ev.available_s == 31.0
    assert {d["code"] for d in ev.discarded} == {"set_too_short"}
    assert not any("joined" in d["reason"] for d in ev.discarded)


def test_instant_shortfall_is_in_seconds():
    ev = evaluate([f("a", 1.6, size=10 * MB + 1)], voice_type="instant")
    assert ev.set_errors[0]["code"] == "no_usable_files"
    assert shortfall(1.2, 1.5) == "You have 1.2 of the 1.5 seconds needed."
