"""One background path: scheduled and chained jobs are registered tasks sent through the outbox, and
each install's Celery keys carry its own prefix."""
from __future__ import annotations

import ast
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from kombu import Connection

from config.beat import SCHEDULE
from config.celery import app
from voicemanager.models import OutboxMessage, ResumableUpload

ROOT = Path(__file__).resolve().parents[2]


def _registered() -> set[str]:
    import tasks.registry  # noqa: F401 - what a worker imports

    return set(app.tasks)


def test_every_scheduled_job_is_a_registered_task_and_the_tus_purge_is_scheduled():
    names = {entry["task"] for entry in SCHEDULE.values()}
    assert names <= _registered()
    assert {"tasks.uploads.purge_stale_uploads", "voicemanager.core.outbox.flush_outbox"} <= names


def test_every_outbox_job_named_in_the_code_is_a_registered_task():
    named = set()
    for package in ("voicemanager", "booth", "tasks"):
        for path in (ROOT / package).rglob("*.py"):
            if "/tests/" in path.as_posix():
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "enqueue"
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    named.add(node.args[0].value)
    assert "tasks.cloning.forward_voice" in named and named <= _registered()


def test_no_job_is_sent_around_the_outbox():
    """``.delay``/``.apply_async`` would skip the outbox row, and with it the flush that redoes lost jobs."""
    found = []
    for package in ("voicemanager", "booth", "tasks"):
        for path in (ROOT / package).rglob("*.py"):
            if "/tests/" in path.as_posix():
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in {"delay", "apply_async", "send_task"}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == ["voicemanager/core/outbox.py:" + str(_send_task_line())]


def _send_task_line() -> int:
    source = (ROOT / "voicemanager/core/outbox.py").read_text().splitlines()
    return next(i for i, line in enumerate(source, 1) if "app.send_task(" in line)


def test_the_file_sweep_requeues_through_the_outbox(cast):
    """Lost file work goes back as an outbox message, so flush_outbox redoes it should it be lost again.
    (The test's transaction never commits, so the message is recorded and not sent.)"""
    from tasks.files import sweep_file_jobs
    from voicemanager.tests.cloning_fixtures import make_audio_file

    audio = make_audio_file(cast.org_x, 1.0)
    type(audio).objects.filter(pk=audio.pk).update(analysis_state="pending",
                                                   created_at=timezone.now() - timedelta(hours=1))
    before = OutboxMessage.objects.count()
    assert sweep_file_jobs.run()["analyse"] == 1
    message = OutboxMessage.objects.order_by("-created_at").first()
    assert OutboxMessage.objects.count() == before + 1
    assert (message.task_name, message.args, message.sent_at) == ("tasks.files.process_new_file", [audio.pk], None)


def test_tus_purge_removes_uploads_older_than_three_days(db, cast, tmp_path):
    from tasks.uploads import purge_stale_uploads

    old_file, new_file = tmp_path / "old.part", tmp_path / "new.part"
    old_file.write_bytes(b"x")
    new_file.write_bytes(b"y")
    old = ResumableUpload.objects.create(owner=cast.admin_x, length=1, temp_path=str(old_file),
                                         created_at=timezone.now() - timedelta(days=4))
    new = ResumableUpload.objects.create(owner=cast.admin_x, length=1, temp_path=str(new_file))
    assert purge_stale_uploads.run() == 1
    assert not ResumableUpload.objects.filter(pk=old.pk).exists() and not old_file.exists()
    assert ResumableUpload.objects.filter(pk=new.pk).exists() and new_file.exists()


def test_celery_keys_carry_the_install_prefix():
    prefix = settings.CELERY_KEY_PREFIX
    assert prefix.startswith(settings.BASE_DIR.name) and prefix.endswith(":")
    assert app.conf.broker_transport_options["global_keyprefix"] == prefix
    assert app.conf.result_backend_transport_options["global_keyprefix"] == prefix


def test_two_installs_on_one_redis_database_do_not_take_each_others_jobs():
    """What the prefix buys, on the real Redis: a job queued by install A is invisible to install B."""
    queue = f"layout-check-{uuid.uuid4().hex[:8]}"
    with Connection(settings.CELERY_BROKER_URL, transport_options={"global_keyprefix": "install-a:"}) as a, \
            Connection(settings.CELERY_BROKER_URL, transport_options={"global_keyprefix": "install-b:"}) as b:
        queue_a, queue_b = a.SimpleQueue(queue), b.SimpleQueue(queue)
        try:
            queue_a.put({"job": 1})
            raw = redis.Redis.from_url(settings.CELERY_BROKER_URL)
            assert raw.llen(f"install-a:{queue}") == 1 and raw.llen(f"install-b:{queue}") == 0
            with pytest.raises(queue_b.Empty):
                queue_b.get(timeout=1)
            message = queue_a.get(timeout=5)
            assert message.payload == {"job": 1}
            message.ack()
        finally:
            queue_a.close()
            queue_b.close()
