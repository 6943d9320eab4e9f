"""The booth marks the words of the section that a take did not say, a few seconds after Stop."""
from __future__ import annotations

import pytest

from e2e.booth_fixtures import consented_mic_page
from voicemanager.models import Section, Take

pytestmark = pytest.mark.e2e
WAIT = 20_000


def test_a_wrong_reading_gets_its_words_marked_in_the_take_panel(live_server, transactional_db, cast, launch_browser,
                                                                    tmp_path, celery_worker):
    task = cast.task_a
    # The fake microphone reads "The quick brown fox jumps over the lazy dog. Please call Stella ...":
    # the section asks for other words in their place.
    Section.objects.filter(script=task.script, position=1).update(
        text="The quick brown harbour jumps over the sleepy lighthouse.")
    page, errors = consented_mic_page(launch_browser, live_server, cast.contractor_a, task, tmp_path)
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    page.click("#rec-btn")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(3500)
    page.click("#rec-btn")
    page.wait_for_function("document.querySelectorAll('#takes .take').length === 1", timeout=WAIT)

    # The check runs on the adherence queue; the panel asks for it until it is there.
    marks = page.locator("#takes .take").first.locator("[data-testid=script-marks]")
    marks.wait_for(timeout=60_000)
    flagged = page.locator("#takes .take").first.locator(".w-missing, .w-different, .w-doubtful")
    assert flagged.count() >= 1
    named = {flagged.nth(i).inner_text().strip(" .,") for i in range(flagged.count())}
    assert named & {"harbour", "sleepy", "lighthouse"}, named
    advice = page.locator("#takes .take").first.locator("[data-testid=script-advice]").inner_text()
    assert "Does not match the script" in advice and "Read it again" in advice
    take = Take.objects.get(task=task, kind=Take.Kind.TAKE)
    assert take.adherence_state == "done" and take.adherence["verdict"] == "fail"
    assert not errors, errors
