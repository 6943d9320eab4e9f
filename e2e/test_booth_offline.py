"""The network fails during an upload and after a recording, the tab is reloaded: no take is lost or doubled."""
from __future__ import annotations

import pytest

from e2e.booth_fixtures import consented_mic_page
from tasks.audio.hashing import sha256_file
from voicemanager.models import Take

pytestmark = pytest.mark.e2e
WAIT = 20_000


def pending(page) -> int:
    return int(page.inner_text("#pending-count"))


def record(page, seconds: float = 2.0) -> None:
    page.click("#rec-btn")
    page.wait_for_selector(".recording", timeout=WAIT)
    page.wait_for_timeout(int(seconds * 1000))
    page.click("#rec-btn")
    page.wait_for_function("() => !document.querySelector('.recording')", timeout=WAIT)


def test_takes_survive_a_cut_network_and_a_reload_and_are_stored_exactly_once(live_server, transactional_db, cast,
                                                                              launch_browser, tmp_path):
    task = cast.task_a
    page, _ = consented_mic_page(launch_browser, live_server, cast.contractor_a, task, tmp_path)
    context = page.context
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    takes_url = "**/sections/*/takes/"

    # 1. The upload reaches the server, then the network goes down before the answer comes back.
    reached = []

    def cut_during_upload(route):
        response = route.fetch()  # the server stores the take ...
        reached.append(response.status)
        context.set_offline(True)  # ... and the connection dies before the browser hears about it
        route.abort("internetdisconnected")

    page.route(takes_url, cut_during_upload, times=1)
    record(page)
    page.wait_for_function("() => document.querySelector('#online-state').textContent.startsWith('Offline')",
                           timeout=WAIT)
    assert reached == [201]
    assert Take.objects.filter(task=task, kind="take").count() == 1

    # 2. A take recorded while offline stays in the browser.
    record(page)
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '2'", timeout=WAIT)
    local = page.evaluate("async () => (await booth.store.list()).map((t) => [t.clientId, t.sha256])")
    assert len(local) == 2

    # 3. Reload while uploads still fail: the queue is read back from IndexedDB.
    page.unroute(takes_url)
    page.route(takes_url, lambda route: route.abort("connectionreset"))
    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '2'", timeout=WAIT)
    assert page.locator("#pending-takes .take-pending").count() == 2

    # 4. The network is back: every take goes up, the duplicate is recognised, the counter drops to 0.
    page.unroute(takes_url)
    context.set_offline(True)
    context.set_offline(False)  # fires "online": the store retries at once
    page.wait_for_function("() => document.querySelector('#pending-count').textContent === '0'", timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#takes .take').length === 2", timeout=WAIT)

    takes = Take.objects.filter(task=task, kind="take")
    assert takes.count() == 2
    assert sorted((str(t.client_id), t.sha256) for t in takes) == sorted(tuple(x) for x in local)
    for take in takes:
        assert sha256_file(take.file.path) == take.sha256
    assert page.evaluate("async () => (await booth.store.list()).length") == 0
