"""Stop to script verdict in the booth: how long a talent waits for the word marks (not in CI).

    STOP_TO_MARKS_TAKES=6 bash config/scripts/test.sh bench/qc/stop_to_marks.py -s

A pytest module (for the live server, the database and the browser it shares the test suite's
fixtures), run on purpose and never collected by the test command. The stack is the real one: the
booth in Chromium with a fake microphone, Django's live server, one Celery worker on the default
queue and one on the ``adherence`` queue (as the Procfile starts them), Redis and PostgreSQL.

The microphone plays a real English FLEURS clip (the test fixture, 10.6 s) in a loop with a pause
around it; each take starts at the pause and stops after the clip, so it is a correct reading
of the section text. The clock starts when the Stop button is clicked and stops when the take
panel shows the script verdict (``[data-testid=script-marks]``): the upload and its level checks,
the outbox, the adherence worker's check and the panel's htmx polling. The first take is reported
apart (the worker loads the recogniser), the others as median / max. Prints a table and writes
``stop_to_marks_results.json`` beside this file.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from django.test import Client

from booth.tests.helpers import give_consent
from e2e.booth_fixtures import logged_in_context
from voicemanager.models import Section, Take

HERE = Path(__file__).resolve().parent
CLIP = HERE.parents[1] / "tasks" / "tests" / "fixtures" / "adherence" / "fleurs_en_000.flac"
TEXT = "however due to the slow communication channels styles in the west could lag behind by 25 to 30 years"
LEAD_S, TAIL_S = 1.0, 1.2  # silence before and after the clip in each loop of the microphone file
WAIT = 60_000


def _mic_file(folder: Path, loops: int) -> tuple[Path, float]:
    one = folder / "one.wav"
    subprocess.run(["sox", str(CLIP), "-r", "48000", "-c", "1", "-b", "16", str(one), "pad", str(LEAD_S), str(TAIL_S)],
                   check=True, timeout=60)
    cycle = float(subprocess.run(["soxi", "-D", str(one)], capture_output=True, text=True, check=True).stdout)
    out = folder / "mic.wav"
    subprocess.run(["sox", str(one), str(out), "repeat", str(loops - 1)], check=True, timeout=120)
    return out, cycle


@pytest.mark.e2e
def test_stop_to_marks(live_server, transactional_db, cast, launch_browser, tmp_path, worker_process):
    takes = int(os.environ.get("STOP_TO_MARKS_TAKES", "6"))
    task = cast.task_a
    task.script.language = "en"
    task.script.save(update_fields=["language"])
    Section.objects.filter(script=task.script).update(text=TEXT)
    client = Client()
    client.force_login(cast.contractor_a)
    give_consent(client, task)
    worker_process("w1")
    worker_process("adherence", queues="adherence")

    mic, cycle = _mic_file(tmp_path, loops=takes * 2 + 4)
    launched = time.monotonic()
    browser = launch_browser(fake_mic_wav=mic)
    page = logged_in_context(browser, live_server, cast.contractor_a).new_page()
    page.goto(f"{live_server.url}/booth/tasks/{task.public_id}/")
    page.wait_for_selector("#booth[data-ready]", timeout=WAIT)

    rows = []
    for n in range(takes):
        # start in the pause before the next loop of the clip, stop in the pause after it
        phase = (time.monotonic() - launched) % cycle
        time.sleep((cycle - phase + LEAD_S * 0.5) % cycle)
        page.click("#rec-btn")
        page.wait_for_selector(".recording", timeout=WAIT)
        time.sleep(cycle - LEAD_S * 0.5 - TAIL_S * 0.4)
        t0 = time.monotonic()
        page.click("#rec-btn")
        page.wait_for_function(f"document.querySelectorAll('#takes .take').length >= {n + 1}", timeout=WAIT)
        t_panel = time.monotonic() - t0
        page.locator("#takes .take").first.locator("[data-testid=script-marks]").wait_for(timeout=WAIT)
        t_marks = time.monotonic() - t0
        take = Take.objects.filter(task=task, kind=Take.Kind.TAKE).order_by("-created_at").first()
        rows.append({"take": n + 1, "panel_s": round(t_panel, 2), "marks_s": round(t_marks, 2),
                     "verdict": (take.adherence or {}).get("verdict"), "heard": (take.adherence or {}).get("heard"),
                     "duration_s": take.duration})
        print(rows[-1], flush=True)
        page.wait_for_timeout(500)

    warm = [r["marks_s"] for r in rows[1:]]
    result = {"rows": rows, "first_s": rows[0]["marks_s"], "warm_median_s": statistics.median(warm) if warm else None,
              "warm_max_s": max(warm) if warm else None, "cpu_count": os.cpu_count(), "loadavg": os.getloadavg(),
              "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    (HERE / "stop_to_marks_results.json").write_text(json.dumps(result, indent=1))
    print("\n| take | Stop → take panel | Stop → script verdict | verdict | take length |\n| ---: | ---: | ---: | --- | ---: |")
    for r in rows:
        print(f"| {r['take']} | {r['panel_s']:.2f} s | {r['marks_s']:.2f} s | {r['verdict']} | {r['duration_s']:.1f} s |")
    print(f"\nfirst take (recogniser loading): {result['first_s']:.2f} s; then median {result['warm_median_s']:.2f} s, "
          f"max {result['warm_max_s']:.2f} s (target 3 s); load average {result['loadavg'][0]:.2f}")
    assert all(r["verdict"] for r in rows)
