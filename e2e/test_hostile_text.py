"""Hostile script text: HTML/JS is shown escaped on every page that renders it, huge scripts get a clear
refusal, right-to-left and CJK text survives untouched, and CSV files we write neutralise formulas."""
from __future__ import annotations

import zipfile

import pytest

PAYLOADS = [
    '<script>alert("xss-1")</script>',
    '<img src=x onerror="alert(\'xss-2\')">',
    '"><svg onload=alert(3)>',
    "</textarea><iframe src=javascript:alert(4)>",
]
RTL = "שלום עולם، مرحبا بالعالم"
CJK = "今日は良い天気です。我们一起去公园吧。"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_script(client, key, sections, title='Title <b onmouseover="alert(5)">bold</b>', language="en"):
    resp = client.post("/api/v2/scripts", {"title": title, "language": language, "sections": sections},
                       content_type="application/json", HTTP_X_API_KEY=key)
    return resp


def assert_escaped(html: str, where: str):
    for payload in PAYLOADS:
        assert payload not in html, f"{where}: raw markup rendered: {payload}"
    assert "<script>alert" not in html and "onerror=\"alert" not in html and "<svg onload" not in html, where
    assert "&lt;script&gt;alert(&quot;xss-1&quot;)&lt;/script&gt;" in html or "&lt;script&gt;" in html, \
        f"{where}: the text should still be shown (escaped)"


@pytest.fixture
def hostile_task(cast, client):
    from booth.tests.helpers import sign_all
    from e2e.hostile.make_corpus import tone, wav_bytes
    from voicemanager.models import AudioFile, ConsentRecording, RecordingTask, Script
    from voicemanager.tests.factories import RecordingTaskFactory

    resp = make_script(client, cast.api_key_x, [*PAYLOADS, RTL, CJK])
    assert resp.status_code == 201, resp.content
    script = Script.objects.get(public_id=resp.json()["scriptId"] if "scriptId" in resp.json() else resp.json()["id"])
    task = RecordingTaskFactory(organisation=cast.org_x, script=script, speaker=cast.speaker_a,
                                status=RecordingTask.Status.RECORDING)
    sign_all(cast.speaker_a)
    audio = AudioFile(organisation=cast.org_x, name="consent.wav", source=AudioFile.Source.CONSENT)
    from django.core.files.base import ContentFile

    audio.file.save("c.wav", ContentFile(wav_bytes(tone())), save=False)
    audio.save()
    ConsentRecording.objects.create(speaker=cast.speaker_a, organisation=cast.org_x, task=task, audio=audio,
                                    statement="I consent.")
    return task


def test_script_html_is_escaped_on_script_task_and_booth_pages(cast, client, hostile_task):
    from django.test import Client

    admin = Client()
    admin.force_login(cast.admin_x)
    pages = {
        "script page": admin.get(f"/vm/scripts/{hostile_task.script.public_id}/"),
        "script list": admin.get("/vm/scripts/"),
        "task page": admin.get(f"/vm/tasks/{hostile_task.public_id}/"),
        "tasks tab": admin.get("/vm/tasks/"),
    }
    booth = Client()
    booth.force_login(cast.contractor_a)
    for position in (1, 2, 3, 4):
        pages[f"booth section {position}"] = booth.get(f"/booth/tasks/{hostile_task.public_id}/?section={position}")
    pages["booth home"] = booth.get("/booth/")
    for where, resp in pages.items():
        assert resp.status_code == 200, f"{where}: {resp.status_code}"
        html = resp.content.decode()
        assert '<b onmouseover="alert(5)">' not in html, f"{where}: raw title markup"
        if where.startswith(("script page", "booth section 1")):
            assert_escaped(html, where)
        else:
            for payload in PAYLOADS:
                assert payload not in html, f"{where}: raw markup rendered: {payload}"


def test_rtl_and_cjk_text_survive_round_trip(cast, client, hostile_task):
    detail = client.get(f"/api/v2/scripts/{hostile_task.script.public_id}", HTTP_X_API_KEY=cast.api_key_x).json()
    texts = [s["text"] for s in detail["sections"]]
    assert RTL in texts and CJK in texts and PAYLOADS[0] in texts, "the API returns the text exactly as sent"
    client.force_login(cast.admin_x)
    html = client.get(f"/vm/scripts/{hostile_task.script.public_id}/").content.decode()
    assert RTL in html and CJK in html


def test_huge_scripts_get_a_clear_refusal(cast, client):
    from voicemanager.models import Script

    too_many = make_script(client, cast.api_key_x, [f"Short line number {i}." for i in range(5001)], title="Big")
    assert too_many.status_code == 400 and "5000" in too_many.json()["error"]["message"]
    too_long = make_script(client, cast.api_key_x, ["word " * 1001], title="Long")
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "invalid_script"
    assert not Script.objects.filter(title__in=("Big", "Long")).exists(), "nothing is stored for a refused script"
    big = client.post("/api/v2/scripts", {"title": "Text", "language": "en", "text": "x" * (11 * 1024 * 1024)},
                      content_type="application/json", HTTP_X_API_KEY=cast.api_key_x)
    assert big.status_code in (400, 413), "a body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused, not a 500"


def test_many_sections_are_accepted_and_the_page_renders(cast, client):
    resp = make_script(client, cast.api_key_x, [f"Sentence {i}: the quick brown fox." for i in range(1500)],
                       title="Many")
    assert resp.status_code == 201, resp.content[:300]
    script_id = resp.json().get("scriptId") or resp.json().get("id")
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/scripts/{script_id}/")
    assert page.status_code == 200 and "Sentence 1499" in page.content.decode()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_package_metadata_csv_cannot_start_a_formula(cast):
    """The only CSV we write is the package's LJSpeech ``metadata.csv`` (``id|text``) for the cloning provider.
    Its text column must stay verbatim (it is the transcript of the audio), so a formula is neutralised by the row
    layout instead: every line starts with the generated id, so neither a comma-CSV import (one cell per line) nor
    a cell-by-cell import can begin a cell of ours with ``=``/``+``/``-``/``@``."""
    from voicemanager.cloning.packaging import build_package
    from voicemanager.models import Voice
    from voicemanager.tests.cloning_fixtures import make_audio_file

    files = [make_audio_file(cast.org_x, 2.0, transcript=text, name=f"f{i}.wav")
             for i, text in enumerate([FORMULA, "+SUM(1,2)", "@import", "-2+3", "plain text"])]
    voice = Voice.objects.create(organisation=cast.org_x, alias="csv-formula", files_used=[f.public_id for f in files])
    zip_path, manifest, tmp = build_package(voice)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            text = zf.read("metadata.csv").decode()
    finally:
        tmp.cleanup()
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == len(files)
    for line in lines:
        assert not line.startswith(FORMULA_STARTS), line
        assert line[:4].isdigit(), f"each row starts with the generated id: {line!r}"
        for cell in line.split("|")[:1]:
            assert not cell.startswith(FORMULA_STARTS), line
