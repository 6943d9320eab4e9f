"""Storage first, then the row: after a failure, was the row committed anyway?

Uploads write the object to storage before the row that points at it, and remove the
object again when the row's transaction fails, so a failure leaves nothing behind. But a
transaction can fail *after* its COMMIT went through (the connection dies before the
answer arrives). Removing the object then would leave a committed row without its audio:
a lost take. So the upload asks the database, on a fresh connection, before removing.
"""
from __future__ import annotations

import logging

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


def reconnect_if_broken() -> None:
    """After a database error: drop the connection if it is dead, so the next query opens a new one."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def row_committed(model, pk) -> bool | None:
    """True or False once the database answers; None when it cannot (then keep the object)."""
    if pk is None:
        return False
    reconnect_if_broken()
    try:
        return model.objects.filter(pk=pk).exists()
    except DatabaseError:
        log.warning("could not tell whether %s %s was committed; its stored object is kept", model.__name__, pk)
        return None


def stored_after_failure(exc: BaseException, model, pk, fieldfile) -> bool:
    """The row's transaction raised: remove the stored object unless the row committed after all.

    True when the write did succeed and only the COMMIT's answer was lost (a database error after
    a committed row): the caller returns its object instead of raising. Otherwise it re-raises.
    """
    committed = row_committed(model, pk)
    if committed is False:
        fieldfile.storage.delete(fieldfile.name)
    return bool(committed) and isinstance(exc, DatabaseError)
