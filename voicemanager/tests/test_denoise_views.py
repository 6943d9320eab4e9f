"""Denoise views: who may see and do what, requests create jobs, the forward choice, QC table, audio ranges."""
from __future__ import annotations

import uuid

import numpy as np
import pytest
import soundfile as sf
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from e2e.services import speech_wav
from voicemanager.files import jobs as flows
from voicemanager.models import AudioFile, AuditEvent, DenoiseJob, Take

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def wav_bytes(tmp_path_factory) -> bytes:
    d = tmp_path_factory.mktemp("speech")
    path = speech_wav(d / "s.wav", "Six spoons of fresh snow peas.")
    x, rate = sf.read(path, dtype="float32")
    sf.write(d / "n.wav", x + np.random.default_rng(0).standard_normal(len(x)).astype(np.float32) * 0.01, rate)
    return (d / "n.wav").read_bytes()


def take_file(task, data: bytes, position: int = 1) -> AudioFile:
    section = task.script.sections.get(position=position)
    af = AudioFile(organisation=task.organisation, path=task.file_path, name=f"{position:03d}.wav",
                   source=AudioFile.Source.BOOTH, task=task, transcript=section.text)
    af.file.save("t.wav", ContentFile(data), save=False)
    af.save()
    Take.objects.create(task=task, section=section, client_id=uuid.uuid4(), file=af.file.name, size=len(data),
                        sha256="0" * 64, status="submitted", audio_file=af, submitted_at=timezone.now())
    return af


@pytest.fixture
def take_x(cast, wav_bytes):
    return take_file(cast.task_a, wav_bytes)


@pytest.fixture
def denoised_x(take_x):
    """take_x analysed and denoised (run in-process, as the worker would)."""
    flows.run_analysis(take_x.pk)
    job = DenoiseJob.objects.create(source=take_x, engine="spectral", strength=0.8)
    assert flows.run_denoise(job.pk) == "done"
    take_x.refresh_from_db()
    return AudioFile.objects.get(derived_from=take_x)


def urls(af, task):
    return {
        "audio": reverse("denoise_file_audio", args=[af.public_id]),
        "page": reverse("denoise_file_page", args=[af.public_id]),
        "qc": reverse("task_qc", args=[task.public_id]),
        "panel": reverse("denoise_task_panel", args=[task.public_id]),
    }


# --- who gets in --------------------------------------------------------------------------------

def test_other_org_admin_gets_404_everywhere(client, cast, denoised_x):
    client.force_login(cast.admin_y)
    for url in urls(cast.task_a.files.first() or denoised_x.derived_from, cast.task_a).values():
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("denoise_file", args=[denoised_x.derived_from.public_id]),
                       {"engine": "spectral", "strength": "0.5"}).status_code == 404
    assert client.post(reverse("denoise_task", args=[cast.task_a.public_id]),
                       {"engine": "spectral", "strength": "0.5"}).status_code == 404
    assert client.post(reverse("denoise_file_forward", args=[denoised_x.derived_from.public_id]),
                       {"variant": denoised_x.public_id}).status_code == 404
    assert client.post(reverse("denoise_selection"), {"files": [denoised_x.derived_from.public_id],
                                                       "engine": "spectral", "strength": "0.5"}).status_code == 404
    batch = DenoiseJob.objects.get(source=denoised_x.derived_from).batch or "x"
    DenoiseJob.objects.filter(source=denoised_x.derived_from).update(batch="b-x")
    assert client.get(reverse("denoise_batch", args=["b-x"])).status_code == 404, batch
    assert DenoiseJob.objects.count() == 1
    denoised_x.derived_from.refresh_from_db()
    assert denoised_x.derived_from.forward_variant is None


def test_contractor_gets_404_even_for_own_task(client, cast, take_x):
    client.force_login(cast.contractor_a)
    for url in urls(take_x, cast.task_a).values():
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("denoise_file", args=[take_x.public_id]),
                       {"engine": "spectral", "strength": "0.5"}).status_code == 404
    assert not DenoiseJob.objects.exists()


def test_anonymous_is_sent_to_login(client, cast, take_x):
    for url in urls(take_x, cast.task_a).values():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(reverse("denoise_task", args=[cast.task_a.public_id]), {"engine": "spectral"})
    assert response.status_code == 302 and not DenoiseJob.objects.exists()


