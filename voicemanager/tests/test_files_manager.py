"""File manager pages: list, filter, search, download, rename, move, label, delete; who may do what."""
import pytest
from django.urls import reverse

from voicemanager.models import AudioFile, AuditEvent
from voicemanager.tests.cloning_fixtures import make_audio_file


@pytest.fixture
def files_x(cast):
    a = make_audio_file(cast.org_x, 2.0, name="alpha.wav", path="sets/one", qc={"summary": "warn"})
    b = make_audio_file(cast.org_x, 5.0, name="bravo.wav", path="sets/one", source=AudioFile.Source.BOOTH)
    c = make_audio_file(cast.org_x, 3.0, name="alpha.denoised.wav", path="sets/one", derived_from=a,
                        source=AudioFile.Source.DENOISED)
    d = make_audio_file(cast.org_x, 1.0, name="other.wav", path="sets/two")
    return a, b, c, d


def page(client, user, **params):
    client.force_login(user)
    return client.get(reverse("files"), params)


def test_admin_lists_folders_and_files_with_their_facts(client, cast, files_x):
    a, b, c, d = files_x
    resp = page(client, cast.admin_x, org=cast.org_x.public_id, path="sets/one")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert all(f.name in html for f in (a, b, c)) and "other.wav" not in html
    assert "Denoised" in html and "alpha.wav</a>" in html  # derived-from link beside the denoised file
    top = page(client, cast.admin_x, org=cast.org_x.public_id, path="sets").content.decode()
    assert "one/</a>" in top and "two/</a>" in top


def test_search_filter_and_sort(client, cast, files_x):
    html = page(client, cast.admin_x, org=cast.org_x.public_id, q="alpha").content.decode()
    assert "alpha.wav" in html and "bravo.wav" not in html
    html = page(client, cast.admin_x, org=cast.org_x.public_id, path="sets/one", source="booth").content.decode()
    assert "bravo.wav" in html and "alpha.wav" not in html
    html = page(client, cast.admin_x, org=cast.org_x.public_id, path="sets/one", sort="-duration").content.decode()
    assert html.index("bravo.wav") < html.index("alpha.denoised.wav") < html.index(">alpha.wav")


def test_other_org_admin_and_contractor_and_anonymous_cannot_see_files(client, cast, files_x):
    a = files_x[0]
    assert page(client, cast.admin_y, org=cast.org_x.public_id).status_code == 404
    client.force_login(cast.admin_y)
    assert client.get(reverse("file_detail", args=[a.public_id])).status_code == 404
    assert client.get(reverse("file_download", args=[a.public_id])).status_code == 404
    client.force_login(cast.contractor_a)
    assert client.get(reverse("file_download", args=[a.public_id])).status_code == 404
    client.logout()
    assert client.get(reverse("file_download", args=[a.public_id])).status_code == 302


def test_member_downloads_streamed_bytes(client, cast, files_x):
    a = files_x[0]
    client.force_login(cast.member_x)
    resp = client.get(reverse("file_download", args=[a.public_id]))
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    with a.file.open("rb") as fh:
        assert b"".join(resp.streaming_content) == fh.read()


def test_download_on_s3_redirects_to_a_presigned_url(client, cast, s3_storage):
    audio = make_audio_file(cast.org_x, 1.0)
    client.force_login(cast.admin_x)
    resp = client.get(reverse("file_download", args=[audio.public_id]))
    assert resp.status_code == 302 and "X-Amz-Signature" in resp["Location"]
    import urllib.request

    with urllib.request.urlopen(resp["Location"], timeout=10) as r:  # noqa: S310 - loopback S3
        assert r.read() == audio.file.open("rb").read()


