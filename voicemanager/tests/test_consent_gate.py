"""Nothing is forwarded without signed current documents and the spoken consent recording."""
import pytest

from config.celery import app
from voicemanager.cloning import voices as cloning
from voicemanager.consent.gate import check_consent
from voicemanager.models import ConsentDocument, ConsentRecording, Voice, VoicePackage
from voicemanager.tests.cloning_fixtures import (
    add_credits,
    booth_takes,
    give_full_consent,
    make_audio_file,
    record_consent,
    run_chain,
    sign_documents,
    voice_owner,
)


def test_no_speaker_is_refused(cast):
    assert check_consent(None, organisation=cast.org_x)


def test_unsigned_documents_are_each_named(cast):
    reasons = check_consent(cast.speaker_a, task=cast.task_a)
    assert any("Terms of Service" in r for r in reasons)
    assert any("Privacy Policy" in r for r in reasons)
    assert any("Acceptable Use" in r for r in reasons)
    assert any("consent recording" in r for r in reasons)


def test_signed_but_no_consent_recording_is_refused(cast):
    sign_documents(cast.speaker_a)
    assert check_consent(cast.speaker_a, task=cast.task_a) == [
        f"The spoken consent recording of {cast.speaker_a} for this recording task is missing."]


def test_consent_recording_of_another_task_does_not_count(cast):
    sign_documents(cast.speaker_b)
    record_consent(cast.speaker_b, cast.org_y, cast.task_y)
    assert check_consent(cast.speaker_b, task=cast.task_b)
    record_consent(cast.speaker_b, cast.org_x, cast.task_b)
    assert check_consent(cast.speaker_b, task=cast.task_b) == []


def test_voice_owner_needs_a_recording_for_the_organisation(cast):
    owner = voice_owner(cast.org_x, consent=False)
    sign_documents(owner)
    record_consent(owner, cast.org_y)
    assert check_consent(owner, organisation=cast.org_x)
    record_consent(owner, cast.org_x)
    assert check_consent(owner, organisation=cast.org_x) == []


def test_a_new_document_version_needs_signing_again(cast):
    give_full_consent(cast.speaker_a, cast.org_x, cast.task_a)
    assert check_consent(cast.speaker_a, task=cast.task_a) == []
    ConsentDocument.objects.create(kind="terms", version=2, title="Terms v2", text="New terms.")
    assert check_consent(cast.speaker_a, task=cast.task_a) == [
        f"{cast.speaker_a} has not signed the current Terms of Service (version 2)."]


def test_model_layer_refuses_to_create_a_voice_without_consent(cast):
    add_credits(cast.org_x)
    sign_documents(cast.speaker_a)
    takes = booth_takes(cast.task_a, 2.0)
    with pytest.raises(cloning.CloningError) as err:
        cloning.request_voice(cast.org_x, cast.admin_x, files=takes, alias="nope", task=cast.task_a)
    assert err.value.code == "consent_missing"
    assert not Voice.objects.exists()


def test_consent_withdrawn_after_the_request_stops_forwarding(cast):
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    files = [make_audio_file(cast.org_x, 3.0, speaker=owner)]
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=files, alias="withdrawn")
    ConsentRecording.objects.filter(speaker=owner).delete()
    app.conf.task_always_eager = True
    try:
        from tasks.cloning import forward_voice, package_voice

        run_chain(package_voice, voice.pk)
        forward_voice(voice.pk)
    finally:
        app.conf.task_always_eager = False
    voice.refresh_from_db()
    assert voice.status == Voice.Status.FAILED and "consent recording" in voice.failure_reason
    package = VoicePackage.objects.filter(voice=voice).first()
    assert package is None or package.forwarded_at is None


def test_clone_page_shows_the_missing_consent_and_cannot_submit(client, cast):
    from django.urls import reverse

    add_credits(cast.org_x)
    task = cast.task_a
    task.status = task.Status.SUBMITTED
    task.save()
    sign_documents(cast.speaker_a)
    booth_takes(task, 2.0)
    client.force_login(cast.admin_x)
    page = client.get(reverse("clone_task", args=[task.public_id])).content.decode()
    assert "spoken consent recording" in page and "disabled" in page
    resp = client.post(reverse("clone_task", args=[task.public_id]), {"alias": "forced", "language": "en",
                                                                       "gender": "female", "action": "submit"})
    assert resp.status_code == 422 and not Voice.objects.exists()
