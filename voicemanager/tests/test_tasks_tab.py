"""The Tasks tab: isolation, progress, marks, filters, polling, and a fixed query count."""
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from voicemanager.models import RecordingTask, Take
from voicemanager.tests.factories import RecordingTaskFactory, ScriptFactory, SpeakerFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The cast's passwords are hashed with a fast hasher: these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def add_take(task, section, status="submitted", duration=5.0):
    return Take.objects.create(task=task, section=section, kind="take", client_id=uuid.uuid4(), file="x.wav",
                               duration=duration, status=status, sample_rate=48000)


def test_progress_counts_submitted_sections_and_minutes(cast):
    sections = list(cast.script_x.sections.order_by("position"))
    add_take(cast.task_a, sections[0])
    add_take(cast.task_a, sections[1])
    add_take(cast.task_a, sections[1], status="recorded")
    add_take(cast.task_a, sections[2], status="deleted")
    task = RecordingTask.objects.with_progress().get(pk=cast.task_a.pk)
    assert (task.n_sections, task.n_submitted) == (3, 2)
    assert task.seconds_recorded == pytest.approx(15.0)


def test_admin_sees_only_own_organisations_tasks(client, cast):
    client.force_login(cast.admin_x)
    body = client.get("/vm/tasks/").content.decode()
    assert cast.task_a.public_id in body and cast.task_b.public_id in body
    assert cast.task_y.public_id not in body


def test_member_may_view_tasks_tab(client, cast):
    client.force_login(cast.member_x)
    response = client.get("/vm/tasks/")
    assert response.status_code == 200 and cast.task_a.public_id in response.content.decode()
    assert "Invite user to record their voice" not in response.content.decode()


def test_contractor_and_anonymous_cannot_open_tasks_tab(client, cast):
    assert client.get("/vm/tasks/").status_code == 302
    client.force_login(cast.contractor_a)
    assert client.get("/vm/tasks/").status_code == 404


def test_overdue_and_due_soon_are_marked(client, cast):
    today = timezone.localdate()
    RecordingTask.objects.filter(pk=cast.task_a.pk).update(due_date=today - timedelta(days=2))
    RecordingTask.objects.filter(pk=cast.task_b.pk).update(due_date=today + timedelta(days=1))
    client.force_login(cast.admin_x)
    body = client.get("/vm/tasks/").content.decode()
    assert 'data-due="overdue"' in body and "· overdue" in body
    assert 'data-due="soon"' in body and "· due soon" in body


def test_filters_status_overdue_contractor_and_script(client, cast):
    today = timezone.localdate()
    RecordingTask.objects.filter(pk=cast.task_a.pk).update(due_date=today - timedelta(days=1))
    RecordingTask.objects.filter(pk=cast.task_b.pk).update(status="recording")
    other_script = ScriptFactory(organisation=cast.org_x, title="Other")
    task_c = RecordingTaskFactory(organisation=cast.org_x, script=other_script)
    client.force_login(cast.admin_x)

    def ids(query):
        body = client.get("/vm/tasks/?" + query).content.decode()
        return {t.public_id for t in (cast.task_a, cast.task_b, task_c) if t.public_id in body}

    assert ids("status=recording") == {cast.task_b.public_id}
    assert ids("due=overdue") == {cast.task_a.public_id}
    assert ids("contractor=contractor-a") == {cast.task_a.public_id}
    assert ids(f"script={other_script.public_id}") == {task_c.public_id}
    assert ids("status=bogus") == {cast.task_a.public_id, cast.task_b.public_id, task_c.public_id}


def test_htmx_poll_returns_the_table_partial_with_current_filters(client, cast):
    client.force_login(cast.admin_x)
    response = client.get("/vm/tasks/?status=accepted&sort=due", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="tasks-table"')
    assert 'hx-get="/vm/tasks/?status=accepted&amp;sort=due"' in body
    assert 'hx-trigger="every 5s"' in body
    assert "<html" not in body


def test_sorting_and_pagination(client, cast):
    speaker = SpeakerFactory()
    for day in range(30):
        RecordingTaskFactory(organisation=cast.org_x, script=cast.script_x, speaker=speaker,
                             due_date=timezone.localdate() + timedelta(days=day + 3))
    client.force_login(cast.admin_x)
    first = client.get("/vm/tasks/?sort=due")
    page = first.context["page"]
    assert page.paginator.count == 32 and page.paginator.num_pages == 2
    dues = [t.due_date for t in page.object_list if t.due_date]
    assert dues == sorted(dues)
    second = client.get("/vm/tasks/?sort=due&page=2").context["page"]
    assert len(second.object_list) == 7
    assert 'sort=due&amp;page=2' in first.content.decode()


def _make_tasks(org, script, n):
    speaker = SpeakerFactory()
    RecordingTask.objects.bulk_create(
        RecordingTask(organisation=org, script=script, speaker=speaker, contractor_email=speaker.email,
                      file_path=f"rec/{i}", status="accepted", due_date=timezone.localdate() + timedelta(days=i % 5))
        for i in range(n)
    )


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/vm/tasks/", "/vm/tasks/?sort=due&due=soon&page=2"])
def test_tasks_tab_costs_the_same_queries_for_5_and_500_tasks(client, cast, url):
    client.force_login(cast.admin_x)
    RecordingTask.objects.all().delete()
    _make_tasks(cast.org_x, cast.script_x, 5)
    small = _count_queries(client, url)
    _make_tasks(cast.org_x, cast.script_x, 495)
    large = _count_queries(client, url)
    assert small == large
    htmx_small = _count_queries(client, url)
    assert htmx_small == large
