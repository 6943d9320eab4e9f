"""Domain models, one module per concern."""
from voicemanager.accounts.models import ApiKey, Membership, Organisation, User
from voicemanager.cloning.models import CreditEntry, DataSetExport, Voice, VoicePackage
from voicemanager.cloning.quotes import CreditQuote
from voicemanager.consent.models import ConsentDocument, ConsentRecording, ConsentSignature
from voicemanager.core import audit
from voicemanager.core.audit import AuditEvent
from voicemanager.core.outbox_message import OutboxMessage
from voicemanager.deletion.models import DeletionNotice, DeletionRequest
from voicemanager.files.models import AudioFile, DenoiseJob
from voicemanager.files.resumable import ResumableUpload
from voicemanager.quality.models import VoiceCheck
from voicemanager.recording.invitations import Invitation, InvitationError
from voicemanager.recording.models import RecordingTask, Take
from voicemanager.recording.review_models import Review, ReviewRound
from voicemanager.recording.speakers import Speaker
from voicemanager.scripts.models import Script, Section

__all__ = [
    "audit",
    "ApiKey", "AudioFile", "AuditEvent", "ConsentDocument", "ConsentRecording", "ConsentSignature",
    "CreditEntry", "CreditQuote", "DataSetExport", "DeletionNotice", "DeletionRequest", "DenoiseJob", "Invitation",
    "InvitationError", "Membership", "Organisation", "OutboxMessage", "RecordingTask", "ResumableUpload", "Review",
    "ReviewRound", "Script", "Section", "Speaker", "Take", "User", "Voice",
    "VoiceCheck", "VoicePackage",
]
