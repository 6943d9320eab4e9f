"""Browser: the quality report renders its drift plots (server-side SVG), marks the outliers and the
take that is not the consenting speaker, and a click on a dot plays that take; the operator's cloning
page shows the same report."""
import pytest
from playwright.sync_api import expect

from e2e.booth_fixtures import logged_in_page as login
from voicemanager.models import Voice
from voicemanager.tests.factories import make_cast
from voicemanager.tests.voice_fixtures import OTHER, SAME, checked_take, consent_recording

pytestmark = pytest.mark.e2e



def test_quality_report_plots_the_session_and_plays_a_take(live_server, launch_browser):
    cast = make_cast()
    task = cast.task_a
    consent_recording(task)
    section = task.script.sections.order_by("position").first()
    takes = [checked_take(task, section, SAME[0], minutes_ago=50), checked_take(task, section, SAME[1], minutes_ago=45),
             checked_take(task, section, SAME[0], "gain", "-1", minutes_ago=40),
             checked_take(task, section, SAME[1], "gain", "-12", minutes_ago=30),  # much quieter
             checked_take(task, section, OTHER[0], minutes_ago=20)]  # someone else
    shifted_check, impostor_check = takes[3][1], takes[4][1]
    assert impostor_check.verdict == "different"
    assert shifted_check.verdict == "same"
    assert any("loudness_lufs" in w["measures"] for w in shifted_check.warnings), shifted_check.warnings

    browser = launch_browser()
    admin = login(browser, live_server, cast.admin_x.email)
    admin.goto(f"{live_server.url}/vm/tasks/{task.public_id}/")
    expect(admin.get_by_test_id("speaker-flag-count")).to_contain_text("1 take not the consenting speaker")
    admin.get_by_test_id("quality-link").click()
    expect(admin.locator("h1")).to_contain_text("Quality report")
    expect(admin.get_by_test_id("q-takes")).to_have_text("5")
    expect(admin.get_by_test_id("q-speaker")).to_contain_text("1 different")
    plots = admin.locator("svg.quality-plot")
    assert plots.count() >= 4  # loudness, pitch, pitch range, centroid, tilt, voice distance
    loud = admin.locator('svg.quality-plot[data-measure="loudness_lufs"]')
    expect(loud.locator("circle.point")).to_have_count(5)
    expect(loud.locator("circle.outlier")).to_have_count(2)  # the quiet take, and the impostor (8 LU louder)
    assert loud.bounding_box()["width"] > 300  # really drawn
    expect(admin.locator('svg.quality-plot[data-measure="embedding_distance"] circle.outlier')).not_to_have_count(0)
    expect(admin.locator("ul.flagged")).to_contain_text("does not match the reference recording")

    dot = loud.locator("a[data-play]").nth(3)
    url = dot.get_attribute("data-play")
    assert url.endswith(f"/takes/{takes[3][0].public_id}/audio")
    dot.click()
    player = admin.locator("#quality-player")
    expect(player).to_have_attribute("data-playing", url)
    admin.wait_for_function("u => document.getElementById('quality-player').currentSrc.endsWith(u)", arg=url)
    assert admin.url.endswith(f"/vm/tasks/{task.public_id}/quality/")  # played in place, no navigation

    voice = Voice.objects.create(organisation=cast.org_x, alias="q-voice", speaker=task.speaker, task=task,
                                 files_used=[])
    staff = login(browser, live_server, cast.staff.email)
    staff.goto(f"{live_server.url}/ops/cloning/{voice.public_id}/")
    expect(staff.locator("#quality-report")).to_be_visible()
