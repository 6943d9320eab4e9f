"""The organisation is told, and the report speaks plain language.

A talent (speaker B) who recorded for two studios asks, naming studio X, for their voice and
recordings to be deleted: X's voice and task go, Y's task stays. X's admins get an email and
an audit entry, X's task page says what happened in place of the task, and Y hears nothing.
"""
from __future__ import annotations

import json
import re

import pytest

from e2e.services import message_text
from voicemanager import models as m
from voicemanager.deletion import backup, intake, match, notices, process, report, wording
from voicemanager.models import OutboxMessage
from voicemanager.tests.test_deletion_support import build_world, file_matched

S = m.DeletionRequest.Status
pytestmark = pytest.mark.django_db
MODEL_NAMES = re.compile(r"voicemanager\.|booth\.[A-Z]|\b[A-Z][a-z]+[A-Z][a-zA-Z]+\b")  # labels, CamelCase


def completed_request_of_speaker_b(cast, world) -> m.DeletionRequest:
    req = intake.file_request(first_name="Contractor", last_name="B", email=world.b.speaker.email,
                              organisation_ref="Org X", scope="voice_and_recordings")
    intake.confirm(intake.make_confirm_token(req))
    req.refresh_from_db()
    suggested = {kind: [c.pk for c in items if c.suggested] for kind, items in match.candidates(req).items()}
    match.apply(req, **suggested, actor=cast.staff)
    assert process.advance(req.pk) == S.IDENTIFIED
    req.refresh_from_db()
    process.approve(req, cast.staff)
    assert process.advance(req.pk) == S.COMPLETED
    req.refresh_from_db()
    return req


def test_admins_are_told_by_email_audit_and_the_task_page(client, cast, mail):
    world = build_world(cast)
    req = completed_request_of_speaker_b(cast, world)
    got = {(n.organisation_id, n.kind, n.item_id) for n in req.notices.all()}
    assert got == {(cast.org_x.pk, "voice", world.b.voice.public_id), (cast.org_x.pk, "task", world.b.task.public_id),
                   (cast.org_x.pk, "files", req.public_id)}  # the uploads outside the task
    assert req.notices.get(kind="files").details == {"files": 2}
    assert m.AuditEvent.objects.filter(organisation=cast.org_x, action="deletion.organisation_notified",
                                       target_id=req.public_id).exists()
    assert not m.AuditEvent.objects.filter(organisation=cast.org_y, action__startswith="deletion.").exists()
    job = OutboxMessage.objects.get(task_name="tasks.deletion.email_deletion_notices")
    assert job.args == [req.pk, cast.org_x.pk, "deleted"]

    assert notices.email(*job.args) == 1  # what the job runs
    [msg] = mail.wait_for(cast.admin_x.email)
    text = message_text(msg)
    assert world.b.voice.alias in text and "Script X" in text and world.b.task.public_id in text
    assert world.b.speaker.email not in text and "Contractor B" not in text  # who asked is not told
    assert not mail.to(cast.admin_y.email) and not mail.to(cast.member_x.email)

    client.force_login(cast.admin_x)
    page = client.get(f"/vm/tasks/{world.b.task.public_id}/")
    assert page.status_code == 410
    assert b"deleted on" in page.content and b"at the voice owner's request" in page.content
    assert b"Script X" in page.content
    voice_page = client.get(f"/vm/voices/{world.b.voice.public_id}/")
    assert voice_page.status_code == 410 and world.b.voice.alias.encode() in voice_page.content
    tasks = client.get("/vm/tasks/").content.decode()
    assert "Removed at the voice owner" in tasks and world.b.voice.alias in tasks
    client.force_login(cast.admin_y)
    assert client.get(f"/vm/tasks/{world.b.task.public_id}/").status_code == 404  # another org: nothing to say
    assert client.get(f"/vm/voices/{world.b.voice.public_id}/").status_code == 404
    assert client.get(f"/vm/tasks/{world.y.task.public_id}/").status_code == 200  # Y's task is untouched
    assert "Removed at the voice owner" not in client.get("/vm/tasks/").content.decode()

    # Restored from the backup: the task is back, the notice says so, the admins are told again.
    backup.restore(req.pk, cast.staff)
    assert m.AuditEvent.objects.filter(organisation=cast.org_x, action="deletion.organisation_notified_restored",
                                       target_id=req.public_id).exists()
    assert notices.email(req.pk, cast.org_x.pk, "restored") == 1
    restored = mail.wait_for(cast.admin_x.email, count=2)[-1]
    assert "restored" in restored["Subject"] and world.b.voice.alias in message_text(restored)
    client.force_login(cast.admin_x)
    assert client.get(f"/vm/tasks/{world.b.task.public_id}/").status_code == 200


