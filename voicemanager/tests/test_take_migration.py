"""The Take model moved from the booth app to voicemanager (recording) without moving a row."""
from __future__ import annotations

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from voicemanager.models import Take
from voicemanager.tests.factories import make_cast

BEFORE = [("booth", "0003_take_received_checksum"), ("voicemanager", "0006_speaker_consent_link_nonce")]


def _migrate(targets=None):
    """Migrate to ``targets`` (default: the latest migrations, where every other test expects the schema)."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_moving_take_to_voicemanager_keeps_every_row_and_its_content_type():
    cast = make_cast()
    sections = list(cast.script_x.sections.order_by("position"))
    content_type_pk = ContentType.objects.get_for_model(Take).pk
    try:
        old_apps = _migrate(BEFORE)
        old_take = old_apps.get_model("booth", "Take")
        rows = []
        for i, section in enumerate(sections[:3]):
            rows.append(old_take.objects.create(
                task_id=cast.task_a.pk, section_id=section.pk, client_id=uuid.uuid4(), file=f"orgs/x/takes/{i}.wav",
                size=1000 + i, sha256=f"{i:064d}", duration=1.5 + i, sample_rate=48000,
                status="submitted" if i == 0 else "recorded"))
        rows.append(old_take.objects.create(task_id=cast.task_b.pk, kind="consent", client_id=uuid.uuid4(),
                                            file="orgs/x/takes/consent.wav", sha256="c" * 64))
        assert ContentType.objects.filter(app_label="booth", model="take").exists()
        before = sorted(old_take.objects.values_list("pk", "public_id", "task_id", "section_id", "kind", "status",
                                                      "sha256", "file", "duration"))
    finally:
        new_apps = _migrate()

    assert new_apps.get_model("voicemanager", "Take")._meta.db_table == "booth_take"
    after = sorted(Take.objects.values_list("pk", "public_id", "task_id", "section_id", "kind", "status",
                                            "sha256", "file", "duration"))
    assert after == before and len(after) == len(rows) == 4
    assert Take.objects.get(pk=rows[0].pk).task == cast.task_a
    moved = ContentType.objects.get(app_label="voicemanager", model="take")
    assert moved.pk == content_type_pk and not ContentType.objects.filter(app_label="booth").exists()
