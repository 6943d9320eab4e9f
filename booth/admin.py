from django.contrib import admin

from booth.models import Take


@admin.register(Take)
class TakeAdmin(admin.ModelAdmin):
    list_display = ["public_id", "task", "section", "kind", "status", "duration", "sample_rate", "qc_state", "created_at"]
    list_filter = ["kind", "status", "qc_state"]
    search_fields = ["public_id", "sha256", "task__public_id"]
    raw_id_fields = ["task", "section", "audio_file"]
