"""Keys pressed right after a panel swap act in place: the booth never reloads (the microphone stays open).

htmx wires swapped-in content when it settles, a timer after the swap. On a busy machine that timer
runs late; a take's form submitted before it would post natively and reload the page. The test makes
the settle delay long on purpose so that window is wide open.
"""
from __future__ import annotations

import pytest

from e2e.booth_fixtures import consented_mic_page
from voicemanager.models import Take

pytestmark = pytest.mark.e2e
WAIT = 20_000


def test_enter_and_record_right_after_a_swap_stay_on_the_page(live_server, transactional_db, cast, launch_browser,
                                                              tmp_path):
    task = cast.task_a
    page, errors = consented_mic_page(launch_browser, live_server, cast.contractor_a, task, tmp_path)

    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    page.evaluate("window.sameDocument = true; htmx.config.defaultSettleDelay = 4000")

    page.keyboard.press("r")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(2000)
    page.keyboard.press("r")
    # The panel refresh after the upload swaps in the take with its Submit form, not yet settled.
    page.wait_for_selector("#takes .take .submit-take", timeout=WAIT)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#section-label')?.textContent === 'Section 2 of 3'",
                           timeout=WAIT)
    assert page.locator("#takes .take").count() == 0
    page.keyboard.press("r")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(1500)
    page.keyboard.press("r")
    page.wait_for_function("document.querySelectorAll('#takes .take').length === 1", timeout=WAIT)

    assert page.evaluate("window.sameDocument === true"), "a key after a swap reloaded the booth"
    assert not errors, errors
    takes = Take.objects.filter(task=task, kind="take")
    assert list(takes.order_by("created_at").values_list("section__position", "status")) == [
        (1, "submitted"), (2, "recorded")]