def test_admin_renames_moves_labels_with_audit(client, cast, files_x):
    a, _, c, _ = files_x
    client.force_login(cast.admin_x)
    client.post(reverse("file_rename", args=[a.public_id]), {"name": "../../etc/x.php.mp3\x00"})
    a.refresh_from_db()
    assert a.name == "x_php.wav"  # one extension, the file's own
    client.post(reverse("file_move", args=[a.public_id]), {"path": "/archive/../2024//"})
    a.refresh_from_db()
    c.refresh_from_db()
    assert a.path == "archive/2024" and c.path == "archive/2024"  # the denoised version moves along
    client.post(reverse("file_label", args=[a.public_id]), {"label": "best"})
    a.refresh_from_db()
    assert a.label == "best"
    actions = set(AuditEvent.objects.filter(target_id=a.public_id).values_list("action", flat=True))
    assert {"file.renamed", "file.moved", "file.labelled"} <= actions


def test_member_and_other_admin_cannot_change_files(client, cast, files_x):
    a = files_x[0]
    client.force_login(cast.member_x)
    assert client.post(reverse("file_rename", args=[a.public_id]), {"name": "x"}).status_code == 403
    client.force_login(cast.admin_y)
    assert client.post(reverse("file_delete", args=[a.public_id])).status_code == 404
    assert AudioFile.objects.filter(pk=a.pk).exists()


def test_delete_removes_file_and_derived_versions_and_storage_with_audit(client, cast, files_x,
                                                                         django_capture_on_commit_callbacks):
    a, _, c, _ = files_x
    paths = [a.file.path, c.file.path]
    client.force_login(cast.admin_x)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("file_delete", args=[a.public_id]))
    assert resp.status_code == 302
    assert not AudioFile.objects.filter(pk__in=[a.pk, c.pk]).exists()
    import os

    assert not any(os.path.exists(p) for p in paths)
    event = AuditEvent.objects.get(action="file.deleted", target_id=a.public_id)
    assert set(event.storage_locations) == {a.file.name, c.file.name}


def test_consent_recording_cannot_be_deleted(client, cast):
    from voicemanager.tests.cloning_fixtures import record_consent

    rec = record_consent(cast.speaker_a, cast.org_x, cast.task_a)
    client.force_login(cast.admin_x)
    client.post(reverse("file_delete", args=[rec.audio.public_id]))
    assert AudioFile.objects.filter(pk=rec.audio.pk).exists()


def test_selection_in_the_file_manager_goes_through_the_preflight_to_a_voice(client, cast):
    from voicemanager.models import Voice
    from voicemanager.tests.cloning_fixtures import add_credits, voice_owner

    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    long = [make_audio_file(cast.org_x, 610.0, rate=8000, speaker=owner, name=f"long{i}.wav") for i in range(3)]
    short = make_audio_file(cast.org_x, 20.0, rate=8000, speaker=owner, name="short.wav")
    clean = make_audio_file(cast.org_x, 610.0, rate=8000, speaker=owner, name="long0.denoised.wav",
                            derived_from=long[0], source=AudioFile.Source.DENOISED)
    ids = [f.public_id for f in [*long, short]]
    client.force_login(cast.admin_x)
    page = client.get(reverse("clone_files"), {"org": cast.org_x.public_id, "files": ids}).content.decode()
    assert "30.5 min" in page and "short.wav" in page and "at least 10.0 min" in page  # discarded, with why
    assert "Friday" in page or "day" in page  # expected date shown
    client.force_login(cast.admin_y)
    assert client.get(reverse("clone_files"), {"org": cast.org_x.public_id, "files": ids}).status_code == 404
    client.force_login(cast.member_x)
    assert client.get(reverse("clone_files"), {"org": cast.org_x.public_id, "files": ids}).status_code == 403
    client.force_login(cast.admin_x)
    resp = client.post(reverse("clone_files"), {
        "org": cast.org_x.public_id, "files": ids, "alias": "owner-pro", "language": "fr", "gender": "male",
        f"variant_{long[0].public_id}": clean.public_id, "action": "submit"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    voice = Voice.objects.get(alias="owner-pro")
    assert voice.type == "professional" and voice.language == "fr" and voice.speaker == owner
    assert voice.files_used[0] == clean.public_id and short.public_id in {d["fileId"] for d in voice.discarded_files}
    long[0].refresh_from_db()
    assert long[0].forward_variant == clean  # the choice is remembered
