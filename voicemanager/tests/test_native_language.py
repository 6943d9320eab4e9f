"""Native-language warnings: shown when the language is not the speaker's, accepted explicitly, recorded."""
import pytest

from voicemanager.models import AuditEvent, RecordingTask, Speaker
from voicemanager.recording.native_language import clean_languages, language_warning, record_warning_accepted
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


# --- submitting files from the file manager (issue 6's page) -------------------------------------


@pytest.fixture
def owner_files(cast):
    """A consenting voice owner (native English) and 3 uploaded 11-minute files without a speaker."""
    from django.core.files.base import ContentFile

    from voicemanager.models import AudioFile
    from voicemanager.tests.cloning_fixtures import voice_owner

    owner = voice_owner(cast.org_x)
    Speaker.objects.filter(pk=owner.pk).update(native_languages=["en"])
    files = []
    for n in range(3):
        f = AudioFile(organisation=cast.org_x, name=f"set-{n}.wav", duration=660.0, size=50_000_000,
                      sample_rate=48000, channels=1)
        f.file.save(f"set-{n}.wav", ContentFile(b"RIFF" + bytes(40)), save=True)
        files.append(f.public_id)
    return owner, files


def submit(client, cast, owner, files, language, **extra):
    from voicemanager.models import CreditEntry

    CreditEntry.objects.get_or_create(organisation=cast.org_x, amount=1000, reason="top-up")
    client.force_login(cast.admin_x)
    return client.post("/vm/files/clone/", {"org": cast.org_x.public_id, "files": files, "alias": f"set-{language}",
                                            "language": language, "gender": "female", "speaker": owner.public_id,
                                            "action": "submit", **extra})


def test_submitting_a_set_in_a_foreign_language_needs_the_box_ticked(client, cast, owner_files):
    from voicemanager.models import Voice

    owner, files = owner_files
    client.force_login(cast.admin_x)
    page = client.get("/vm/files/clone/", {"org": cast.org_x.public_id, "files": files, "language": "fr",
                                           "speaker": owner.public_id})
    assert 'id="language-warning"' in page.content.decode()
    response = submit(client, cast, owner, files, "fr")
    assert response.status_code == 422 and b"accent" in response.content
    assert not Voice.objects.exists()
    response = submit(client, cast, owner, files, "fr", accept_language_warning="1")
    assert response.status_code == 302
    voice = Voice.objects.get(alias="set-fr")
    assert voice.speaker == owner and voice.language_warning_accepted_by == cast.admin_x
    assert AuditEvent.objects.filter(action="language_warning.accepted", target_id=voice.public_id).exists()


def test_submitting_a_set_in_the_native_language_has_no_warning(client, cast, owner_files):
    from voicemanager.models import Voice

    owner, files = owner_files
    assert submit(client, cast, owner, files, "en").status_code == 302
    assert Voice.objects.get(alias="set-en").language_warning_accepted_by is None


def test_set_without_a_named_voice_owner_is_not_submitted(client, cast, owner_files):
    from voicemanager.models import Voice

    owner, files = owner_files
    client.force_login(cast.admin_x)
    response = client.post("/vm/files/clone/", {"org": cast.org_x.public_id, "files": files, "alias": "nobody",
                                                "language": "en", "action": "submit"})
    assert response.status_code == 422 and b"No speaker" in response.content
    assert not Voice.objects.exists()
