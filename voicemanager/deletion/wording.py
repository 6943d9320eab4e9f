"""The report in plain language: sections of sentences, printed alike by the HTML page and the email.

No model or class names reach the reader: each kind of record has a plain name here
(``PLAIN``); a kind added later falls back to its verbose name. Audit event ids and their
actions go in the appendix, for staff.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps

from voicemanager.models import DeletionRequest

PLAIN = {
    "voicemanager.Voice": ("voice", "voices"),
    "voicemanager.VoicePackage": ("training package prepared for cloning", "training packages prepared for cloning"),
    "voicemanager.RecordingTask": ("recording task", "recording tasks"),
    "voicemanager.Take": ("recorded take", "recorded takes"),
    "voicemanager.AudioFile": ("audio file", "audio files"),
    "voicemanager.ConsentRecording": ("spoken consent recording", "spoken consent recordings"),
    "voicemanager.ConsentSignature": ("signed consent document", "signed consent documents"),
    "voicemanager.Speaker": ("speaker profile (your name and email)", "speaker profiles (name and email)"),
    "voicemanager.DenoiseJob": ("noise-reduction record", "noise-reduction records"),
    "voicemanager.CreditEntry": ("billing entry of the studio", "billing entries of the studio"),
    "voicemanager.Invitation": ("invitation", "invitations"),
}


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # paragraphs printed after the items


def plain_kind(label: str, n: int) -> str:
    if label in PLAIN:
        one, many = PLAIN[label]
    else:
        try:
            meta = apps.get_model(label)._meta
            one, many = str(meta.verbose_name), str(meta.verbose_name_plural)
        except (LookupError, ValueError):
            one, many = "other record", "other records"
    return f"{n} {one if n == 1 else many}"


def when(value: str | datetime | None, with_time: bool = True) -> str:
    if not value:
        return "—"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{dt.day} {dt:%B %Y}" + (f", {dt:%H:%M} UTC" if with_time else "")


def _counts(rows: list[dict], action: str = "delete") -> Counter:
    return Counter(r["model"] for r in rows if r.get("action", "delete") == action)


def _listing(counter: Counter) -> str:
    parts = [plain_kind(label, n) for label, n in sorted(counter.items(), key=lambda kv: PLAIN_ORDER(kv[0]))]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


def PLAIN_ORDER(label: str) -> int:  # noqa: N802 - sort key, reads as a constant
    order = list(PLAIN)
    return order.index(label) if label in order else len(order)


def _scope_phrase(req: DeletionRequest) -> str:
    return "your voice and its recordings" if req.scope == DeletionRequest.Scope.VOICE_AND_RECORDINGS else "your voice"


def sections(req: DeletionRequest, report: dict) -> list[Section]:
    """The report's sections, in the order a reader asks: what, where, what not, who else, what stays."""
    found = req.found or {}
    out: list[Section] = []
    named = [f"{req.full_name} <{req.email}>"]
    if req.voice_alias:
        named.append(f"the voice “{req.voice_alias}”")
    if req.organisation_ref and not req.organisation_ref.startswith("org_"):
        named.append(f"the studio “{req.organisation_ref}”")
    s = Section("Your request")
    s.paragraphs.append(f"On {when(req.created_at)} you asked us to delete {_scope_phrase(req)} "
                        f"({'; '.join(named)}).")
    if req.confirmed_at:
        s.paragraphs.append(f"You confirmed the request from your email on {when(req.confirmed_at)}.")
    if req.approved_at:
        s.paragraphs.append(f"A member of our staff checked what we found against your details and approved "
                            f"the deletion on {when(req.approved_at)}.")
    if req.urgent:
        s.paragraphs.append("You marked it urgent: we deleted without keeping a backup copy.")
    out.append(s)

    s = Section("What we found")
    for org in (found.get("orgs") or {}).values():
        things = [f"the {v['type'].lower()} voice “{v['alias']}”" for v in org["voices"]]
        for t in org["tasks"]:
            n = t["takes"]
            things.append(f"a recording task (script “{t['script']}”) with {n} take{'s' if n != 1 else ''}"
                          + (" and a spoken consent recording" if t["consent"] else ""))
        if org["files"]:
            things.append(f"{org['files']} other audio file{'s' if org['files'] != 1 else ''} uploaded with your voice")
        if things:
            s.items.append(f"For {org['name']}: " + "; ".join(things) + ".")
    rows = found.get("rows", []) + found.get("late_rows", [])
    speaker_rows = _counts(rows)
    if speaker_rows.get("voicemanager.Speaker") or speaker_rows.get("voicemanager.ConsentSignature"):
        s.items.append("Your details stored with the recordings: "
                       + _listing(Counter({k: v for k, v in speaker_rows.items()
                                           if k in ("voicemanager.Speaker", "voicemanager.ConsentSignature")})) + ".")
    keys = report["found"]["keys"]
    s.after.append(f"In total {sum(speaker_rows.values())} records in our database and {len(keys)} "
                        f"stored file{'s' if len(keys) != 1 else ''} belonged to what you asked us to delete.")
    out.append(s)

    s = Section("What we deleted, and where")
    deleted = report["deleted"]
    if speaker_rows:
        s.items.append(f"In our database: {_listing(speaker_rows)}. Deleted on {when(deleted['at'])}.")
    n_keys, n_absent = len(deleted["keys"]), len(deleted["already_absent"])
    s.items.append(f"In file storage: {n_keys} file{'s' if n_keys != 1 else ''} (recordings, their processed "
                   f"versions and the training package). Deleted on {when(deleted['at'])}."
                   + (f" {n_absent} more had already been removed." if n_absent else ""))
    backup = report["backup"]
    if backup.get("made"):
        s.items.append(f"In backups: before deleting, we made one encrypted backup copy, kept apart where only our "
                       f"staff can reach it, so that a deletion made by mistake can be undone. It is deleted for "
                       f"good on {when(backup['expires_at'], with_time=False)}.")
    else:
        s.items.append("In backups: no backup copy was made, because you asked for an urgent deletion.")
    unlinked = _counts(rows, "unlink")
    if unlinked:
        s.items.append(f"Kept but no longer linked to the voice: {_listing(unlinked)} (the amount stays in the "
                       "studio's accounts; nothing in it identifies you).")
    if report["verified"]["at"]:
        s.after.append(f"On {when(report['verified']['at'])} we searched the database and the file storage "
                            "again: nothing of what you asked us to delete is left.")
    out.append(s)

    s = Section("What we kept, and why")
    for k in found.get("kept", []):
        s.items.append(k.get("text") or "A record linked to other work, which this request did not cover.")
    if not s.items:
        s.paragraphs.append("Nothing: everything we found was deleted.")
    else:
        s.after.append("If you want any of these deleted too, reply to the report email or file a new request.")
    out.append(s)

    s = Section("The cloning provider")
    asked = {a["voice"]: a for a in report.get("provider", [])}
    for fwd in found.get("forwarded", []):
        if not fwd.get("forwarded_at"):
            s.items.append(f"The voice “{fwd['alias']}” had not been sent for cloning.")
            continue
        a = asked.get(fwd["voice"], {})
        if a.get("sent"):
            ref = f" (their reference {fwd['provider_ref']})" if fwd.get("provider_ref") else ""
            s.items.append(f"The voice “{fwd['alias']}” was sent for cloning on {when(fwd['forwarded_at'])}. "
                           f"On {when(a['at'])} we asked the provider{ref} to delete the voice, the training "
                           "package we sent and everything made from them.")
        else:
            s.items.append(f"The voice “{fwd['alias']}” was cloned on {when(fwd['forwarded_at'])} by our own staff: "
                           "the training package never left us, and it was deleted here with the voice.")
    if not s.items:
        s.paragraphs.append("None of the voices had been sent to a cloning provider.")
    out.append(s)

    s = Section("What cannot be undone")
    s.paragraphs.append("Audio or other material made with the voice before the deletion (for example, audio the "
                        "studio produced with the cloned voice and downloaded) is not affected by this deletion: "
                        "we cannot recall copies that others hold, and whoever holds them must remove them.")
    if backup.get("made"):
        s.paragraphs.append(f"Until {when(backup['expires_at'], with_time=False)} our staff can still undo this "
                            "deletion from the backup; after that it is final.")
    else:
        s.paragraphs.append("Without a backup, this deletion is final.")
    out.append(s)
    return out


def appendix(report: dict) -> list[str]:
    """For staff: the request id and each audit event behind the report."""
    return [f"Audit event #{e['id']} · {when(e['at'])} · {e['action']}" for e in report.get("appendix", [])]
