"""Every status change is a method on its model (or QuerySet); one test per transition."""
from __future__ import annotations

import uuid

import pytest

from voicemanager.cloning.models import StageError
from voicemanager.models import CreditEntry, CreditQuote, DeletionRequest, RecordingTask, Take, Voice
from voicemanager.recording.invitations import Invitation
from voicemanager.tests.cloning_fixtures import make_audio_file

S = RecordingTask.Status


def _status(obj) -> str:
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def _set_status(obj, status: str) -> None:
    """Arrange a starting state (tests only: the code under test never writes status like this)."""
    type(obj).objects.filter(pk=obj.pk).update(status=status)
    obj.refresh_from_db()


def _take(task, section=None, **fields) -> Take:
    return Take.objects.create(task=task, section=section or task.script.sections.first(), client_id=uuid.uuid4(),
                               file="orgs/x/takes/t.wav", sha256="0" * 64, **fields)


# --- RecordingTask ---------------------------------------------------------------------------------

def test_accepting_an_invitation_moves_only_invited_tasks_into_the_speakers_booth(cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email="new@example.com",
                                           kind=Invitation.Kind.CONTRACTOR, invited_by=cast.admin_x)
    for task in (cast.task_a, cast.task_b):
        RecordingTask.objects.filter(pk=task.pk).update(invitation=invitation)
    _set_status(cast.task_a, S.INVITED)
    _set_status(cast.task_b, S.CANCELLED)
    assert RecordingTask.objects.filter(invitation=invitation).accept(cast.speaker_b) == 1
    cast.task_a.refresh_from_db()
    assert (cast.task_a.status, cast.task_a.speaker) == (S.ACCEPTED, cast.speaker_b)
    assert _status(cast.task_b) == S.CANCELLED


def test_revoking_cancels_only_tasks_still_invited(cast):
    _set_status(cast.task_a, S.INVITED)
    assert RecordingTask.objects.filter(pk__in=[cast.task_a.pk, cast.task_b.pk]).cancel_invited() == 1
    cast.task_a.refresh_from_db()
    assert cast.task_a.status == S.CANCELLED and cast.task_a.cancelled_at is not None
    assert _status(cast.task_b) == S.ACCEPTED


def test_mark_processing_moves_submitted_tasks_only(cast):
    _set_status(cast.task_a, S.SUBMITTED)
    assert RecordingTask.objects.filter(pk__in=[cast.task_a.pk, cast.task_b.pk]).mark_processing() == 1
    assert (_status(cast.task_a), _status(cast.task_b)) == (S.PROCESSING, S.ACCEPTED)


@pytest.mark.parametrize("start, moved", [(S.SUBMITTED, True), (S.PROCESSING, True), (S.RECORDING, False),
                                          (S.CANCELLED, False)])
def test_mark_ready_moves_submitted_or_processing_tasks(cast, start, moved):
    _set_status(cast.task_a, start)
    assert RecordingTask.objects.filter(pk=cast.task_a.pk).mark_ready() == int(moved)
    assert _status(cast.task_a) == (S.READY if moved else start)


@pytest.mark.parametrize("start, after", [(S.INVITED, S.RECORDING), (S.ACCEPTED, S.RECORDING),
                                          (S.RECORDING, S.RECORDING), (S.SUBMITTED, S.SUBMITTED)])
def test_start_recording_moves_a_task_that_was_not_recording_yet(cast, start, after):
    _set_status(cast.task_a, start)
    cast.task_a.start_recording()
    assert _status(cast.task_a) == after == cast.task_a.status
    assert RecordingTask.objects.get(pk=cast.task_a.pk).last_activity_at is not None


def test_submit_take_submits_the_task_when_every_section_has_a_take(cast):
    cast.task_a.submit_take(finished=False)
    assert _status(cast.task_a) == S.RECORDING
    cast.task_a.submit_take(finished=True)
    task = RecordingTask.objects.get(pk=cast.task_a.pk)
    assert task.status == S.SUBMITTED and task.submitted_at is not None
    first = task.submitted_at
    cast.task_a.submit_take(finished=True)  # a retake after submission keeps the first submission
    assert RecordingTask.objects.get(pk=cast.task_a.pk).submitted_at == first


def test_cancel_returns_the_previous_status(cast):
    _set_status(cast.task_a, S.RECORDING)
    assert cast.task_a.cancel() == S.RECORDING
    assert _status(cast.task_a) == S.CANCELLED and cast.task_a.cancelled_at is not None


# --- Take ------------------------------------------------------------------------------------------

def test_take_submitted_then_replaced_then_deleted(cast):
    audio = make_audio_file(cast.org_x, 1.0)
    take = _take(cast.task_a)
    take.mark_submitted(audio)
    take.refresh_from_db()
    assert (take.status, take.audio_file, take.submitted_at is not None) == (Take.Status.SUBMITTED, audio, True)
    take.mark_recorded()
    take.refresh_from_db()
    assert (take.status, take.audio_file, take.submitted_at) == (Take.Status.RECORDED, None, None)
    take.mark_deleted()
    take.refresh_from_db()
    assert take.status == Take.Status.DELETED and take.deleted_at is not None


# --- Voice -----------------------------------------------------------------------------------------

def _voice(cast, **fields) -> Voice:
    return Voice.objects.create(organisation=cast.org_x, alias=f"v-{uuid.uuid4().hex[:8]}", type="professional",
                                **fields)


