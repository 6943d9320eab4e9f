"""Create the demo organisation and users, and print where to log in."""
from django.conf import settings
from django.core.management.base import BaseCommand

from voicemanager.core import demo


class Command(BaseCommand):
    help = "Create a demo organisation, admin, contractor, operator, script and task (idempotent)."

    def handle(self, *args, **options):
        d = demo.create_demo()
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  App:         {site}/")
        self.stdout.write(f"  Admin:       {demo.ADMIN_EMAIL} / {demo.ADMIN_PASSWORD}  ({site}/vm/)")
        self.stdout.write(f"  Contractor:  {demo.CONTRACTOR_EMAIL} / {demo.CONTRACTOR_PASSWORD}  ({site}/booth/)")
        self.stdout.write(f"  Operator:    {demo.OPERATOR_EMAIL} / {demo.OPERATOR_PASSWORD}  ({site}/ops/, {site}/admin/)")
        self.stdout.write(f"  Organisation id: {d.organisation.public_id}   Script id: {d.script.public_id}")
        self.stdout.write(f"  Voice owner with consent: {d.voice_owner.full_name}, speakerId {d.voice_owner.public_id}")
        if d.api_key:
            self.stdout.write(f"  API key (shown once): {d.api_key}   API docs: {site}/api/v2/docs")
            self.stdout.write("  Try the API (docs/api.md):")
            self.stdout.write(f"    curl -H 'x-api-key: {d.api_key}' -F file=@sample.wav "
                              f"-F speakerId={d.voice_owner.public_id} {site}/api/v2/files")
            self.stdout.write(f"    curl -H 'x-api-key: {d.api_key}' -H 'content-type: application/json' "
                              "-d '{\"fileIds\": [\"<fileId>\"], \"alias\": \"my-instant-clone\", "
                              "\"engine\": \"voice_engine_3\", \"metadata\": {\"gender\": \"female\"}}' "
                              f"{site}/api/v2/speech/voice-cloning")
        self.stdout.write(f"  Health:      {site}/healthz")
