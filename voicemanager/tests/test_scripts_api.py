"""Scripts API: create (sections or text), list, get; per-organisation isolation."""
import pytest

from voicemanager.models import AuditEvent, Script


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(client, method, url, key, **kwargs):
    return getattr(client, method)("/api/v2/scripts" + url, headers={"x-api-key": key},
                                   content_type="application/json", **kwargs)


def test_create_with_sections_returns_public_id_sections_and_warnings(client, cast):
    response = api(client, "post", "", cast.api_key_x, data={
        "title": "API script", "language": "de", "sections": ["Eins.", {"text": "Zwei.", "id": "s2"}, "Eins."]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scriptId"].startswith("scr_") and body["sectionCount"] == 3
    assert body["sections"][1] == {"position": 2, "text": "Zwei.", "id": "s2"}
    assert {"section": 3, "kind": "duplicate"} in [{"section": w["section"], "kind": w["kind"]}
                                                   for w in body["warnings"]]
    script = Script.objects.get(public_id=body["scriptId"])
    assert script.organisation == cast.org_x and script.language == "de"
    assert AuditEvent.objects.filter(action="script.created", target_id=script.public_id).exists()


def test_create_from_text_splits_by_blank_lines_or_lines(client, cast):
    body = api(client, "post", "", cast.api_key_x,
               data={"title": "T", "language": "en", "text": "A.\nstill A.\n\nB."}).json()
    assert [s["text"] for s in body["sections"]] == ["A.\nstill A.", "B."]
    body = api(client, "post", "", cast.api_key_x,
               data={"title": "T", "language": "en", "text": "A.\nB.", "split": "line"}).json()
    assert [s["text"] for s in body["sections"]] == ["A.", "B."]


@pytest.mark.parametrize("payload,status", [
    ({"title": "T", "language": "xx", "sections": ["a"]}, 400),
    ({"title": "T", "language": "en", "sections": []}, 400),
    ({"title": "T", "language": "en", "sections": ["  ", ""]}, 400),
    ({"title": "", "language": "en", "sections": ["a"]}, 400),
    ({"title": "T", "language": "en"}, 400),
    ({"title": "T", "language": "en", "sections": ["a"], "text": "b"}, 400),
    ({"title": "T", "language": "en", "sections": [{"nope": 1}]}, 422),
])
def test_bad_scripts_are_refused_and_nothing_is_created(client, cast, payload, status):
    before = Script.objects.count()
    response = api(client, "post", "", cast.api_key_x, data=payload)
    assert response.status_code == status
    assert "error" in response.json() and response.json()["error"]["message"]
    assert Script.objects.count() == before


def test_list_shows_only_own_current_scripts(client, cast):
    body = api(client, "get", "", cast.api_key_x).json()
    ids = [s["scriptId"] for s in body["scripts"]]
    assert cast.script_x.public_id in ids and cast.script_y.public_id not in ids
    assert body["count"] == len(ids)


def test_get_one_with_sections_and_other_org_is_404(client, cast):
    body = api(client, "get", f"/{cast.script_x.public_id}", cast.api_key_x).json()
    assert [s["position"] for s in body["sections"]] == [1, 2, 3]
    response = api(client, "get", f"/{cast.script_y.public_id}", cast.api_key_x)
    assert response.status_code == 404 and response.json()["error"]["code"] == "script_not_found"
    assert api(client, "get", "/scr_doesnotexist", cast.api_key_x).status_code == 404


def test_no_or_wrong_key_is_401(client, cast):
    assert client.get("/api/v2/scripts").status_code == 401
    assert api(client, "get", "", "vmk_wrong").status_code == 401
