"""A real Celery worker runs a task through the real Redis broker."""
from config.celery import app
from tasks.health import ping


def test_worker_runs_task_through_redis(celery_worker):
    assert app.conf.broker_url.startswith("redis://")
    assert ping.delay().get(timeout=20) == "pong"


def test_celery_defaults_keep_work_safe():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
