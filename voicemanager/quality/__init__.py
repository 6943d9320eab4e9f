"""Whose voice is it, and how does it drift: speaker verification, session drift and the quality report.

models.py   VoiceCheck: one booth take or named-speaker upload compared with the consent recording
            (status changes: claim, release, finish, fail; set_reference)
checks.py   queue a check (outbox), run it (tasks.voice.check_voice), the gate's speaker mismatches,
            what the booth shows (verdict, drift warnings, break reminder)
report.py   the quality report of a task or a voice (minutes, takes, QC pass rate, verification, drift)
plots.py    server-rendered SVG plots of one drift measure over a session
views.py    /vm/tasks/<id>/quality/, /vm/voices/<id>/quality/, picking drift reference takes

The audio work is pure (tasks/audio/speaker.py, tasks/audio/drift.py).
"""
