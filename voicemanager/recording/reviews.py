"""Review and retakes: the admin approves takes or asks for retakes; the talent answers them.

The loop:

* ``approve`` / ``request_retake`` record a ``Review`` of a section's submitted take (a new
  decision on the same take withdraws the earlier open request; history is kept).
  ``request_retakes_for_failed`` does it for every take that failed QC, with notes drawn
  from the QC reasons.
* Retake requests collect in the task's open ``ReviewRound``; ``send_round`` sends them
  to the talent together (one email per round) and the task shows "changes requested".
* The booth lists sections with sent, open requests first, each with its note. Submitting
  a new take for such a section answers the request (``on_take_submitted``, called inside
  the submit transaction); when the last one is answered the task goes back to submitted
  (or recording) and on through processing.
* A task is "ready" only when every section's submitted take is approved, or, where the
  organisation does not review every take (``Organisation.review_takes`` off), passed QC
  (``acceptable``). Otherwise it waits at "needs review".

Screening (optional per task): after the first ``screening_sections`` sections are
submitted, recording pauses (new sections are refused) until an admin approves the setup
(``release_screening``); both sides are emailed.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks.audio import qc_codes
from voicemanager.cloning import gate as quality_gate
from voicemanager.core import audit
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.models import AudioFile, Membership, RecordingTask, Review, ReviewRound, Take

log = logging.getLogger(__name__)

MAX_NOTE = 1000
GENERAL_NOTES = (
    "A word was mispronounced or skipped; read the text exactly as written.",
    "Mouth noise or a breath is audible; pause a moment and record again.",
    "The delivery differs from the earlier sections; keep the same tone and pace.",
    "Background noise (a click, a bump or traffic) is audible.",
)


class ReviewError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


# --- facts -----------------------------------------------------------------------------------------


def submitted_takes(task: RecordingTask) -> dict[int, Take]:
    """Section pk -> its submitted take."""
    return {t.section_id: t for t in Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED)
            .select_related("audio_file", "audio_file__derived_from")}


def take_failures(take: Take) -> list[dict]:
    """QC failures of a take: the worker's full analysis of its file when done, else the booth's QC."""
    audio = take.audio_file
    if audio is not None and audio.analysis_state in (AudioFile.Analysis.DONE, AudioFile.Analysis.FAILED):
        return quality_gate.failures_of(audio)
    return qc_codes.failures(take.qc)


def latest_reviews(task: RecordingTask) -> dict[int, Review]:
    """Take pk -> its latest review that still stands (not withdrawn)."""
    out: dict[int, Review] = {}
    for review in Review.objects.filter(task=task, withdrawn_at=None).select_related("by", "round").order_by(
            "created_at", "pk"):
        out[review.take_id] = review
    return out


def open_sent_requests(task: RecordingTask):
    return Review.objects.filter(task=task).open_requests().sent()


def acceptable(task: RecordingTask) -> bool:
    """Every section has a submitted take that is approved, or passed QC where the organisation does not review."""
    sections = list(task.script.sections.values_list("pk", flat=True))
    takes = submitted_takes(task)
    reviews = latest_reviews(task)
    reviews_all = task.organisation.review_takes
    for section_pk in sections:
        take = takes.get(section_pk)
        if take is None:
            return False
        review = reviews.get(take.pk)
        if review is not None:
            if review.decision == Review.Decision.APPROVED:
                continue
            return False  # a retake is requested
        if reviews_all or take_failures(take):
            return False
        audio = take.audio_file
        if audio is None or audio.analysis_state != AudioFile.Analysis.DONE:
            return False
    return True


def qc_decisions(files: list[AudioFile]) -> dict[int, dict]:
    """Approved takes among ``files`` (by original file pk): a reviewer let them through."""
    originals = {f.derived_from_id or f.pk for f in files}
    out: dict[int, dict] = {}
    takes = Take.objects.filter(audio_file_id__in=originals, status=Take.Status.SUBMITTED)
    latest: dict[int, Review] = {}
    for review in Review.objects.filter(take__in=takes, withdrawn_at=None).select_related("by", "take").order_by(
            "created_at", "pk"):
        latest[review.take_id] = review
    for review in latest.values():
        if review.decision == Review.Decision.APPROVED:
            out[review.take.audio_file_id] = {"kind": "approved", "by": review.by_label,
                                              "at": review.created_at.isoformat(), "note": review.note}
    return out


# --- decisions ---------------------------------------------------------------------------------------


def _locked(task: RecordingTask, take_public_id: str) -> tuple[RecordingTask, Take]:
    task = RecordingTask.objects.select_for_update().get(pk=task.pk)
    if task.status not in RecordingTask.REVIEWABLE:
        raise ReviewError("not_reviewable", f"A task that is {task.get_status_display().lower()} cannot be reviewed.")
    take = (Take.objects.select_for_update(of=("self",)).filter(task=task, public_id=take_public_id,
                                                              kind=Take.Kind.TAKE)
            .select_related("section", "audio_file").first())
    if take is None:
        raise ReviewError("not_found", "That take does not exist in this task.")
    if take.status != Take.Status.SUBMITTED:
        raise ReviewError("not_submitted", "Only the submitted take of a section can be reviewed; "
                                           "the talent has replaced this one.")
    return task, take


def _withdraw_previous(take: Take) -> None:
    for review in Review.objects.filter(take=take).open_requests():
        review.withdraw()


def open_round(task: RecordingTask, user) -> ReviewRound:
    current = ReviewRound.objects.filter(task=task, sent_at=None).first()
    if current:
        return current
    number = (ReviewRound.objects.filter(task=task).order_by("-number").values_list("number", flat=True).first()
              or 0) + 1
    return ReviewRound.objects.create(task=task, number=number, opened_by=user)


def approve(task: RecordingTask, take_public_id: str, user, note: str = "") -> Review:
    """Approve a section's submitted take; a task whose every section is acceptable becomes ready."""
    with transaction.atomic():
        task, take = _locked(task, take_public_id)
        _withdraw_previous(take)
        review = Review.objects.create(task=task, section=take.section, take=take, by=user,
                                       decision=Review.Decision.APPROVED, note=note.strip()[:MAX_NOTE])
        audit.record("take.approved", actor=user, organisation=task.organisation, target=take, task=task.public_id,
                     section=take.section.position, qc=[f["code"] for f in take_failures(take)])
        transaction.on_commit(lambda: refresh_ready(task.pk), robust=True)
    return review


