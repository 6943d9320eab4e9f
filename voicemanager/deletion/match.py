"""Matching a request to the speakers, voices and organisations behind it (staff, after confirmation).

A talent names themselves (name, email) and perhaps a voice alias or a studio; they never
know internal ids. ``candidates`` lists what those details point to, with the reasons, and
suggests a choice: speakers with the same email (or the booth account that filed it), the
voice with the alias when its speaker is one of them, and the studios named or, without a
studio, every studio the talent recorded for. Staff tick what is right; ``apply`` stores it
with ``DeletionRequest.match`` and the worker identifies every instance behind the choice.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from voicemanager.models import DeletionRequest, Organisation, RecordingTask, Speaker, Voice


@dataclass
class Candidate:
    pk: int
    label: str
    detail: str = ""
    reasons: list[str] = field(default_factory=list)
    suggested: bool = False
    chosen: bool = False


class MatchError(Exception):
    """The choice cannot be applied; the message is safe to show."""


def _filer(req: DeletionRequest):
    """The booth account that filed the request (staff filing for someone do not count)."""
    user = req.submitted_by
    return user if user is not None and not user.is_staff else None


def _studio_q(studio: str) -> Q:
    return Q(name__iexact=studio) | Q(name__icontains=studio) | Q(public_id=studio)


def candidates(req: DeletionRequest) -> dict[str, list[Candidate]]:
    """Speakers, voices and organisations the request's details point to, best first."""
    email, name, alias, studio = req.email, req.full_name, req.voice_alias, req.organisation_ref.strip()
    filer = _filer(req)
    speakers: dict[int, Candidate] = {}

    def speaker(s: Speaker, reason: str, strong: bool) -> None:
        c = speakers.setdefault(s.pk, Candidate(s.pk, s.full_name or s.email, s.email))
        c.reasons.append(reason)
        c.suggested = c.suggested or strong

    sq = Q(email__iexact=email) | (Q(full_name__iexact=name) if name else Q(pk__in=[]))
    if filer:
        sq |= Q(user=filer)
    for s in Speaker.objects.filter(sq).order_by("pk"):
        if s.email.lower() == email.lower():
            speaker(s, "same email", True)
        if filer and s.user_id == filer.pk:
            speaker(s, "filed from this talent's booth account", True)
        if name and s.full_name.lower() == name.lower():
            speaker(s, "same name", False)
    alias_voices = list(Voice.objects.filter(alias__iexact=alias).select_related("speaker")) if alias else []
    for v in alias_voices:
        if v.speaker:
            speaker(v.speaker, f"recorded the voice “{v.alias}”", False)
    suggested_speakers = {pk for pk, c in speakers.items() if c.suggested}

    studio_orgs = set(Organisation.objects.filter(_studio_q(studio)).values_list("pk", flat=True)) if studio else set()
    voices: dict[int, Candidate] = {}
    vq = Q(speaker_id__in=list(speakers)) | Q(pk__in=[v.pk for v in alias_voices])
    for v in Voice.objects.filter(vq).select_related("organisation", "speaker").order_by("organisation__name", "alias"):
        c = voices[v.pk] = Candidate(v.pk, v.alias, f"{v.organisation.name} · {v.get_type_display().lower()} voice"
                                     f" · {v.get_status_display().lower()}"
                                     + (f" · recorded by {v.speaker.full_name or v.speaker.email}" if v.speaker else ""))
        by_talent = v.speaker_id in suggested_speakers
        if alias and v.alias.lower() == alias.lower():
            c.reasons.append("the alias given")
            c.suggested = by_talent or v.speaker_id is None
            if not c.suggested:
                c.reasons.append("recorded by someone with another email: check before choosing")
        elif by_talent:
            c.reasons.append("recorded by this talent")
            c.suggested = not alias and (not studio or v.organisation_id in studio_orgs)
        if studio and v.organisation_id in studio_orgs:
            c.reasons.append("at the studio named")

    orgs: dict[int, Candidate] = {}
    task_orgs = set(RecordingTask.objects.filter(speaker_id__in=list(speakers))
                    .values_list("organisation_id", flat=True))
    voice_orgs = set(Voice.objects.filter(pk__in=list(voices)).values_list("organisation_id", flat=True))
    talent_orgs = set(RecordingTask.objects.filter(speaker_id__in=suggested_speakers)
                      .values_list("organisation_id", flat=True))
    talent_orgs |= set(Voice.objects.filter(speaker_id__in=suggested_speakers).values_list("organisation_id", flat=True))
    suggested_voice_orgs = set(Voice.objects.filter(pk__in=[pk for pk, c in voices.items() if c.suggested])
                               .values_list("organisation_id", flat=True))
    for o in Organisation.objects.filter(pk__in=task_orgs | voice_orgs | studio_orgs).order_by("name"):
        n_tasks = RecordingTask.objects.filter(organisation=o, speaker_id__in=list(speakers)).count()
        c = orgs[o.pk] = Candidate(o.pk, o.name, f"{o.public_id} · {n_tasks} recording task(s) of the speakers above")
        if o.pk in studio_orgs:
            c.reasons.append("the studio named")
        if o.pk in talent_orgs:
            c.reasons.append("this talent recorded here")
        if o.pk in suggested_voice_orgs:
            c.reasons.append("holds the voice")
        c.suggested = o.pk in suggested_voice_orgs or (o.pk in studio_orgs if studio else o.pk in talent_orgs)
    chosen = req.matched or {}
    out = {"speakers": list(speakers.values()), "voices": list(voices.values()), "organisations": list(orgs.values())}
    for kind, items in out.items():
        picked = set(chosen.get(kind, []))
        for c in items:
            c.chosen = c.pk in picked if chosen else c.suggested
    return out


def apply(req: DeletionRequest, *, speakers: list, voices: list, organisations: list, actor) -> None:
    """Store the staff's choice; a voice's organisation is always part of it."""
    def ints(values) -> list[int]:
        try:
            return sorted({int(v) for v in values})
        except (TypeError, ValueError) as exc:
            raise MatchError("The choice contains an unknown item.") from exc

    speakers, voices, organisations = ints(speakers), ints(voices), ints(organisations)
    if Speaker.objects.filter(pk__in=speakers).count() != len(speakers) or \
            Voice.objects.filter(pk__in=voices).count() != len(voices) or \
            Organisation.objects.filter(pk__in=organisations).count() != len(organisations):
        raise MatchError("Some of the chosen items no longer exist; reload the page.")
    if not speakers and not voices:
        raise MatchError("Choose at least one speaker or voice, or reject the request.")
    organisations = sorted(set(organisations) | set(Voice.objects.filter(pk__in=voices)
                                                    .values_list("organisation_id", flat=True)))
    if not req.match(speakers=speakers, voices=voices, organisations=organisations, actor=actor):
        raise MatchError("This request cannot be matched now (not confirmed, already approved, or being worked on).")
