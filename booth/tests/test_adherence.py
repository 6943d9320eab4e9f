"""The word-level script check in the booth: the consent statement at upload, takes on the adherence queue."""
from __future__ import annotations

import time

from booth.tests.helpers import form, login, sign_all, speech_wav_bytes
from e2e.services import wait_until
from voicemanager.models import AudioFile, ConsentRecording, OutboxMessage, Take


def _upload(client, task, section, text):
    r = client.post(f"/booth/tasks/{task.public_id}/sections/{section.pk}/takes/", form(speech_wav_bytes(text)))
    assert r.status_code == 201, r.content
    return Take.objects.get(public_id=r.json()["take_id"])


def test_a_consent_statement_that_says_something_else_is_refused_and_nothing_stored(cast, _media_root):
    client = login(cast.contractor_a)
    sign_all(cast.speaker_a)
    files_before = AudioFile.objects.count()
    wrong = speech_wav_bytes("I like green eggs and ham, and I will not record anything for anyone today.")
    r = client.post(f"/booth/tasks/{cast.task_a.public_id}/consent/recording/", form(wrong, kind="consent"))
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "statement_mismatch"
    assert "We did not hear" in error["message"] and "exactly as written" in error["message"]
    assert not ConsentRecording.objects.filter(task=cast.task_a).exists()
    assert not Take.objects.filter(task=cast.task_a, kind=Take.Kind.CONSENT).exists()
    assert AudioFile.objects.count() == files_before
    assert not [p for p in _media_root.rglob("*.wav") if "uploads-tmp" not in p.parts]


def test_the_statement_read_as_written_is_accepted_with_its_check(booth, cast):
    take = Take.objects.get(task=cast.task_a, kind=Take.Kind.CONSENT)
    assert take.qc["statement"]["verdict"] == "ok"
    assert ConsentRecording.objects.filter(task=cast.task_a).exists()


def test_a_take_is_checked_on_the_adherence_queue_and_the_panel_shows_the_marks(booth, cast, celery_worker):
    section = cast.task_a.script.sections.order_by("position").first()
    words = section.text.split()
    misread = " ".join(words[:2] + ["harbour", "lighthouse"] + words[3:])  # one word replaced, one added
    take = _upload(booth, cast.task_a, section, misread)
    assert OutboxMessage.objects.filter(task_name="tasks.adherence.check_take", args=[take.pk]).exists()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        take.refresh_from_db()
        if take.adherence_state == "done":
            break
        time.sleep(0.3)
    assert take.adherence_state == "done", take.adherence_state
    assert take.adherence["verdict"] == "fail"
    assert len(take.adherence["words"]) == len(section.text.split())  # every script word, with its status
    assert words[2] in {w["word"] for w in take.adherence["words"] if w["status"] != "ok"}  # the word not read
    html = booth.get(f"/booth/tasks/{cast.task_a.public_id}/takes/{take.public_id}/script/").content.decode()
    assert 'data-testid="script-marks"' in html and "Does not match the script" in html
    assert "hx-get" not in html  # done: the panel stops asking


def test_a_pending_check_polls_and_only_the_contractor_sees_it(booth, cast):
    section = cast.task_a.script.sections.order_by("position").first()
    take = _upload(booth, cast.task_a, section, section.text)
    assert take.adherence_state == "pending"
    url = f"/booth/tasks/{cast.task_a.public_id}/takes/{take.public_id}/script/"
    html = booth.get(url + "?n=3").content.decode()
    assert "Checking the words" in html and "?n=4" in html and 'hx-trigger="load delay:400ms"' in html
    later = booth.get(url + "?n=12").content.decode()  # after the first seconds it asks once a second
    assert "?n=13" in later and 'hx-trigger="load delay:1s"' in later
    for who in ("contractor_b", "admin_x", "outsider"):
        assert login(getattr(cast, who)).get(url).status_code in (403, 404)


def test_a_finished_script_check_joins_the_files_qc():
    from tasks.audio.qc import with_adherence

    qc = {"metrics": {"duration_s": 3.0, "speech_s": 2.5, "sample_rate": 48000, "peak_dbfs": -4.0, "clipped_samples": 0,
                      "speech_rms_dbfs": -20.0, "snr_db": 40.0, "noise_floor_dbfs": -60.0, "leading_silence_ms": 300.0,
                      "trailing_silence_ms": 300.0}, "verdicts": [], "summary": "ok"}
    check = {"status": "not_aligned", "verdict": "fail", "score": 0.8,
             "words": [{"word": "harbour", "status": "missing"}], "extra": []}
    merged = with_adherence(qc, check)
    script = next(v for v in merged["verdicts"] if v["code"] == "script")
    assert merged["summary"] == "fail" and "'harbour' was not heard" in script["reason"]