def request_retake(task: RecordingTask, take_public_id: str, user, note: str) -> Review:
    """Ask for a new take of the section, with a note; it goes out with the round (``send_round``)."""
    note = " ".join((note or "").split())[:MAX_NOTE]
    if not note:
        raise ReviewError("note_required", "Say what should change: pick a note or write one.")
    with transaction.atomic():
        task, take = _locked(task, take_public_id)
        _withdraw_previous(take)
        review = Review.objects.create(task=task, section=take.section, take=take, by=user, note=note,
                                       decision=Review.Decision.RETAKE, round=open_round(task, user))
        audit.record("take.retake_requested", actor=user, organisation=task.organisation, target=take,
                     task=task.public_id, section=take.section.position, note=note[:500])
    return review


def request_retakes_for_failed(task: RecordingTask, user) -> int:
    """A retake request for every submitted take that failed QC and has no decision yet; return how many."""
    with transaction.atomic():
        task = RecordingTask.objects.select_for_update().get(pk=task.pk)
        reviews = latest_reviews(task)
        todo = [(t, found) for t in submitted_takes(task).values()
                if t.pk not in reviews and (found := take_failures(t))]
    n = 0
    for take, found in sorted(todo, key=lambda tf: tf[0].section.position):
        try:
            request_retake(task, take.public_id, user, " ".join(qc_codes.retake_notes(found)))
            n += 1
        except ReviewError:  # replaced meanwhile: nothing to ask
            continue
    return n


def send_round(task: RecordingTask, user) -> ReviewRound | None:
    """Send the open round's retake requests to the talent in one email; the task shows "changes requested"."""
    with transaction.atomic():
        task = RecordingTask.objects.select_for_update().get(pk=task.pk)
        current = ReviewRound.objects.select_for_update().filter(task=task, sent_at=None).first()
        if current is None or not current.pending_requests().exists():
            raise ReviewError("nothing_to_send", "There are no retake requests to send.")
        current.sent_at, current.sent_by = timezone.now(), user
        current.save(update_fields=["sent_at", "sent_by"])
        task.request_changes()
        n = current.pending_requests().count()
        audit.record("review.round_sent", actor=user, organisation=task.organisation, target=task,
                     round=current.number, requests=n)
        send_after_commit(notify_talent_round, current.pk)
    return current


def on_take_submitted(task: RecordingTask, take: Take, *, all_submitted: bool) -> bool:
    """Inside the submit transaction: a new take answers the section's open requests.

    When the last sent request is answered the task leaves "changes requested"; return True then.
    """
    for review in Review.objects.filter(task=task, section=take.section).open_requests().exclude(take=take):
        review.answer(take)
    if task.status == RecordingTask.Status.CHANGES_REQUESTED and not open_sent_requests(task).exists():
        if task.changes_answered(all_submitted=all_submitted):
            audit.record("review.answered", organisation=task.organisation, target=task)
            return True
    return False


def refresh_ready(task_pk: int) -> None:
    """After a decision: processed tasks whose every section is acceptable become ready (emailed once)."""
    from voicemanager.files.denoising import refresh_task_status

    refresh_task_status(task_pk)


