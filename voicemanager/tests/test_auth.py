"""Login, logout, password reset, role-based navigation and organisation isolation."""
import re

import pytest
from django.urls import reverse

from e2e.services import message_text


def test_login_with_email_and_password(client, cast):
    response = client.post(reverse("login"), {"username": "admin-x@example.com", "password": "pass-word-123"})
    assert response.status_code == 302
    assert client.get("/vm/").status_code == 200


def test_login_with_wrong_password_is_refused(client, cast):
    response = client.post(reverse("login"), {"username": "admin-x@example.com", "password": "nope"})
    assert response.status_code == 200
    assert b"check your email and password" in response.content.lower() or b"correct" in response.content.lower()


def test_logout(client, cast):
    client.force_login(cast.admin_x)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/vm/").status_code == 302


def test_password_reset_by_email(client, cast, mail):
    client.post(reverse("password_reset"), {"email": "admin-x@example.com"})
    [msg] = mail.wait_for("admin-x@example.com")
    link = re.search(r"https?://[^\s]+/reset/[^\s]+", message_text(msg)).group(0)
    path = "/" + link.split("/", 3)[3]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    set_url = response.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"})
    assert response.status_code == 302
    cast.admin_x.refresh_from_db()
    assert cast.admin_x.check_password("Brand-new-pass-42")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/vm/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_member_cannot_see_another_organisations_page(client, cast):
    client.force_login(cast.admin_x)
    assert client.get(f"/vm/orgs/{cast.org_x.public_id}/").status_code == 200
    assert client.get(f"/vm/orgs/{cast.org_y.public_id}/").status_code == 404


def test_contractor_sees_only_the_booth(client, cast):
    client.force_login(cast.contractor_a)
    assert client.get("/").url == "/booth/"
    assert client.get("/vm/").status_code == 404
    assert client.get(f"/vm/orgs/{cast.org_x.public_id}/").status_code == 404
    page = client.get("/booth/").content.decode()
    assert "Dashboard" not in page and "Recording booth" in page


@pytest.mark.parametrize("who,expected", [("admin_x", True), ("member_x", False), ("staff", True)])
def test_only_admins_create_api_keys(client, cast, who, expected):
    client.force_login(getattr(cast, who))
    before = cast.org_x.api_keys.count()
    response = client.post(f"/vm/orgs/{cast.org_x.public_id}/api-keys/", {"name": "ci"})
    assert (cast.org_x.api_keys.count() == before + 1) is expected
    assert response.status_code == (200 if expected else 403)  # the new key is shown in this answer
