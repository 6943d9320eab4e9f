"""The quality gate before cloning: only files that can be used go on to the engine's limits.

A file can be used when its QC passed (warnings are fine), or when a person decided it may
go: a reviewer approved the take, or an admin included the flagged file on purpose (both
recorded and audited where they are made). Every other file is set aside with the codes of
the checks it failed (``tasks.audio.qc_codes``), so the pre-flight lists it with its reasons
and the API's ``discardedFiles`` carries ``code`` and ``reason``.

A denoised version is judged by its own analysis when it has one (denoising may cure the
noise that failed the original), else by its original's. Its script check is its original's,
carried into its QC (``files/jobs.py``, ``recording/adherence.merge_into_file``): denoising
changes the noise, not the words. A file whose analysis has not run
yet is not flagged: the pre-flight shows it as "not analysed yet" and the packager checks
again before anything is built.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tasks.audio import qc_codes
from voicemanager.models import AudioFile


@dataclass
class Gate:
    usable: list[AudioFile] = field(default_factory=list)
    flagged: list[dict] = field(default_factory=list)  # set aside: {"fileId", "name", "code", "reason", ...}
    included: list[dict] = field(default_factory=list)  # flagged, but a person let it through
    pending: list[AudioFile] = field(default_factory=list)  # not analysed yet (usable, warned)

    @property
    def discarded(self) -> list[dict]:
        """``discardedFiles`` entries: fileId, code (the first failure), reason, every code."""
        return [{"fileId": f["fileId"], "code": f["code"], "reason": f["reason"], "codes": f["codes"]}
                for f in self.flagged]


def _judged_by(audio: AudioFile) -> AudioFile:
    if audio.source == AudioFile.Source.DENOISED and audio.derived_from_id:
        analysed = audio.analysis_state in (AudioFile.Analysis.DONE, AudioFile.Analysis.FAILED)
        return audio if analysed else audio.derived_from
    return audio


def failures_of(audio: AudioFile) -> list[dict]:
    """The QC failures that keep ``audio`` out of a package (empty when it passed or is not analysed)."""
    judged = _judged_by(audio)
    error = judged.analysis_error if judged.analysis_state == AudioFile.Analysis.FAILED else None
    return qc_codes.failures(judged.qc, analysis_error=error)


def apply(files: list[AudioFile], decisions: dict[int, dict] | None = None) -> Gate:
    """Split ``files`` into usable and flagged; ``decisions`` maps an original's pk to who let it through.

    A decision is ``{"kind": "approved" | "included", "by": "<email>", "at": iso, "note": ...}``.
    """
    decisions = decisions or {}
    gate = Gate()
    for audio in files:
        found = failures_of(audio)
        judged = _judged_by(audio)
        if not found:
            gate.usable.append(audio)
            if judged.analysis_state in (AudioFile.Analysis.PENDING, AudioFile.Analysis.RUNNING):
                gate.pending.append(audio)
            continue
        entry = {"fileId": audio.public_id, "name": audio.name, "code": found[0]["code"],
                 "codes": [f["code"] for f in found], "reason": qc_codes.summary_reason(found),
                 "failures": found}
        decision = decisions.get(audio.derived_from_id or audio.pk)
        if decision:
            gate.usable.append(audio)
            gate.included.append({**entry, "decision": decision})
        else:
            gate.flagged.append(entry)
    return gate
