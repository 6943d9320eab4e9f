"""What every domain uses: ids, access helpers, the outbox, emails, links, audit, health.

ids.py             public ids (``scr_…``, ``tsk_…``) for URLs and the API
access.py          one helper per kind of object: return it for this user or raise 404 (isolation lives here)
outbox.py          enqueue(): every background job is a row first, sent on commit; flush_outbox re-sends
outbox_message.py  the OutboxMessage model
emails.py          subject / text / HTML email triples, send_after_commit
links.py           site_url(name, *args): absolute links for emails and callbacks
audit.py           the append-only AuditEvent model and audit.record()
health.py          GET /healthz (database, Redis, storage, a worker)
languages.py       the languages a voice can be cloned in
demo.py            demo data (``manage.py seed_demo``)
views/             home (landing, dashboard) and ops_home (/ops/)
"""