# --- screening -----------------------------------------------------------------------------------------


def screening_blocks(task: RecordingTask, section) -> str:
    """Why the booth refuses a new take of ``section`` now ("" when it may be recorded)."""
    if not task.screening_waiting:
        return ""
    if Take.objects.filter(task=task, section=section, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED).exists():
        return ""  # the screened sections may be re-recorded
    return (f"Recording is paused after the first {task.screening_sections} sections while "
            f"{task.organisation.name} checks your setup. We will email you as soon as you can go on.")


def after_submit_screening(task: RecordingTask, n_submitted: int) -> None:
    """Inside the submit transaction: pause after the first N sections and email both sides once."""
    if not task.screening_sections or task.screening_released_at or n_submitted < task.screening_sections:
        return
    if task.pause_for_screening():
        audit.record("screening.paused", organisation=task.organisation, target=task, sections=n_submitted)
        send_after_commit(notify_screening_ready, task.pk)
        send_after_commit(notify_screening_paused, task.pk)


def set_screening(task: RecordingTask, user, sections: int | None) -> None:
    """Turn screening on (after ``sections`` sections) or off, before it has paused the task."""
    if sections is not None and not 1 <= sections <= 1000:
        raise ReviewError("invalid", "Screen after 1 to 1000 sections.")
    with transaction.atomic():
        locked = RecordingTask.objects.select_for_update().get(pk=task.pk)
        if locked.screening_paused_at:
            raise ReviewError("screening_started", "Screening has already paused this task; approve the setup instead.")
        RecordingTask.objects.filter(pk=task.pk).update(screening_sections=sections)
        audit.record("screening.set", actor=user, organisation=task.organisation, target=task, sections=sections)
        n = Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED).count()
        locked.screening_sections = sections
        if sections:
            after_submit_screening(locked, n)


def release_screening(task: RecordingTask, user, note: str = "") -> None:
    """The admin approved the setup: recording goes on, the talent is emailed."""
    with transaction.atomic():
        locked = RecordingTask.objects.select_for_update().get(pk=task.pk)
        if not locked.screening_waiting:
            raise ReviewError("not_paused", "This task is not waiting for a setup check.")
        locked.release_screening(user)
        note = " ".join((note or "").split())[:MAX_NOTE]
        audit.record("screening.released", actor=user, organisation=task.organisation, target=task, note=note)
        send_after_commit(notify_screening_released, task.pk, note)


# --- the panels' data -------------------------------------------------------------------------------------


STATE_LABELS = {"approved": "Approved", "retake": "Retake requested", "open": "To review", "missing": "Not recorded"}


def review_state(task: RecordingTask, *, can_review: bool) -> dict:
    """Rows for the task page's review panel, counts, the open round and screening."""
    sections = list(task.script.sections.order_by("position"))
    takes = submitted_takes(task)
    counts_by_section: dict[int, int] = {}
    for section_id in Take.objects.filter(task=task, kind=Take.Kind.TAKE).exclude(
            status=Take.Status.DELETED).values_list("section_id", flat=True):
        counts_by_section[section_id] = counts_by_section.get(section_id, 0) + 1
    history: dict[int, list[Review]] = {}
    for review in Review.objects.filter(task=task).select_related("by", "take", "answered_by", "round"):
        history.setdefault(review.section_id, []).append(review)
    reviews = latest_reviews(task)
    rows, counts, n_failed_open = [], {"approved": 0, "retake": 0, "open": 0, "missing": 0}, 0
    for section in sections:
        take = takes.get(section.pk)
        review = reviews.get(take.pk) if take else None
        failures = take_failures(take) if take else []
        state = "missing" if take is None else (
            "approved" if review and review.decision == Review.Decision.APPROVED else
            "retake" if review else "open")
        counts[state] += 1
        if take and failures and review is None:
            n_failed_open += 1
        request = review if review and review.decision == Review.Decision.RETAKE else None
        rows.append({
            "section": section, "take": take, "state": state, "state_label": STATE_LABELS[state],
            "qc_level": "fail" if failures else ((take.audio_file.qc if take and take.audio_file else {}) or
                                                 (take.qc if take else {})).get("summary", "pending"),
            "failures": failures, "presets": qc_codes.retake_notes(failures) + list(GENERAL_NOTES),
            "n_takes": counts_by_section.get(section.pk, 0),
            "request": {"by": request.by_label, "at": request.created_at, "note": request.note,
                        "sent": bool(request.round and request.round.sent_at),
                        "answered_by": request.answered_by.public_id if request.answered_by else ""}
            if request else None,
            "history": [{"at": h.created_at, "by": h.by_label, "label": h.get_decision_display(), "note": h.note,
                         "take": h.take.public_id,
                         "answered_by": h.answered_by.public_id if h.answered_by else "",
                         "withdrawn": bool(h.withdrawn_at)} for h in history.get(section.pk, [])],
        })
    current = ReviewRound.objects.filter(task=task, sent_at=None).first()
    n_submitted = len(takes)
    return {
        "rows": rows, "counts": counts, "n_failed_open": n_failed_open, "can_review": can_review,
        "round": {"pending": list(current.pending_requests()) if current else []},
        "screening": {"sections": task.screening_sections, "waiting": task.screening_waiting,
                      "released_at": task.screening_released_at,
                      "released_by": (task.screening_released_by.email if task.screening_released_by else ""),
                      "submitted": n_submitted} if task.screening_sections else None,
        "reviews_all": task.organisation.review_takes,
    }


