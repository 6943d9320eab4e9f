"""Native-language warnings: shown when the language is not the speaker's, accepted explicitly, recorded."""
import pytest

from voicemanager.models import AuditEvent, RecordingTask, Speaker
from voicemanager.native_language import clean_languages, language_warning, record_warning_accepted
from voicemanager.tests.factories import ScriptFactory


def test_no_warning_for_a_native_language(db):
    speaker = Speaker(full_name="Ana", email="a@example.com", native_languages=["es", "en"])
    assert language_warning(speaker, "es") is None
    assert language_warning(speaker, "en-GB") is None


def test_warning_for_a_foreign_language_names_both_languages(db):
    speaker = Speaker(full_name="Ana", email="a@example.com", native_languages=["es"])
    warning = language_warning(speaker, "de")
    assert warning and "Spanish" in warning and "German" in warning and "accent" in warning
    assert "mispronunciations" in warning


def test_unknown_native_languages_or_speaker_give_no_warning(db):
    assert language_warning(None, "de") is None
    assert language_warning(Speaker(email="x@example.com", native_languages=[]), "de") is None


def test_clean_languages_keeps_known_codes_once():
    assert clean_languages(["EN", "en-US", "xx", "de"]) == ["en", "de"]
    assert clean_languages("fr, it") == ["fr", "it"]


def test_record_warning_accepted_sets_the_field_and_audits(cast):
    record_warning_accepted(cast.task_a, cast.speaker_a, "de", cast.admin_x)
    cast.task_a.refresh_from_db()
    assert cast.task_a.language_warning_accepted_by == cast.admin_x
    event = AuditEvent.objects.get(action="language_warning.accepted")
    assert event.details["language"] == "de" and event.organisation == cast.org_x


# --- the assign form (issue 3's page) -------------------------------------------------------------


def assign(client, cast, script, **extra):
    client.force_login(cast.admin_x)
    return client.post("/vm/tasks/invite/", {"script": script.public_id, "organisation": cast.org_x.public_id,
                                             "contractor_email": "contractor-a@example.com", **extra})


@pytest.fixture
def german_script(cast):
    return ScriptFactory(organisation=cast.org_x, title="Deutsch", language="de")


def test_assigning_a_foreign_script_shows_the_warning_and_creates_nothing(client, cast, german_script):
    response = assign(client, cast, german_script)
    assert response.status_code == 200
    page = response.content.decode()
    assert "accent" in page and 'type="checkbox" name="accept_language_warning"' in page
    assert not RecordingTask.objects.filter(script=german_script).exists()


def test_accepting_the_warning_assigns_and_records_who(client, cast, german_script, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = assign(client, cast, german_script, accept_language_warning="on")
    assert response.status_code == 302
    task = RecordingTask.objects.get(script=german_script)
    assert task.language_warning_accepted_by == cast.admin_x
    assert AuditEvent.objects.filter(action="language_warning.accepted", target_id=task.public_id).exists()


def test_native_language_script_assigns_without_warning(client, cast, django_capture_on_commit_callbacks):
    script = ScriptFactory(organisation=cast.org_x, title="English", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        assert assign(client, cast, script).status_code == 302
    assert RecordingTask.objects.get(script=script).language_warning_accepted_by is None