def test_voice_only_the_remaining_task_page_says_the_voice_was_deleted(client, cast):
    world = build_world(cast)
    req = file_matched(cast, world.a, "voice")
    process.advance(req.pk)
    req.refresh_from_db()
    process.approve(req, cast.staff)
    assert process.advance(req.pk) == S.COMPLETED
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/tasks/{world.a.task.public_id}/").content.decode()
    assert 'data-testid="deletion-notice"' in page and f"The voice “{world.a.voice.alias}”" in page


def test_report_is_plain_language_with_what_was_kept_and_why(cast):
    world = build_world(cast)
    req = completed_request_of_speaker_b(cast, world)
    ctx = report.context(req, req.report)
    text = "\n".join([s.title + "\n" + "\n".join(s.paragraphs + s.items + s.after) for s in ctx["sections"]])
    assert not MODEL_NAMES.search(text), MODEL_NAMES.search(text)
    titles = [s.title for s in ctx["sections"]]
    assert titles == ["Your request", "What we found", "What we deleted, and where", "What we kept, and why",
                      "The cloning provider", "What cannot be undone"]
    assert f"the professional voice “{world.b.voice.alias}”" in text
    assert "In our database:" in text and "In file storage:" in text and "In backups:" in text
    assert "Org Y (script “Script Y”) with 3 takes and a spoken consent recording" in text
    assert "another studio, which this request did not cover" in text
    assert "Your login account (contractor-b@example.com)" in text
    assert "training package never left us" in text
    assert "is not affected by this deletion" in text
    appendix = wording.appendix(req.report)
    ids = set(m.AuditEvent.objects.filter(target_id=req.public_id).values_list("pk", flat=True))
    assert {int(re.search(r"#(\d+)", line).group(1)) for line in appendix} <= ids
    assert any("deletion.approved" in line for line in appendix)


def test_a_webhook_provider_is_asked_once_to_delete_and_the_report_says_so(cast, settings):
    from voicemanager.cloning.providers import TransientForwardError
    from voicemanager.cloning.providers.webhook import verify
    from voicemanager.deletion import delete, provider
    from voicemanager.tests.test_webhook import SECRET, Receiver

    settings.CLONING_WEBHOOK_SECRET = SECRET
    world = build_world(cast)
    m.Voice.objects.filter(pk=world.a.voice.pk).update(provider="webhook", provider_ref="ext-42")
    world.a.voice.refresh_from_db()
    req = file_matched(cast, world.a, "voice", urgent=True)
    process.advance(req.pk)
    req.refresh_from_db()
    process.approve(req, cast.staff)
    with Receiver(statuses=[503]) as hook:
        settings.CLONING_WEBHOOK_URL = hook.url
        with pytest.raises(TransientForwardError):  # the job retries; the request stays where it was
            delete.run(req.pk)
        assert m.DeletionRequest.objects.get(pk=req.pk).status == S.IDENTIFIED
        m.DeletionRequest.objects.filter(pk=req.pk).update(lease_until=None)  # as the retry finds the lease run out
        assert process.advance(req.pk) == S.COMPLETED
        provider.ask(m.DeletionRequest.objects.get(pk=req.pk))  # a repeat asks nobody
    assert len(hook.requests) == 2  # the refused try and the accepted one
    sent = hook.requests[-1]
    body = json.loads(sent["body"])
    assert body["event"] == "voice.delete_requested" and body["voiceId"] == world.a.voice.public_id
    assert body["providerReference"] == "ext-42" and sent["headers"]["Idempotency-Key"].startswith("delete:")
    assert verify(sent["body"], sent["headers"]["X-Signature"])
    req.refresh_from_db()
    text = " ".join(i for s in report.context(req, req.report)["sections"] for i in s.items)
    assert "we asked the provider (their reference ext-42) to delete the voice" in text
