"""Scripts and their sections: import, preview, edit.

models.py     Script (public id ``scr_…``, versions) and its ordered Sections
importing.py  pasted text or an uploaded JSON/text file → sections, with review notes
editing.py    create a script; edit, merge, split, reorder, delete and add sections
forms.py      paste or upload, then preview
views/        scripts (/vm/scripts/…) and staff_scripts (/ops/orgs/…: staff act for a client)
"""
