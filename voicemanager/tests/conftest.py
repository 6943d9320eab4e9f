"""Fixtures shared by the voicemanager tests."""
import re

import pytest

from e2e.services import message_text
from voicemanager.models import Speaker


def consent_link_in(message) -> str:
    """The path of the owner-consent link in an email."""
    url = re.search(r"https?://\S+/consent/\S+/", message_text(message)).group(0)
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def named(client, cast, mail, django_capture_on_commit_callbacks):
    """Admin X names a voice owner (mixed-case email); returns (speaker, path of the emailed consent link)."""
    client.force_login(cast.admin_x)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/vm/voice-owners/", {"organisation": cast.org_x.public_id,
                                                     "full_name": "Vera Owner", "email": "Vera@Example.com"})
    assert response.status_code == 302
    client.logout()
    return Speaker.objects.get(email="vera@example.com"), consent_link_in(mail.wait_for("vera@example.com")[0])
