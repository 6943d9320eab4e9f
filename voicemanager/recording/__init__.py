"""Recording tasks, invitations, speakers and takes: from the assignment to the submitted set.

models.py           RecordingTask (status changes: accept, start_recording, submit_take, cancel, mark_processing,
                    mark_ready) and Take (mark_submitted, mark_recorded, mark_deleted), on the table booth_take
invitations.py      Invitation: signed, single-use, expiring links
speakers.py         Speaker: the person whose voice is recorded (contractor or voice owner)
assignments.py      assign a task (invite by email), resend, revoke, cancel, change the due date
accept.py           accept a contractor invitation: account, tasks into the booth
uploads.py          store one booth upload (take, consent statement, room tone) with its checks
takes.py            submit the preferred take (→ file manager, → file jobs), delete a take, finish the task
native_language.py  warnings when a set is not in the speaker's native language
forms.py            assign, due date, Tasks tab filters, the contractor's sign-up
views/              tasks (/vm/tasks/…) and invite (/invite/<token>/)

The booth's pages and upload endpoints (``booth/``) call into this package; nothing here imports booth.
"""
