"""Right to be forgotten: one module per step of the flow.

intake → (email confirmation) → identify → [staff approval] → backup → delete → verify → report.

``process.advance(pk)`` runs whichever step is next; every step claims the request by a
conditional update on its status (plus a renewable lease), does its work so that running
it twice is harmless, and moves the status on in the same transaction as its audit event.

Decisions:
- Every request, urgent or not, waits in ``identified`` until staff approve the list of
  instances: a confirmed email proves control of an address, not ownership of the voice,
  and an urgent deletion cannot be undone. Urgent only means: no backup, straight to
  deletion once approved (and flagged first in the operator queue).
- What gets deleted is found by Django's own deletion collector, run in a transaction that
  is rolled back (``identify.collect``): rows that cascade and links that are nulled
  (e.g. credit entries keep their amount but lose the voice) are exactly what a real
  delete would touch, including models added later by other parts of the product.

Files: models.py (DeletionRequest; its status changes are DeletionRequestQuerySet methods),
intake.py, identify.py, claims.py, backup.py, delete.py, verify.py, report.py, archive.py,
process.py, emails.py, forms.py; views/ forget (public /forget/…) and ops (/ops/deletion/…).
"""
