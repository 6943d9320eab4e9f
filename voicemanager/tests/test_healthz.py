"""/healthz checks the database, Redis, storage and a worker for real."""


def test_healthz_green_with_a_worker(client, celery_worker):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_red_without_a_worker(client, transactional_db):
    from config.celery import app

    if app.control.ping(timeout=0.5):  # a stray dev worker would make this meaningless
        import pytest

        pytest.skip("another Celery worker is listening on the test broker")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True
