"""Telling the organisations: a notice per removed voice or task, an audit entry, an email to the admins.

Written in the delete step's last transaction (the items are gone from then on), and marked
restored when staff restore the backup. The task and voice pages show the notice in place of
what went, and each notice's email is its own outbox job (``tasks.deletion.email_deletion_notices``),
so a mail server failure delays the email without touching the deletion. A notice keeps the
organisation's own labels (alias, script title) and the public ids, never the talent's name
or email: the organisation needs to know which of its items went, not who asked.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit, outbox
from voicemanager.core.links import site_url
from voicemanager.deletion import emails
from voicemanager.models import DeletionNotice, DeletionRequest, Organisation

K = DeletionNotice.Kind


def create(req: DeletionRequest) -> list[DeletionNotice]:
    """One notice per removed voice and task (and per organisation's loose files); idempotent."""
    made = []
    for entry in (req.found.get("orgs") or {}).values():
        org = Organisation.objects.filter(pk=entry["pk"]).first()
        if org is None:
            continue
        items = [(K.VOICE, v["id"], v["alias"], {"type": v.get("type", ""), "task": v.get("task", "")})
                 for v in entry["voices"]]
        items += [(K.TASK, t["id"], t["script"], {"takes": t["takes"], "consent": t["consent"]})
                  for t in entry["tasks"]]
        if entry["files"]:
            items.append((K.FILES, req.public_id, "audio files", {"files": entry["files"]}))
        new = []
        for kind, item_id, label, details in items:
            notice, created = DeletionNotice.objects.get_or_create(
                request=req, kind=kind, item_id=item_id,
                defaults={"organisation": org, "label": label[:300], "details": details})
            if created:
                new.append(notice)
        if new:
            audit.record("deletion.organisation_notified", organisation=org, target=req,
                         removed=[f"{n.get_kind_display()} {n.label} ({n.item_id})" for n in new],
                         scope=req.get_scope_display())
            outbox.enqueue("tasks.deletion.email_deletion_notices", req.pk, org.pk, "deleted")
        made += new
    return made


def mark_restored(req: DeletionRequest) -> None:
    """The backup was restored: the notices say so, each organisation is told again."""
    now = timezone.now()
    for org_pk in sorted(set(req.notices.filter(restored_at__isnull=True).values_list("organisation_id", flat=True))):
        org = Organisation.objects.get(pk=org_pk)
        notices = list(req.notices.filter(organisation=org, restored_at__isnull=True))
        DeletionNotice.objects.filter(pk__in=[n.pk for n in notices]).update(restored_at=now)
        audit.record("deletion.organisation_notified_restored", organisation=org, target=req,
                     restored=[f"{n.get_kind_display()} {n.label} ({n.item_id})" for n in notices])
        outbox.enqueue("tasks.deletion.email_deletion_notices", req.pk, org.pk, "restored")


def email(request_pk: int, organisation_pk: int, event: str) -> int:
    """Email the organisation's admins about this request's notices (raises on SMTP failure: the job retries)."""
    req = DeletionRequest.objects.filter(pk=request_pk).first()
    org = Organisation.objects.filter(pk=organisation_pk).first()
    if req is None or org is None:
        return 0
    notices = list(req.notices.filter(organisation=org).order_by("kind", "label"))
    if event == "restored":
        notices = [n for n in notices if n.restored_at]
    to = org.admin_emails()
    if not notices or not to:
        return 0
    emails.send(f"notice_{event}", to, {"req": req, "org": org, "notices": notices,
                                        "tasks_url": site_url("task_list")})
    with transaction.atomic():
        DeletionNotice.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=timezone.now())
    return len(to)


def for_item(request, item_id: str) -> DeletionNotice | None:
    """The latest notice about a voice or task of the user's organisations (None for anyone else)."""
    from voicemanager.core.access import user_organisations

    return (DeletionNotice.objects.filter(item_id=item_id, organisation__in=user_organisations(request.user))
            .select_related("organisation").first())


def removed_page(request, item_id: str):
    """The page in place of a task or voice a deletion request removed (410); 404 for anything else."""
    from django.http import Http404
    from django.shortcuts import render

    notice = for_item(request, item_id)
    if notice is None or notice.restored_at:
        raise Http404("Not found")
    return render(request, "deletion/removed_item.html", {"notice": notice}, status=410)


def for_task(task) -> list[DeletionNotice]:
    """Notices for a task page that exists: its voice removed (voice only), or the task itself restored."""
    from django.db.models import Q

    return list(DeletionNotice.objects.filter(organisation=task.organisation).filter(
        Q(item_id=task.public_id) | Q(kind=K.VOICE, details__task=task.public_id)))


def recent_for(orgs) -> list[DeletionNotice]:
    return list(DeletionNotice.objects.filter(organisation__in=orgs).select_related("organisation")[:10])
