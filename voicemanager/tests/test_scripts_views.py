"""Script pages: create with preview, the section editor, versioning after assignment, permissions."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from voicemanager.models import AuditEvent, Script
from voicemanager.tests.factories import RecordingTaskFactory, ScriptFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


TEXT = "The first thing to say.\n\nThe second thing to say.\n\nThe second thing to say."


def test_preview_shows_sections_and_warnings_and_saves_nothing(client, cast):
    client.force_login(cast.admin_x)
    before = Script.objects.count()
    response = client.post("/vm/scripts/new/", {"step": "preview", "organisation": cast.org_x.public_id,
                                                 "title": "Pasted", "language": "en", "split": "blank",
                                                 "text": TEXT})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="preview-section"') == 3
    assert 'data-warning="duplicate"' in body and "30 min minimum" in body
    assert Script.objects.count() == before


def test_save_from_preview_creates_script_with_sections_and_audit(client, cast):
    client.force_login(cast.admin_x)
    response = client.post("/vm/scripts/new/", {
        "step": "save", "organisation": cast.org_x.public_id, "title": "Pasted", "language": "de",
        "section": ["One.", "", "Two.\n\nThree."], "section_id": ["a", "", ""]})
    script = Script.objects.get(title="Pasted")
    assert response.status_code == 302 and response.url == f"/vm/scripts/{script.public_id}/"
    assert script.public_id.startswith("scr_") and script.language == "de" and script.organisation == cast.org_x
    assert list(script.sections.values_list("text", "external_id")) == [("One.", "a"), ("Two.\n\nThree.", "")]
    assert AuditEvent.objects.filter(action="script.created", target_id=script.public_id).exists()


def test_upload_csv_with_ids_previews_them(client, cast):
    client.force_login(cast.admin_x)
    upload = SimpleUploadedFile("s.csv", b"id,text\nq1,Hello there.\nq2,Goodbye now.\n", "text/csv")
    response = client.post("/vm/scripts/new/", {"step": "preview", "organisation": cast.org_x.public_id,
                                                 "title": "CSV", "language": "en", "split": "blank",
                                                 "file": upload})
    body = response.content.decode()
    assert 'value="q1"' in body and 'value="q2"' in body and "Goodbye now." in body


def test_upload_json_takes_title_and_language(client, cast):
    client.force_login(cast.admin_x)
    upload = SimpleUploadedFile("s.json", b'{"title": "From JSON", "language": "fr", "sections": ["Bonjour."]}')
    response = client.post("/vm/scripts/new/", {"step": "preview", "organisation": cast.org_x.public_id,
                                                 "title": "", "language": "en", "split": "blank", "file": upload})
    body = response.content.decode()
    assert 'value="From JSON"' in body and '<option value="fr" selected>' in body


def test_bad_upload_shows_error_and_creates_nothing(client, cast):
    client.force_login(cast.admin_x)
    before = Script.objects.count()
    upload = SimpleUploadedFile("s.json", b"{broken")
    response = client.post("/vm/scripts/new/", {"step": "preview", "organisation": cast.org_x.public_id,
                                                 "title": "X", "language": "en", "split": "blank", "file": upload})
    assert response.status_code == 200 and "not valid JSON" in response.content.decode()
    assert Script.objects.count() == before


def test_cannot_create_script_in_other_organisation(client, cast):
    client.force_login(cast.admin_x)
    response = client.post("/vm/scripts/new/", {"step": "save", "organisation": cast.org_y.public_id,
                                                 "title": "Sneaky", "language": "en", "section": ["x"]})
    assert response.status_code == 403
    assert not Script.objects.filter(title="Sneaky").exists()


def test_member_may_view_but_not_create_or_edit(client, cast):
    client.force_login(cast.member_x)
    assert client.get(f"/vm/scripts/{cast.script_x.public_id}/").status_code == 200
    assert client.get("/vm/scripts/new/").status_code == 403
    assert client.post(f"/vm/scripts/{cast.script_x.public_id}/sections/1/delete").status_code == 403


def test_other_org_contractor_and_anonymous_cannot_open_script(client, cast):
    url = f"/vm/scripts/{cast.script_x.public_id}/"
    assert client.get(url).status_code == 302
    client.force_login(cast.admin_y)
    assert client.get(url).status_code == 404
    assert client.post(url + "sections/1/delete").status_code == 404
    client.force_login(cast.contractor_a)
    assert client.get(url).status_code == 404
    assert client.get("/vm/scripts/").status_code == 404


def texts(script):
    return list(script.sections.order_by("position").values_list("text", flat=True))


def test_section_editor_edit_merge_split_move_delete_add(client, cast):
    script = ScriptFactory(organisation=cast.org_x, sections=["A one.", "B two. B three.", "C four."])
    client.force_login(cast.admin_x)
    base = f"/vm/scripts/{script.public_id}/sections/"
    hx = {"HX-Request": "true"}
    response = client.post(base + "1/edit", {"text": "A edited."}, headers=hx)
    assert response.status_code == 200 and 'id="sections"' in response.content.decode()
    assert texts(script) == ["A edited.", "B two. B three.", "C four."]
    client.post(base + "2/split", headers=hx)
    assert texts(script) == ["A edited.", "B two.", "B three.", "C four."]
    client.post(base + "2/merge", headers=hx)
    assert texts(script) == ["A edited.", "B two. B three.", "C four."]
    client.post(base + "3/up", headers=hx)
    assert texts(script) == ["A edited.", "C four.", "B two. B three."]
    client.post(base + "1/down", headers=hx)
    assert texts(script) == ["C four.", "A edited.", "B two. B three."]
    client.post(base + "2/delete", headers=hx)
    assert texts(script) == ["C four.", "B two. B three."]
    client.post(f"/vm/scripts/{script.public_id}/sections/add", {"text": "D.\n\nE."}, headers=hx)
    assert texts(script) == ["C four.", "B two. B three.", "D.", "E."]
    assert Script.objects.filter(previous_version=script).count() == 0


def test_editing_blank_lines_split_and_invalid_edits_change_nothing(client, cast):
    script = ScriptFactory(organisation=cast.org_x, sections=["Only one."])
    client.force_login(cast.admin_x)
    base = f"/vm/scripts/{script.public_id}/sections/"
    response = client.post(base + "1/delete", headers={"HX-Request": "true"})
    assert "at least one section" in response.content.decode()
    client.post(base + "1/edit", {"text": "   "})
    client.post(base + "5/merge")
    assert texts(script) == ["Only one."]
    client.post(base + "1/edit", {"text": "First.\n\nSecond."})
    assert texts(script) == ["First.", "Second."]


def test_edit_after_assignment_creates_new_version_and_keeps_the_old(client, cast):
    script = cast.script_x
    original = texts(script)
    client.force_login(cast.admin_x)
    response = client.post(f"/vm/scripts/{script.public_id}/sections/1/edit", {"text": "Changed."},
                           headers={"HX-Request": "true"})
    new = Script.objects.get(previous_version=script)
    assert response.status_code == 200 and response["HX-Redirect"] == f"/vm/scripts/{new.public_id}/"
    assert texts(script) == original
    assert texts(new) == ["Changed."] + original[1:]
    assert new.version == 2 and new.organisation == cast.org_x
    cast.task_a.refresh_from_db()
    assert cast.task_a.script_id == script.pk
    assert AuditEvent.objects.filter(action="script.versioned", target_id=new.public_id).exists()
    # the old version is frozen now: a second edit is refused, nothing changes
    client.post(f"/vm/scripts/{script.public_id}/sections/1/edit", {"text": "Again."})
    assert texts(script) == original and Script.objects.filter(previous_version=new).count() == 0
    # the list and the assignment dropdown show only the latest version
    body = client.get("/vm/scripts/").content.decode()
    assert new.public_id in body and script.public_id not in body


def test_rename_in_place_even_when_assigned(client, cast):
    client.force_login(cast.admin_x)
    client.post(f"/vm/scripts/{cast.script_x.public_id}/details", {"title": "Renamed", "language": "en"})
    cast.script_x.refresh_from_db()
    assert cast.script_x.title == "Renamed" and not Script.objects.filter(previous_version=cast.script_x).exists()


def test_language_dropdown_lists_professional_languages(client, cast):
    client.force_login(cast.admin_x)
    body = client.get("/vm/scripts/new/").content.decode()
    for name in ("Classic Arabic", "Filipino", "Norwegian", "Tamil"):
        assert name in body


def test_deleting_a_section_of_an_assigned_script_creates_a_new_version(client, cast):
    script = ScriptFactory(organisation=cast.org_x, sections=["One.", "Two."])
    RecordingTaskFactory(organisation=cast.org_x, script=script)
    client.force_login(cast.admin_x)
    client.post(f"/vm/scripts/{script.public_id}/sections/2/delete")
    assert texts(script) == ["One.", "Two."]
    assert texts(Script.objects.get(previous_version=script)) == ["One."]


def test_edit_form_partial_and_sections_partial_for_htmx(client, cast):
    script = ScriptFactory(organisation=cast.org_x, sections=["Alpha.", "Beta."])
    client.force_login(cast.admin_x)
    form = client.get(f"/vm/scripts/{script.public_id}/sections/2/edit", headers={"HX-Request": "true"})
    body = form.content.decode()
    assert "<html" not in body and ">Beta.</textarea>" in body and 'hx-target="#sections"' in body
    partial = client.get(f"/vm/scripts/{script.public_id}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="sections">') and "<html" not in partial
