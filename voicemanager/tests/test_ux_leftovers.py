"""Small page fixes: native languages as a checkbox list, the QC-table link once on the task page."""
import re

from django.urls import reverse

from voicemanager.models import Invitation, Speaker
from voicemanager.tests.factories import RecordingTaskFactory

HX = {"HTTP_HX_REQUEST": "true"}


def assert_checkbox_list(html: str) -> None:
    assert '<div id="id_native_languages" class="checkbox-grid">' in html
    assert len(re.findall(r'<input type="checkbox" name="native_languages"', html)) >= 20
    assert '<select name="native_languages"' not in html


def test_contractor_signup_offers_native_languages_as_checkboxes(client, cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email="talent@example.com",
                                           invited_by=cast.admin_x)
    RecordingTaskFactory(organisation=cast.org_x, script=cast.script_x, speaker=None, invitation=invitation,
                         contractor_email="talent@example.com", status="invited")
    assert_checkbox_list(client.get(f"/invite/{invitation.make_token()}/").content.decode())


def test_owner_consent_form_offers_native_languages_as_checkboxes(client, cast):
    from voicemanager.consent import owner_links as owner_consent

    owner = Speaker.objects.create(kind=Speaker.Kind.VOICE_OWNER, organisation=cast.org_x, email="o@example.com",
                                   full_name="Olga Owner")
    html = client.get(f"/consent/{owner_consent.make_token(owner)}/").content.decode()
    assert_checkbox_list(html)
    assert "<legend>Your native language(s):</legend>" in html


def test_task_page_links_the_qc_table_once(client, cast):
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/tasks/{cast.task_a.public_id}/").content.decode()
    panel = client.get(reverse("denoise_task_panel", args=[cast.task_a.public_id]), **HX)
    assert panel.status_code == 200 and "Denoise and QC" in panel.content.decode()
    assert (page + panel.content.decode()).count("QC table (worst first)") == 1