def booth_requests(task: RecordingTask) -> list[dict]:
    """The talent's open, sent retake requests in section order (the booth lists them first)."""
    return [{"position": r.section.position, "text": r.section.text, "note": r.note, "at": r.created_at,
             "section_id": r.section_id}
            for r in open_sent_requests(task).select_related("section").order_by("section__position", "created_at")]


# --- emails -----------------------------------------------------------------------------------------------


def _speaker_name(task: RecordingTask) -> str:
    return (task.speaker.full_name or task.speaker.email) if task.speaker else task.contractor_email


def _talent_email(task: RecordingTask) -> list[str]:
    email = (task.speaker.user.email if task.speaker and task.speaker.user_id else "") or task.contractor_email
    return [email] if email else []


def _admin_emails(task: RecordingTask) -> list[str]:
    return list(Membership.objects.filter(organisation=task.organisation, role=Membership.Role.ADMIN)
                .values_list("user__email", flat=True))


def _urls(task: RecordingTask) -> dict:
    site = settings.SITE_URL.rstrip("/")
    return {"booth_url": f"{site}/booth/tasks/{task.public_id}/", "task_url": f"{site}/vm/tasks/{task.public_id}/"}


@email_job
def notify_talent_round(round_pk: int) -> int:
    """One email for the whole round: every request with its note."""
    current = ReviewRound.objects.select_related("task__script", "task__organisation", "task__speaker__user").get(
        pk=round_pk)
    task = current.task
    requests = [{"position": r.section.position, "text": r.section.text, "note": r.note}
                for r in current.reviews.filter(decision=Review.Decision.RETAKE, withdrawn_at=None)
                .select_related("section").order_by("section__position")]
    if not requests:
        return 0
    ctx = {"task": task, "script": task.script, "organisation": task.organisation, "speaker_name": _speaker_name(task),
           "requests": requests, "n_requests": len(requests),
           "n_approved": Review.objects.filter(task=task, decision=Review.Decision.APPROVED, withdrawn_at=None).count(),
           **_urls(task)}
    return send_templated_email("review_round", ctx, _talent_email(task))


def _screening_ctx(task: RecordingTask) -> dict:
    n = task.script.sections.count()
    done = Take.objects.filter(task=task, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED).count()
    return {"task": task, "script": task.script, "organisation": task.organisation,
            "speaker_name": _speaker_name(task), "n_screened": done, "n_remaining": max(0, n - done), **_urls(task)}


@email_job
def notify_screening_ready(task_pk: int) -> int:
    """To the admins: listen to the first sections and approve the setup."""
    task = RecordingTask.objects.select_related("script", "organisation", "speaker__user").get(pk=task_pk)
    return send_templated_email("screening_ready", _screening_ctx(task), _admin_emails(task))


@email_job
def notify_screening_paused(task_pk: int) -> int:
    """To the talent: recording is paused until the setup is checked."""
    task = RecordingTask.objects.select_related("script", "organisation", "speaker__user").get(pk=task_pk)
    return send_templated_email("screening_paused", _screening_ctx(task), _talent_email(task))


@email_job
def notify_screening_released(task_pk: int, note: str = "") -> int:
    task = RecordingTask.objects.select_related("script", "organisation", "speaker__user").get(pk=task_pk)
    return send_templated_email("screening_released", {**_screening_ctx(task), "note": note}, _talent_email(task))


def set_review_takes(organisation, user, on: bool) -> None:
    """Organisation setting: does every take need an approval before a task is ready?"""
    type(organisation).objects.filter(pk=organisation.pk).update(review_takes=on)
    audit.record("organisation.review_takes", actor=user, organisation=organisation, target=organisation, on=on)
    if not on:  # tasks that only waited for approvals of takes that passed QC are ready now
        for pk in RecordingTask.objects.filter(organisation=organisation, status=RecordingTask.Status.REVIEW
                                               ).values_list("pk", flat=True):
            refresh_ready(pk)
