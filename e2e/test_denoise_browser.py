"""Admin denoises a take in Chromium, watches it finish live, A/B-switches at the same position, and chooses."""
import uuid

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from e2e.services import speech_wav, wait_until
from voicemanager.files import jobs as flows
from voicemanager.models import AudioFile, Take

pytestmark = pytest.mark.e2e


def test_admin_denoises_compares_at_same_position_and_chooses(live_server, launch_browser, cast, celery_worker,
                                                              tmp_path):
    task = cast.task_a
    section = task.script.sections.get(position=1)
    data = speech_wav(tmp_path / "s.wav", "The quick brown fox jumps over the lazy dog. Please call Stella.").read_bytes()
    raw = AudioFile(organisation=task.organisation, path=task.file_path, name="001.wav", source="booth", task=task,
                    transcript=section.text)
    raw.file.save("t.wav", ContentFile(data), save=False)
    raw.save()
    Take.objects.create(task=task, section=section, client_id=uuid.uuid4(), file=raw.file.name, size=len(data),
                        sha256="0" * 64, status="submitted", audio_file=raw, submitted_at=timezone.now())
    flows.run_analysis(raw.pk)

    page = launch_browser().new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", cast.admin_x.email)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/vm/")

    page.goto(f"{live_server.url}/vm/files/{raw.public_id}/denoise/")
    assert "No denoised version yet" in page.content()
    page.select_option("[data-testid=denoise-engine]", "spectral")
    page.fill("[data-testid=denoise-strength]", "0.9")
    page.click("[data-testid=denoise-submit]")
    page.wait_for_selector("[data-testid=denoise-progress]", timeout=10_000)
    # the progress polls; when the batch finishes the panel reloads itself with the A/B player
    page.wait_for_selector("[data-ab-player]", timeout=60_000)
    denoised = AudioFile.objects.get(derived_from=raw)

    a = f"audio[data-ab-variant='{raw.public_id}']"
    b = f"audio[data-ab-variant='{denoised.public_id}']"
    page.wait_for_function(f"document.querySelector(\"{a}\").readyState >= 1", timeout=10_000)
    page.evaluate(f"document.querySelector(\"{a}\").currentTime = 1.25")
    page.click(f"[data-ab-select='{denoised.public_id}']")
    page.wait_for_function(f"Math.abs(document.querySelector(\"{b}\").currentTime - 1.25) < 0.05", timeout=10_000)
    assert page.is_hidden(a) and page.is_visible(b)
    assert page.get_attribute(f"[data-ab-select='{denoised.public_id}']", "aria-pressed") == "true"
    page.evaluate(f"document.querySelector(\"{b}\").currentTime = 2.5")
    page.click(f"[data-ab-select='{raw.public_id}']")
    page.wait_for_function(f"Math.abs(document.querySelector(\"{a}\").currentTime - 2.5) < 0.05", timeout=10_000)
    assert "SNR" in page.inner_text("[data-testid=qc-compare]")

    page.check(f"input[name=variant][value='{denoised.public_id}']")
    wait_until(lambda: AudioFile.objects.filter(pk=raw.pk, forward_variant=denoised).exists(), timeout=10,
               message="forward variant saved")
