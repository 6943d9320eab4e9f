"""Consent before any training: documents, signatures, the spoken statement, the gate.

models.py       ConsentDocument, ConsentSignature, ConsentRecording
signing.py      the booth's consent step: sign every current document, record the statement
owner_links.py  voice owners recorded elsewhere: an emailed consent link, its status
gate.py         check_consent(): nothing is forwarded without the speaker's full consent
views/          owner_consent (/vm/voice-owners/… and the public /consent/<token>/)
"""
