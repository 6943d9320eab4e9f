"""The task page: sections with their submitted take, retakes, QC flags, invitation state, actions; audio access."""
import uuid

import pytest
from django.core.files.base import ContentFile

from voicemanager.models import Invitation, Take


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


WAV = b"RIFF....WAVEfmt fake-audio-bytes"


def make_take(task, section, status="submitted", qc=None):
    take = Take(task=task, section=section, kind="take", client_id=uuid.uuid4(), duration=3.0, status=status,
                sample_rate=48000, qc=qc or {})
    take.file.save("ignored.wav", ContentFile(WAV), save=False)
    take.save()
    return take


@pytest.fixture
def recorded(cast):
    sections = list(cast.script_x.sections.order_by("position"))
    make_take(cast.task_a, sections[0], status="recorded")
    make_take(cast.task_a, sections[0], status="deleted")
    submitted = make_take(cast.task_a, sections[0], qc={"summary": "warn", "verdicts": [
        {"code": "snr", "level": "warn", "title": "Background noise is audible"},
        {"code": "peak", "level": "ok", "title": "Level is fine"}]})
    return submitted


def test_member_sees_sections_takes_retakes_and_qc(client, cast, recorded):
    client.force_login(cast.member_x)
    response = client.get(f"/vm/tasks/{cast.task_a.public_id}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="task-section"') == 3
    assert f'src="/vm/tasks/{cast.task_a.public_id}/takes/{recorded.public_id}/audio"' in body
    assert "(2 retakes)" in body
    assert "Background noise is audible" in body and "Level is fine" not in body
    assert "1/3 sections" in body
    assert "Resend invitation" not in body and "Cancel task" not in body  # members only view


def test_admin_sees_actions_and_invitation_state(client, cast):
    invitation = Invitation.objects.create(organisation=cast.org_x, email="new@example.com")
    cast.task_b.invitation = invitation
    cast.task_b.status = "invited"
    cast.task_b.save()
    client.force_login(cast.admin_x)
    body = client.get(f"/vm/tasks/{cast.task_b.public_id}/").content.decode()
    assert 'data-testid="invitation-state">pending' in body
    for label in ("Resend invitation", "Revoke invitation", "Cancel task", "Change due date"):
        assert label in body


def test_audio_streams_to_members_only(client, cast, recorded):
    url = f"/vm/tasks/{cast.task_a.public_id}/takes/{recorded.public_id}/audio"
    assert client.get(url).status_code == 302
    client.force_login(cast.admin_y)
    assert client.get(url).status_code == 404
    client.force_login(cast.contractor_b)
    assert client.get(url).status_code == 404
    client.force_login(cast.member_x)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == WAV
    assert response["Content-Type"] == "audio/wav"


def test_take_of_another_task_is_not_served_through_this_task(client, cast, recorded):
    client.force_login(cast.admin_x)
    assert client.get(f"/vm/tasks/{cast.task_b.public_id}/takes/{recorded.public_id}/audio").status_code == 404


def test_other_admin_contractor_and_anonymous_cannot_open_task_page(client, cast):
    url = f"/vm/tasks/{cast.task_a.public_id}/"
    assert client.get(url).status_code == 302
    for who in (cast.admin_y, cast.contractor_a, cast.outsider):
        client.force_login(who)
        assert client.get(url).status_code == 404


def test_media_is_not_served_publicly(client, cast, recorded):
    assert client.get("/media/" + recorded.file.name).status_code == 404