def test_member_can_look_but_not_denoise(client, cast, denoised_x):
    raw = denoised_x.derived_from
    client.force_login(cast.member_x)
    assert client.get(reverse("denoise_file_page", args=[raw.public_id])).status_code == 200
    assert client.get(reverse("task_qc", args=[cast.task_a.public_id])).status_code == 200
    assert client.post(reverse("denoise_task", args=[cast.task_a.public_id]),
                       {"engine": "spectral", "strength": "0.5"}).status_code == 403
    assert client.post(reverse("denoise_file_forward", args=[raw.public_id]),
                       {"variant": denoised_x.public_id}).status_code == 403
    assert DenoiseJob.objects.count() == 1


# --- denoise requests ---------------------------------------------------------------------------

def test_denoise_whole_task_creates_one_job_per_submitted_take(client, cast, wav_bytes, django_capture_on_commit_callbacks):
    files = [take_file(cast.task_a, wav_bytes, position=i) for i in (1, 2, 3)]
    client.force_login(cast.admin_x)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("denoise_task", args=[cast.task_a.public_id]),
                               {"engine": "neural", "strength": "0.7"}, **HX)
    assert response.status_code == 200
    jobs_ = DenoiseJob.objects.filter(source__in=files)
    assert jobs_.count() == 3 and {j.engine for j in jobs_} == {"neural"} and {j.strength for j in jobs_} == {0.7}
    assert len({j.batch for j in jobs_}) == 1 and jobs_.first().requested_by == cast.admin_x
    assert len(callbacks) == 1  # one denoise_set message, sent after commit
    html = response.content.decode()
    assert 'data-testid="denoise-progress"' in html and "0/3 denoised" in html and 'hx-trigger="every 2s"' in html
    assert AuditEvent.objects.filter(action="denoise.requested").exists()


def test_denoise_one_file_and_a_selection(client, cast, wav_bytes):
    a, b = take_file(cast.task_a, wav_bytes, 1), take_file(cast.task_a, wav_bytes, 2)
    client.force_login(cast.admin_x)
    response = client.post(reverse("denoise_file", args=[a.public_id]), {"engine": "rnnoise", "strength": "1"}, **HX)
    assert response.status_code == 200 and DenoiseJob.objects.filter(source=a, engine="rnnoise").count() == 1
    response = client.post(reverse("denoise_selection"),
                           {"files": [a.public_id, b.public_id], "engine": "spectral", "strength": "0.5"}, **HX)
    assert response.status_code == 200 and DenoiseJob.objects.filter(engine="spectral").count() == 2
    batch = DenoiseJob.objects.filter(engine="spectral").first().batch
    progress = client.get(reverse("denoise_batch", args=[batch]), **HX)
    assert progress.status_code == 200 and "0/2 denoised" in progress.content.decode()


def test_bad_engine_or_strength_changes_nothing(client, cast, take_x):
    client.force_login(cast.admin_x)
    for data in ({"engine": "magic", "strength": "0.5"}, {"engine": "spectral", "strength": "7"},
                 {"engine": "spectral", "strength": "loud"}):
        response = client.post(reverse("denoise_task", args=[cast.task_a.public_id]), data, **HX)
        assert response.status_code == 400 and 'data-testid="denoise-error"' in response.content.decode()
    assert not DenoiseJob.objects.exists()


def test_selection_with_another_orgs_file_changes_nothing(client, cast, take_x, wav_bytes):
    other = take_file(cast.task_y, wav_bytes)
    client.force_login(cast.admin_x)
    response = client.post(reverse("denoise_selection"), {"files": [take_x.public_id, other.public_id],
                                                          "engine": "spectral", "strength": "0.5"})
    assert response.status_code == 404 and not DenoiseJob.objects.exists()


def test_double_click_does_not_queue_the_same_denoise_twice(client, cast, take_x):
    client.force_login(cast.admin_x)
    data = {"engine": "spectral", "strength": "0.5"}
    assert client.post(reverse("denoise_file", args=[take_x.public_id]), data, **HX).status_code == 200
    client.post(reverse("denoise_file", args=[take_x.public_id]), data, **HX)
    assert DenoiseJob.objects.filter(source=take_x).count() == 1


# --- compare and choose -------------------------------------------------------------------------

