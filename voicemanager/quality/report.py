"""The quality report of a task or a voice: minutes, takes, QC pass rate, speaker verification and drift.

``task_report`` / ``voice_report`` collect the set's recordings in recording order; ``report``
turns them into the figures and one SVG plot per drift measure (``plots.measure_plot``), each
point linked to its take's audio.
"""
from __future__ import annotations

from django.urls import reverse

from tasks.audio import drift
from voicemanager.models import AudioFile, Take, Voice, VoiceCheck
from voicemanager.quality import checks
from voicemanager.quality.plots import measure_plot


def task_report(task) -> dict:
    takes = list(task.takes.filter(kind=Take.Kind.TAKE).exclude(status=Take.Status.DELETED)
                 .select_related("section", "voice_check").order_by("created_at"))
    items = []
    for take in takes:
        check = getattr(take, "voice_check", None)
        items.append({"check": check, "duration": take.duration, "qc": take.qc,
                      "url": reverse("task_take_audio", args=[task.public_id, take.public_id]),
                      "title": f"Section {take.section.position if take.section else '?'}, take {take.public_id[-6:]}"})
    return report([i["check"] for i in items if i["check"]], items)


def voice_report(voice: Voice) -> dict:
    files = list(AudioFile.objects.filter(organisation=voice.organisation, public_id__in=voice.files_used))
    found = checks.checks_for_files(files)
    files.sort(key=lambda f: (found[f.pk].recorded_at if f.pk in found else f.created_at, f.name))
    items = [{"check": found.get(f.pk), "duration": f.duration, "qc": f.qc,
              "url": reverse("denoise_file_audio", args=[f.public_id]), "title": f.name} for f in files]
    return report([i["check"] for i in items if i["check"]], items)



def report(done_or_waiting: list[VoiceCheck], items: list[dict]) -> dict:
    """The quality report: ``items`` are the set's recordings ``{"check", "duration", "qc", "url", "title"}``.

    Minutes, count, QC pass rate (QC summary not "fail"), verification counts, and each drift
    measure over the session against the bands of the references of the latest check.
    """
    n = len(items)
    qc_known = [i for i in items if (i.get("qc") or {}).get("summary")]
    qc_pass = sum(1 for i in qc_known if i["qc"]["summary"] != "fail")
    verification = {"same": 0, "unsure": 0, "different": 0, "not_checked": 0, "pending": 0}
    for i in items:
        c = i.get("check")
        if c is None or c.state == VoiceCheck.State.FAILED:
            verification["not_checked"] += 1
        elif c.state in (VoiceCheck.State.PENDING, VoiceCheck.State.RUNNING):
            verification["pending"] += 1
        else:
            verification[c.verdict] = verification.get(c.verdict, 0) + 1
    done = [c for c in done_or_waiting if c.state == VoiceCheck.State.DONE]
    latest = done[-1] if done else None
    bands = checks.bands_for(latest) if latest is not None else {}
    measured = [i for i in items if i.get("check") is not None and i["check"].measures]
    session = drift.session([i["check"].measures for i in measured], bands)
    plots = []
    for name in drift.MEASURES:
        pts = [{**p, "url": i.get("url"), "title": i.get("title")} for p, i in zip(session["series"][name], measured, strict=True)]
        if not any(p["value"] is not None for p in pts):
            continue
        plots.append({"name": name, "label": drift.LABELS[name], "outliers": session["outliers"][name],
                      "band": bands.get(name), "svg": measure_plot(name, drift.LABELS[name], pts, bands.get(name))})
    return {
        "minutes": round(sum(i.get("duration") or 0 for i in items) / 60, 1),
        "takes": n,
        "qc_pass_rate": round(100 * qc_pass / len(qc_known)) if qc_known else None,
        "qc_known": len(qc_known),
        "verification": verification,
        "flagged": [i for i in items if i.get("check") is not None and i["check"].is_flagged],
        "plots": plots,
        "reference_count": len(checks.reference_checks(latest)) if latest is not None else 0,
    }