def test_an_adherence_worker_loads_the_recogniser_as_it_starts_and_checks_the_takes(booth, cast, worker_process):
    """As the Procfile runs them: a default worker and one on the adherence queue, real processes."""
    default = worker_process("w1")
    checker = worker_process("adherence", queues="adherence")
    wait_until(lambda: "recogniser loaded" in checker.log(), timeout=60, message="the recogniser loaded at start")
    assert "recogniser loaded" not in default.log()  # a worker that takes no script checks does not load it
    section = cast.task_a.script.sections.order_by("position").first()
    take = _upload(booth, cast.task_a, section, section.text)
    wait_until(lambda: Take.objects.get(pk=take.pk).adherence_state == "done", timeout=60, message="the script check")
    assert Take.objects.get(pk=take.pk).adherence["status"] in ("aligned", "not_aligned")
    assert "tasks.adherence.check_take[" in checker.log() and "tasks.adherence.check_take[" not in default.log()


def test_a_script_check_cut_off_by_a_killed_worker_is_finished_once_by_the_next(booth, cast, worker_process):
    """SIGKILL in the middle of a check: the message comes back (acks late) and the next worker redoes it."""
    section = cast.task_a.script.sections.order_by("position").first()
    long_text = " ".join([section.text] * 3)  # about 20 s of speech: the check runs long enough to be cut off
    first = worker_process("adh1", queues="adherence", CELERY_VISIBILITY_TIMEOUT="5")
    wait_until(lambda: "recogniser loaded" in first.log(), timeout=60, message="the recogniser loaded")
    take = _upload(booth, cast.task_a, section, long_text)
    wait_until(lambda: Take.objects.filter(pk=take.pk, adherence_state="running").exists(), timeout=60,
               interval=0.01, message="the check running")
    first.kill()
    take.refresh_from_db()
    assert take.adherence_state == "running" and not take.adherence  # killed in the middle
    time.sleep(6)  # past the visibility timeout
    second = worker_process("adh2", queues="adherence", CELERY_VISIBILITY_TIMEOUT="5")
    try:
        wait_until(lambda: Take.objects.get(pk=take.pk).adherence_state == "done", timeout=120, interval=0.5,
                   message="the check redone")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; first worker:\n{first.log()}\nsecond worker:\n{second.log()}") from None
    take.refresh_from_db()
    assert take.adherence["verdict"] in ("ok", "warn", "fail") and take.adherence.get("words")
    assert "tasks.adherence.check_take[" in second.log()


def test_the_newest_waiting_take_of_a_task_is_checked_first_and_every_take_once(booth, cast):
    from voicemanager.recording import adherence

    sections = list(cast.task_a.script.sections.order_by("position"))[:3]
    takes = [_upload(booth, cast.task_a, s, s.text) for s in sections]  # no worker: all wait

    def states():
        return [Take.objects.get(pk=t.pk).adherence_state for t in takes]

    assert states() == ["pending"] * 3
    assert adherence.check_take(takes[0].pk) == "done"  # the first take's message checks the newest take
    assert states() == ["pending", "pending", "done"]
    adherence.check_take(takes[1].pk)
    adherence.check_take(takes[2].pk)
    assert states() == ["done"] * 3  # three messages, three checks
    assert adherence.check_take(takes[2].pk) == "done"  # a repeated message checks nothing more


def test_a_check_left_running_is_taken_back_only_by_a_redelivered_message(booth, cast):
    from voicemanager.recording import adherence

    section = cast.task_a.script.sections.order_by("position").first()
    take = _upload(booth, cast.task_a, section, section.text)
    Take.objects.filter(pk=take.pk).update(adherence_state="running")  # its worker died in the middle
    assert adherence.check_take(take.pk) == "running"  # a live worker may have it: left alone
    assert adherence.check_take(take.pk, reclaim=True) == "done"
    assert Take.objects.get(pk=take.pk).adherence["words"]
