"""Voices: request, package, forward, track; engines and their limits; credits and quotes.

models.py     Voice (advance(stage), fail(reason), mark_packaged/mark_forwarded claims), VoicePackage, CreditEntry
quotes.py     CreditQuote (accept, decline, withdraw_pending)
voices.py     request_voice (checks, credits, consent) → outbox → package; advance_stage; voice_state
packaging.py  build the package (streaming zip + manifest) and forward it exactly once (tasks/cloning.py calls it)
engines.py    engine limits, file by file and for the whole set
credits.py    the ledger rules: charge, refund, quotes
providers/    where a package goes: operator (a staff queue) or webhook
views/        voices, submit (clone a task or files), credits, ops (the operator's queue)
"""
