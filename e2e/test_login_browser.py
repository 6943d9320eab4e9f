"""The demo admin logs in with Chromium and sees the dashboard."""
import pytest

from voicemanager.core import demo

pytestmark = pytest.mark.e2e


def test_demo_admin_logs_in_and_sees_dashboard(live_server, launch_browser, transactional_db):
    demo.create_demo()
    page = launch_browser().new_page()
    page.goto(live_server.url + "/")
    page.fill("input[name=username]", demo.ADMIN_EMAIL)
    page.fill("input[name=password]", demo.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/vm/")
    assert page.locator("h1").inner_text() == "Voice manager"
    assert "Demo Studio" in page.content()
    assert page.locator("nav a", has_text="Tasks").count() == 1