def test_file_panel_shows_ab_player_and_figures_side_by_side(client, cast, denoised_x):
    raw = denoised_x.derived_from
    client.force_login(cast.admin_x)
    html = client.get(reverse("denoise_file_page", args=[raw.public_id]), **HX).content.decode()
    assert "data-ab-player" in html and "js/abplayer.js" in html
    assert f'data-ab-variant="{raw.public_id}"' in html and f'data-ab-variant="{denoised_x.public_id}"' in html
    assert 'data-testid="qc-compare"' in html and "SNR" in html and 'data-testid="forward-choice"' in html
    # the denoised version's page shows the same comparison (of its original)
    assert client.get(reverse("denoise_file_page", args=[denoised_x.public_id])).status_code == 200


def test_admin_chooses_which_version_goes_forward(client, cast, denoised_x):
    raw = denoised_x.derived_from
    client.force_login(cast.admin_x)
    url = reverse("denoise_file_forward", args=[raw.public_id])
    assert client.post(url, {"variant": denoised_x.public_id}, **HX).status_code == 200
    raw.refresh_from_db()
    assert raw.forward_variant == denoised_x
    assert client.post(url, {"variant": raw.public_id}).status_code == 302
    raw.refresh_from_db()
    assert raw.forward_variant is None
    assert AuditEvent.objects.filter(action="file.forward_variant_chosen").count() == 2


def test_forward_choice_refuses_a_file_that_is_not_a_version_of_it(client, cast, denoised_x, wav_bytes):
    raw = denoised_x.derived_from
    stranger = take_file(cast.task_a, wav_bytes, position=2)
    client.force_login(cast.admin_x)
    response = client.post(reverse("denoise_file_forward", args=[raw.public_id]), {"variant": stranger.public_id},
                           **HX)
    assert response.status_code == 400
    raw.refresh_from_db()
    assert raw.forward_variant is None


# --- QC table and audio -------------------------------------------------------------------------

def test_qc_table_lists_takes_worst_first_and_sorts(client, cast, wav_bytes):
    good = take_file(cast.task_a, wav_bytes, 1)
    bad = take_file(cast.task_a, wav_bytes[:44] + b"\x00" * 100, 2)  # corrupt: analysis fails
    for f in (good, bad):
        flows.run_analysis(f.pk)
    client.force_login(cast.admin_x)
    html = client.get(reverse("task_qc", args=[cast.task_a.public_id])).content.decode()
    assert html.count('data-testid="qc-row"') == 2
    assert html.index('data-position="2"') < html.index('data-position="1"')  # the failed take first
    assert reverse("denoise_file_audio", args=[good.public_id]) in html
    html = client.get(reverse("task_qc", args=[cast.task_a.public_id]) + "?sort=section&dir=asc", **HX).content.decode()
    assert html.lstrip().startswith('<div id="qc-table">')
    assert html.index('data-position="1"') < html.index('data-position="2"')


def test_audio_streams_with_byte_ranges(client, cast, take_x, wav_bytes):
    client.force_login(cast.member_x)
    url = reverse("denoise_file_audio", args=[take_x.public_id])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/wav" and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == wav_bytes
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(wav_bytes)}"
    assert b"".join(part.streaming_content) == wav_bytes[100:200]
    assert client.get(url, HTTP_RANGE=f"bytes={len(wav_bytes) + 5}-").status_code == 416


def test_task_panel_offers_denoise_to_admins_only(client, cast, take_x):
    client.force_login(cast.admin_x)
    html = client.get(reverse("denoise_task_panel", args=[cast.task_a.public_id]), **HX).content.decode()
    assert 'data-testid="denoise-form"' in html and 'value="spectral" selected' in html
    client.force_login(cast.member_x)
    html = client.get(reverse("denoise_task_panel", args=[cast.task_a.public_id]), **HX).content.decode()
    assert 'data-testid="denoise-form"' not in html and "submitted take" in html
    assert "QC table" not in html  # linked once, from the task page itself (tasks/_task_extra.html)


def test_selection_form_uses_the_organisations_defaults(client, cast):
    cast.org_x.denoise_engine, cast.org_x.denoise_strength = "neural", 0.6
    cast.org_x.save()
    client.force_login(cast.admin_x)
    html = client.get(reverse("denoise_selection_form") + f"?org={cast.org_x.public_id}", **HX).content.decode()
    assert 'value="neural" selected' in html and 'value="0.6"' in html
    assert "hx-include=\"[name='files']:checked\"" in html or "hx-include=\"[name=&#x27;files&#x27;]:checked\"" in html
    assert client.get(reverse("denoise_selection_form") + f"?org={cast.org_y.public_id}").status_code == 404
