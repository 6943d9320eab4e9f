"""Layout and accessibility in Chromium: the booth's verdict stays in view on a laptop and a phone, the admin
pages work on a phone, and axe-core finds no serious or critical violation on the booth, the Tasks tab, the task
page, the QC table, the A/B player and the cloning pre-flight."""
from __future__ import annotations

import os

import pytest

from e2e.axe import assert_no_serious_violations
from e2e.booth_fixtures import consented_mic_page, logged_in_context
from voicemanager.models import AudioFile

pytestmark = pytest.mark.e2e
WAIT = 20_000
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("LAYOUT_SCREENSHOTS")  # a folder: keep a screenshot of every page checked


def shoot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def in_viewport(page, selector: str) -> dict:
    """The element's box and whether it lies wholly inside the viewport as the page is now (no scrolling)."""
    return page.evaluate("""(sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
        && r.bottom <= innerHeight && r.right <= innerWidth;
      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, inside, scrollY, innerHeight};
    }""", selector)


def no_page_overflow(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop-1280x800", "phone-390x844"])
def test_booth_verdict_and_record_are_in_view_after_a_take(live_server, transactional_db, cast, launch_browser,
                                                           tmp_path, viewport):
    task = cast.task_a
    page, errors = consented_mic_page(launch_browser, live_server, cast.contractor_a, task, tmp_path, viewport=viewport)
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/?s=2")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    assert in_viewport(page, "#rec-btn")["inside"], in_viewport(page, "#rec-btn")
    assert in_viewport(page, "#section-text")["inside"]

    page.click("#rec-btn")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(2500)
    shoot(page, f"booth-recording-{viewport['width']}")
    assert in_viewport(page, "#rec-btn")["inside"] and in_viewport(page, "#section-text")["inside"]  # Stop, and the text
    page.click("#rec-btn")
    page.wait_for_function("document.querySelector('#latest-state').textContent.startsWith('Saved')", timeout=WAIT)
    page.wait_for_selector("#takes .take", timeout=WAIT)
    page.wait_for_timeout(500)  # the panel refresh after the upload has settled
    shoot(page, f"booth-{viewport['width']}")

    assert page.locator("#latest-qc .verdict").count() >= 1, "a take of another text should have reasons"
    for selector in ("#latest-state", "#latest-qc", "#rec-btn"):
        box = in_viewport(page, selector)
        assert box["inside"] and box["scrollY"] == 0, (selector, box)
    assert no_page_overflow(page)
    assert_no_serious_violations(page)
    assert not errors, errors


@pytest.fixture
def finished_task(cast):
    """Task A with a submitted take (and a denoised version) per section, consent given: every admin page has content."""
    from voicemanager.tests.cloning_fixtures import booth_takes, give_full_consent

    task = cast.task_a
    give_full_consent(task.speaker, cast.org_x, task)
    files = booth_takes(task, 3.0, denoised=True)
    AudioFile.objects.filter(derived_from__in=files).update(  # as a denoise job leaves it
        processing={"engine": "spectral", "requested_engine": "spectral", "strength": 0.8})
    task.status = task.Status.SUBMITTED
    task.save()
    return task, files


def admin_page(launch_browser, live_server, cast, viewport):
    page = logged_in_context(launch_browser(), live_server, cast.admin_x, viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop-1280x800", "phone-390x844"])
def test_admin_pages_have_no_serious_accessibility_violations(live_server, transactional_db, cast, launch_browser,
                                                              finished_task, viewport):
    task, files = finished_task
    page, errors = admin_page(launch_browser, live_server, cast, viewport)
    pages = {
        "tasks": "/vm/tasks/",
        "task": f"/vm/tasks/{task.public_id}/",
        "qc": f"/vm/tasks/{task.public_id}/qc/",
        "ab": f"/vm/files/{files[0].public_id}/denoise/",
        "preflight": f"/vm/tasks/{task.public_id}/clone/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        shoot(page, f"{name}-{viewport['width']}")
        assert_no_serious_violations(page)
        assert no_page_overflow(page), f"{path} is wider than the screen"
    assert not errors, errors


def test_tasks_tab_and_task_page_work_on_a_phone(live_server, transactional_db, cast, launch_browser, finished_task):
    task, _ = finished_task
    page, errors = admin_page(launch_browser, live_server, cast, PHONE)
    page.goto(f"{live_server.url}/vm/tasks/")
    filters = page.locator(".task-filters label")
    assert filters.count() == 5
    for i in range(5):  # a visible name above each box, and the box inside the screen
        label = filters.nth(i)
        text = label.evaluate("(el) => el.firstChild.textContent.trim()")
        name_box = label.bounding_box()
        assert text and name_box and name_box["height"] > 30, (text, name_box)  # not a 1-px screen-reader-only label
        box = label.locator("select, input").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    rows = page.locator("#tasks-table tbody tr[data-task]")
    assert rows.count() >= 2
    for i in range(rows.count()):  # who and which state, without scrolling sideways
        for cell in ("[data-label=Contractor] a", "[data-testid=status]", "[data-label=Due]", "progress"):
            box = rows.nth(i).locator(cell).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (i, cell, box)
    assert no_page_overflow(page)

    page.select_option("select[name=status]", "submitted")  # the filters still filter (htmx)
    page.wait_for_function("document.querySelectorAll('#tasks-table tbody tr[data-task]').length === 1")
    page.click(f"tr[data-task='{task.public_id}'] [data-label=Contractor] a")
    page.wait_for_selector("[data-testid=task-section]")
    for cell in ("audio", "[data-label=QC] .badge"):
        box = page.locator("[data-testid=task-section]").first.locator(cell).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (cell, box)
    assert page.locator("label[for=id_due_date]").is_visible()
    assert no_page_overflow(page)
    assert not errors, errors


def test_qc_table_listen_column_is_on_screen_at_1280(live_server, transactional_db, cast, launch_browser,
                                                     finished_task):
    task, _ = finished_task
    page, _ = admin_page(launch_browser, live_server, cast, LAPTOP)
    page.goto(f"{live_server.url}/vm/tasks/{task.public_id}/qc/")
    header = page.locator("[data-testid=qc-table] th", has_text="Listen")
    player = page.locator("[data-testid=qc-row] audio").first
    for element in (header, player):
        box = element.bounding_box()
        assert box and box["x"] + box["width"] <= LAPTOP["width"], box
    assert page.evaluate("scrollX") == 0


def test_ab_player_shows_which_version_plays(live_server, transactional_db, cast, launch_browser, finished_task):
    _, files = finished_task
    page, errors = admin_page(launch_browser, live_server, cast, LAPTOP)
    page.goto(f"{live_server.url}/vm/files/{files[0].public_id}/denoise/")
    buttons = page.locator("[data-ab-select]")
    a, b = buttons.nth(0), buttons.nth(1)
    now = page.locator("[data-ab-now]")
    page.wait_for_function("document.querySelector('[data-ab-now]').textContent.length > 0")
    assert a.get_attribute("aria-pressed") == "true" and b.get_attribute("aria-pressed") == "false"
    assert now.inner_text().startswith("A · Raw")
    look = "(el) => { const s = getComputedStyle(el); return [s.backgroundColor, s.fontWeight, s.boxShadow]; }"
    assert a.evaluate(look) != b.evaluate(look), "the pressed version must look different"

    b.click()
    assert b.get_attribute("aria-pressed") == "true" and a.get_attribute("aria-pressed") == "false"
    assert now.inner_text().startswith("B · Denoised")
    pressed_look = b.evaluate(look)
    page.evaluate("document.querySelector('audio:not([hidden])').muted = true")
    page.locator("audio:not([hidden])").evaluate("(el) => el.play()")
    page.wait_for_function("document.querySelector('[data-ab-now]').textContent.startsWith('Playing B')")
    assert a.evaluate(look) != pressed_look
    assert not errors, errors
