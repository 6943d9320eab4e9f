"""Django admin for operators: every model, with useful columns, filters and search."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from voicemanager import models as m


@admin.register(m.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "kind", "is_staff", "is_active", "date_joined"]
    list_filter = ["kind", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "kind"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = m.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(m.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "public_id", "created_at", "auto_process_takes", "denoise_engine"]
    search_fields = ["name", "public_id"]
    inlines = [MembershipInline]


@admin.register(m.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__email", "organisation__name"]


@admin.register(m.ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "organisation", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]


class SectionInline(admin.TabularInline):
    model = m.Section
    extra = 0


@admin.register(m.Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ["title", "public_id", "organisation", "language", "version", "created_at"]
    list_filter = ["language", "organisation"]
    search_fields = ["title", "public_id"]
    inlines = [SectionInline]


@admin.register(m.Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "kind", "organisation", "native_languages", "created_at"]
    list_filter = ["kind"]
    search_fields = ["full_name", "email", "public_id"]


@admin.register(m.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "kind", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["kind", "organisation"]
    search_fields = ["email"]
    exclude = ["nonce"]


@admin.register(m.RecordingTask)
class RecordingTaskAdmin(admin.ModelAdmin):
    list_display = ["public_id", "organisation", "script", "contractor_email", "status", "due_date", "created_at"]
    list_filter = ["status", "organisation"]
    search_fields = ["public_id", "contractor_email", "script__title"]
    raw_id_fields = ["script", "speaker", "invitation", "room_tone"]


@admin.register(m.AudioFile)
class AudioFileAdmin(admin.ModelAdmin):
    list_display = ["public_id", "organisation", "path", "name", "source", "duration", "size", "analysis_state"]
    list_filter = ["source", "analysis_state", "organisation"]
    search_fields = ["public_id", "name", "path", "sha256"]
    raw_id_fields = ["derived_from", "forward_variant", "task", "speaker"]


@admin.register(m.DenoiseJob)
class DenoiseJobAdmin(admin.ModelAdmin):
    list_display = ["source", "engine", "strength", "state", "created_at", "finished_at"]
    list_filter = ["state", "engine"]
    raw_id_fields = ["source", "output"]


@admin.register(m.ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    """Staff edit documents here; publishing a new version makes everyone sign again."""

    list_display = ["kind", "version", "title", "published_at", "text_hash"]
    list_filter = ["kind"]
    readonly_fields = ["text_hash"]


@admin.register(m.ConsentSignature)
class ConsentSignatureAdmin(admin.ModelAdmin):
    list_display = ["typed_name", "speaker", "document", "signed_at", "ip_address"]
    list_filter = ["document"]
    search_fields = ["typed_name", "speaker__email"]
    readonly_fields = [f.name for f in m.ConsentSignature._meta.fields]


@admin.register(m.ConsentRecording)
class ConsentRecordingAdmin(admin.ModelAdmin):
    list_display = ["speaker", "organisation", "task", "created_at"]
    raw_id_fields = ["speaker", "task", "audio"]


@admin.register(m.Voice)
class VoiceAdmin(admin.ModelAdmin):
    list_display = ["alias", "organisation", "type", "language", "status", "stage", "created_at"]
    list_filter = ["status", "stage", "type", "organisation"]
    search_fields = ["alias", "public_id"]


@admin.register(m.VoicePackage)
class VoicePackageAdmin(admin.ModelAdmin):
    list_display = ["voice", "size", "built_at", "forwarded_at", "forward_attempts"]


@admin.register(m.CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    list_display = ["organisation", "amount", "reason", "actor", "created_at"]
    list_filter = ["organisation"]
    search_fields = ["reason"]


@admin.register(m.DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["public_id", "email", "scope", "urgent", "status", "deadline", "created_at"]
    list_filter = ["status", "scope", "urgent"]
    search_fields = ["public_id", "email", "voice_alias"]
    exclude = ["confirm_nonce"]


@admin.register(m.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: audit events are append-only."""

    list_display = ["created_at", "actor_label", "by_staff", "action", "target_type", "target_id", "organisation"]
    list_filter = ["action", "by_staff"]
    search_fields = ["target_id", "actor_label", "action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(m.ResumableUpload)
class ResumableUploadAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "purpose", "offset", "length", "created_at", "completed_at"]


@admin.register(m.Take)
class TakeAdmin(admin.ModelAdmin):
    list_display = ["public_id", "task", "section", "kind", "status", "duration", "sample_rate", "qc_state", "created_at"]
    list_filter = ["kind", "status", "qc_state"]
    search_fields = ["public_id", "sha256", "task__public_id"]
    raw_id_fields = ["task", "section", "audio_file"]