def test_packaging_and_forwarding_claims_move_a_voice_once(cast):
    voice = _voice(cast)
    assert Voice.objects.filter(pk=voice.pk).mark_packaged() == 1
    assert Voice.objects.filter(pk=voice.pk).mark_packaged() == 0  # a redelivered job changes nothing
    assert Voice.objects.filter(pk=voice.pk).mark_forwarded("ref-1") == 1
    assert Voice.objects.filter(pk=voice.pk).mark_forwarded("ref-2") == 0
    voice.refresh_from_db()
    assert (voice.stage, voice.status, voice.provider_ref) == (Voice.Stage.FORWARDED, Voice.Status.PROCESSING, "ref-1")


def test_advance_follows_the_allowed_stages(cast):
    voice = _voice(cast, stage=Voice.Stage.FORWARDED, status=Voice.Status.PROCESSING)
    with pytest.raises(StageError):
        voice.advance(Voice.Stage.PACKAGED)
    with pytest.raises(StageError):
        voice.advance(Voice.Stage.FAILED)  # a failure needs its reason
    assert voice.advance(Voice.Stage.TRAINING, provider_ref="job-9") is True
    assert voice.advance(Voice.Stage.TRAINING) is False  # a repeated callback
    assert voice.advance(Voice.Stage.READY) is True
    assert (voice.stage, voice.status, voice.provider_ref) == (Voice.Stage.READY, Voice.Status.SUCCEEDED, "job-9")
    assert voice.succeeded_at is not None


def test_advance_to_failed_keeps_the_reason(cast):
    voice = _voice(cast, stage=Voice.Stage.RECEIVED, status=Voice.Status.PROCESSING)
    assert voice.advance(Voice.Stage.FAILED, reason="  bad audio  ")
    assert (voice.status, voice.failure_reason) == (Voice.Status.FAILED, "bad audio")


def test_fail_leaves_a_finished_voice_alone(cast):
    voice = _voice(cast)
    assert voice.fail("file changed") is True
    assert (voice.status, voice.stage, voice.failure_reason) == (Voice.Status.FAILED, Voice.Stage.FAILED,
                                                                  "file changed")
    assert voice.fail("again") is False
    assert Voice.objects.get(pk=voice.pk).failure_reason == "file changed"


# --- CreditQuote -----------------------------------------------------------------------------------

def test_quote_withdrawn_accepted_declined(cast):
    voice = _voice(cast)
    old = CreditQuote.objects.create(organisation=cast.org_x, voice=voice, amount=10)
    assert CreditQuote.objects.filter(voice=voice).withdraw_pending(cast.staff) == 1
    old.refresh_from_db()
    assert (old.status, old.decided_by) == (CreditQuote.Status.WITHDRAWN, cast.staff)
    quote = CreditQuote.objects.create(organisation=cast.org_x, voice=voice, amount=10)
    entry = CreditEntry.objects.create(organisation=cast.org_x, amount=-10, reason="test charge")
    quote.accept(cast.admin_x, entry)
    quote.refresh_from_db()
    assert (quote.status, quote.decided_by, quote.credit_entry) == (CreditQuote.Status.ACCEPTED, cast.admin_x, entry)
    other = CreditQuote.objects.create(organisation=cast.org_x, voice=_voice(cast), amount=5)
    other.decline(cast.admin_x)
    assert _status(other) == CreditQuote.Status.DECLINED


# --- DeletionRequest -------------------------------------------------------------------------------

D = DeletionRequest.Status


def _request(cast, status=D.UNCONFIRMED) -> DeletionRequest:
    req = DeletionRequest.objects.create(first_name="A", last_name="B", email="a@example.com",
                                         organisation_ref=cast.org_x.public_id, organisation=cast.org_x)
    _set_status(req, status)
    return req


def test_deletion_confirm_needs_the_current_nonce_and_rotates_it(cast):
    req = _request(cast)
    assert DeletionRequest.objects.filter(pk=req.pk).confirm("not-the-nonce") == 0
    assert DeletionRequest.objects.filter(pk=req.pk).confirm(req.confirm_nonce) == 1
    fresh = DeletionRequest.objects.get(pk=req.pk)
    assert fresh.status == D.CONFIRMED and fresh.confirm_nonce != req.confirm_nonce
    assert DeletionRequest.objects.filter(pk=req.pk).confirm(req.confirm_nonce) == 0


def test_deletion_finish_moves_from_the_expected_status_only(cast):
    req = _request(cast, D.CONFIRMED)
    assert DeletionRequest.objects.filter(pk=req.pk).finish(D.IDENTIFIED, D.BACKED_UP) == 0
    assert DeletionRequest.objects.filter(pk=req.pk).finish(D.CONFIRMED, D.IDENTIFIED) == 1
    assert _status(req) == D.IDENTIFIED


@pytest.mark.parametrize("start, moved", [(D.IDENTIFIED, True), (D.DELETED, False)])
def test_deletion_reject_only_before_anything_was_deleted(cast, start, moved):
    req = _request(cast, start)
    assert DeletionRequest.objects.filter(pk=req.pk).reject("") == int(moved)
    assert _status(req) == (D.REJECTED if moved else start)


def test_deletion_fail_then_retry(cast):
    req = _request(cast, D.BACKED_UP)
    assert DeletionRequest.objects.filter(pk=req.pk).fail("storage down") == 1
    assert DeletionRequest.objects.get(pk=req.pk).failure_reason == "storage down"
    assert DeletionRequest.objects.filter(pk=req.pk).fail("again") == 0  # failed is terminal for fail()
    assert DeletionRequest.objects.filter(pk=req.pk).retry(D.BACKED_UP) == 1
    fresh = DeletionRequest.objects.get(pk=req.pk)
    assert (fresh.status, fresh.failure_reason) == (D.BACKED_UP, "")
