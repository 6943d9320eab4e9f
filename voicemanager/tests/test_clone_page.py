"""The clone pre-flight page speaks in names (script, contractor, file names), keeps ids aside, links back."""
import re

from voicemanager.models import AudioFile, RecordingTask
from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, voice_owner


def visible(html: str) -> str:
    """The page's text without tags and attributes (ids may stay in title attributes and <small>)."""
    html = re.sub(r"<small[^>]*>.*?</small>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_task_clone_page_names_the_script_and_contractor_and_links_back(client, cast):
    task = cast.task_a
    make_audio_file(cast.org_x, 700.0, rate=8000, source=AudioFile.Source.BOOTH, task=task, speaker=task.speaker,
                    name="001_intro.wav")
    RecordingTask.objects.filter(pk=task.pk).update(status=RecordingTask.Status.READY)
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/tasks/{task.public_id}/clone/").content.decode()
    header = page.split('class="clone-task"', 1)[1].split("</p>", 1)[0]
    assert task.script.title in header
    assert (task.speaker.full_name or task.speaker.email) in header
    assert f'href="/vm/tasks/{task.public_id}/"' in header
    assert task.public_id not in visible(header)  # kept, but only in a <small>


def test_discarded_files_are_shown_by_name_with_the_id_in_a_title(client, cast):
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    short = make_audio_file(cast.org_x, 60.0, rate=8000, speaker=owner, name="breath-test.wav")
    longs = [make_audio_file(cast.org_x, 620.0, rate=8000, speaker=owner, name=f"chapter-{i}.wav", freq=200 + i)
             for i in range(3)]
    client.force_login(cast.admin_x)
    page = client.get("/vm/files/clone/", {"org": cast.org_x.public_id,
                                           "files": [short.public_id] + [f.public_id for f in longs]})
    assert page.status_code == 200
    discarded = page.content.decode().split('class="discarded"', 1)[1].split("</ul>", 1)[0]
    assert "breath-test.wav" in discarded and f'title="{short.public_id}"' in discarded
    assert short.public_id not in visible(discarded)


def test_other_org_admin_and_member_cannot_open_the_clone_page(client, cast):
    RecordingTask.objects.filter(pk=cast.task_a.pk).update(status=RecordingTask.Status.READY)
    for who, status in (("admin_y", 404), ("member_x", 403), ("contractor_a", 404)):
        client.force_login(getattr(cast, who))
        assert client.get(f"/vm/tasks/{cast.task_a.public_id}/clone/").status_code == status, who
