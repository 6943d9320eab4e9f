"""Domain models, one module per concern."""
from voicemanager.models import audit
from voicemanager.models.accounts import ApiKey, Membership, Organisation, User
from voicemanager.models.audit import AuditEvent
from voicemanager.models.consent import ConsentDocument, ConsentRecording, ConsentSignature
from voicemanager.models.deletion import DeletionRequest
from voicemanager.models.exports import DataSetExport
from voicemanager.models.files import AudioFile, DenoiseJob
from voicemanager.models.invitations import Invitation, InvitationError
from voicemanager.models.outbox import OutboxMessage
from voicemanager.models.quotes import CreditQuote
from voicemanager.models.recording import RecordingTask
from voicemanager.models.reviews import Review, ReviewRound
from voicemanager.models.scripts import Script, Section
from voicemanager.models.speakers import Speaker
from voicemanager.models.uploads import ResumableUpload
from voicemanager.models.voices import CreditEntry, Voice, VoicePackage

__all__ = [
    "audit",
    "ApiKey", "AudioFile", "AuditEvent", "ConsentDocument", "ConsentRecording", "ConsentSignature",
    "CreditEntry", "CreditQuote", "DataSetExport", "DeletionRequest", "DenoiseJob", "Invitation", "InvitationError", "Membership",
    "Organisation", "OutboxMessage", "RecordingTask", "ResumableUpload", "Review", "ReviewRound", "Script", "Section", "Speaker", "User", "Voice",
    "VoicePackage",
]
