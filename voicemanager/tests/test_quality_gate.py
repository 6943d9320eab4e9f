"""The quality gate before cloning: QC failures are set aside with codes, in the pre-flight and the API."""
import json

import pytest

from voicemanager.cloning import gate as quality_gate
from voicemanager.models import AudioFile, AuditEvent, RecordingTask, Voice
from voicemanager.tests.cloning_fixtures import add_credits, booth_takes, make_audio_file, voice_owner

URL = "/api/v2/speech/voice-cloning"
CLIPPED = {"summary": "fail", "verdicts": [
    {"code": "clipping", "level": "fail", "title": "Clipping", "reason": "40 samples hit full scale.",
     "advice": "Turn the input gain down."}]}
OFF_SCRIPT = {"summary": "fail", "verdicts": [
    {"code": "script", "level": "fail", "title": "Does not match the script", "reason": "Words are missing.",
     "advice": "Read the text exactly as written."}]}


@pytest.fixture
def owner_x(cast):
    add_credits(cast.org_x)
    return voice_owner(cast.org_x)


def test_gate_sets_aside_failed_files_and_judges_a_denoised_version_by_its_own_analysis(cast):
    good = make_audio_file(cast.org_x, 3.0, qc={"summary": "ok", "verdicts": []})
    noisy = make_audio_file(cast.org_x, 3.0, qc={"summary": "fail", "verdicts": [
        {"code": "noise", "level": "fail", "title": "Too much background noise", "reason": "12 dB"}]})
    cleaned = make_audio_file(cast.org_x, 3.0, source=AudioFile.Source.DENOISED, derived_from=noisy,
                              qc={"summary": "ok", "verdicts": []})
    pending = make_audio_file(cast.org_x, 3.0, source=AudioFile.Source.DENOISED, derived_from=noisy)
    AudioFile.objects.filter(pk=pending.pk).update(analysis_state=AudioFile.Analysis.PENDING)
    pending.refresh_from_db()
    broken = make_audio_file(cast.org_x, 3.0)
    AudioFile.objects.filter(pk=broken.pk).update(analysis_state=AudioFile.Analysis.FAILED,
                                                  analysis_error="Not a WAV file.")
    broken.refresh_from_db()

    gate = quality_gate.apply([good, noisy, cleaned, pending, broken])
    assert gate.usable == [good, cleaned]
    assert {d["fileId"]: d["code"] for d in gate.discarded} == {
        noisy.public_id: "too_noisy", pending.public_id: "too_noisy", broken.public_id: "analysis_failed"}
    kept = quality_gate.apply([noisy], {noisy.pk: {"kind": "included", "by": "admin-x@example.com"}})
    assert kept.usable == [noisy] and kept.included[0]["decision"]["by"] == "admin-x@example.com"


def test_api_discarded_files_list_a_qc_failed_file_with_its_code(client, cast, owner_x):
    good = make_audio_file(cast.org_x, 3.0, speaker=owner_x, qc={"summary": "ok", "verdicts": []})
    clipped = make_audio_file(cast.org_x, 3.0, speaker=owner_x, qc=CLIPPED, freq=330)
    off = make_audio_file(cast.org_x, 3.0, speaker=owner_x, qc=OFF_SCRIPT, freq=440)
    body = {"fileIds": [good.public_id, clipped.public_id, off.public_id], "alias": "gate-voice",
            "engine": "voice_engine_3", "metadata": {"gender": "female"}}
    resp = client.post(URL, data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=cast.api_key_x)
    assert resp.status_code == 202, resp.content
    state = resp.json()
    assert state["filesUsed"] == [good.public_id]
    discarded = {d["fileId"]: d for d in state["discardedFiles"]}
    assert discarded[clipped.public_id]["code"] == "clipped"
    assert "40 samples hit full scale" in discarded[clipped.public_id]["reason"]
    assert discarded[off.public_id]["code"] == "script_mismatch"
    polled = client.get(URL, {"alias": "gate-voice"}, HTTP_X_API_KEY=cast.api_key_x).json()
    assert {d["fileId"]: d["code"] for d in polled["discardedFiles"]} == {
        clipped.public_id: "clipped", off.public_id: "script_mismatch"}
    event = AuditEvent.objects.get(action="voice.requested", target_id=state["voiceId"])
    assert event.details["qc_discarded"] == {clipped.public_id: "clipped", off.public_id: "script_mismatch"}


def test_api_refuses_a_set_where_every_file_failed_qc_and_creates_nothing(client, cast, owner_x):
    clipped = make_audio_file(cast.org_x, 3.0, speaker=owner_x, qc=CLIPPED)
    body = {"fileIds": [clipped.public_id], "alias": "all-bad", "engine": "voice_engine_3", "metadata": {}}
    resp = client.post(URL, data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=cast.api_key_x)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "no_usable_files"
    assert [(d["fileId"], d["code"]) for d in error["discardedFiles"]] == [(clipped.public_id, "clipped")]
    assert not Voice.objects.filter(alias="all-bad").exists()


def test_preflight_of_a_short_set_says_the_real_minutes_once_and_gives_no_ready_date(client, cast):
    """31 s of booth takes: "You have 0.5 of the 30 minutes needed", no joining rule, no expected date."""
    task = cast.task_a
    booth_takes(task, 31.0 / 3, rate=8000)
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.READY)
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/tasks/{task.public_id}/clone/").content.decode()
    preflight = page.split('id="preflight"', 1)[1]
    assert preflight.count("You have 0.5 of the 30 minutes needed.") == 2  # the Audio row and one "not used" line
    assert "joined files" not in preflight and "10.0 min" not in preflight
    ready = preflight.split('data-testid="preflight-ready"', 1)[1].split("</td>", 1)[0]
    assert "No date yet" in ready and "working days" not in ready
    assert 'name="action" value="submit" disabled' in preflight


def test_preflight_counts_only_usable_takes_and_lists_the_failed_one_with_its_reason(client, cast):
    task = cast.task_a
    files = booth_takes(task, 910.0, rate=8000)
    AudioFile.objects.filter(pk=files[1].pk).update(qc=CLIPPED)
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.READY)
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/tasks/{task.public_id}/clone/").content.decode()
    preflight = page.split('id="preflight"', 1)[1]
    usable = preflight.split('data-testid="preflight-usable"', 1)[1].split("</td>", 1)[0]
    assert "2 of 3 files" in usable
    assert "30.3 min" in preflight  # two takes of 15 min 10 s; the clipped one does not count
    discarded = preflight.split('data-testid="preflight-discarded"', 1)[1].split("</ul>", 1)[0]
    assert files[1].name in discarded and "Clipping" in discarded and "clipped" in discarded
