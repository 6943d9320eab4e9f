"""The whole URL map: every prefix is either listed here or one include away.

/vm/     admin and member pages        voicemanager/urls/vm.py
/ops/    operator (staff) pages        voicemanager/urls/ops.py
/booth/  the contractor's booth        booth/urls.py
/api/v2/ the JSON API                  voicemanager/api/
Public pages (signed links, deletion requests) and the tus upload endpoint are listed here.
"""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from voicemanager.accounts.views import password, team
from voicemanager.api import api
from voicemanager.consent.views import owner_consent
from voicemanager.core.health import healthz
from voicemanager.core.views import home
from voicemanager.deletion.views import forget
from voicemanager.files import tus
from voicemanager.recording.views import invite

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/password_reset/", password.PasswordResetView.as_view(), name="password_reset"),  # throttled
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("vm/", include("voicemanager.urls.vm")),
    path("ops/", include("voicemanager.urls.ops")),
    path("booth/", include("booth.urls")),
    path("api/v2/", api.urls),
    # files: tus 1.0.0 resumable uploads (voicemanager/files/tus.py)
    path("uploads/", tus.tus_collection, name="tus_create"),
    path("uploads/<uuid:upload_id>", tus.tus_upload, name="tus_upload"),
    # public pages (no login): signed links and right-to-be-forgotten requests
    path("invite/<str:token>/", invite.invitation, name="invitation"),
    path("consent/<str:token>/", owner_consent.consent_page, name="owner_consent"),
    path("consent/<str:token>/recording/", owner_consent.consent_recording, name="owner_consent_recording"),
    path("join/<str:token>/", team.join, name="team_join"),
    path("forget/", forget.forget_form, name="forget"),
    path("forget/sent/", forget.forget_sent, name="forget_sent"),
    path("forget/request/<str:token>/", forget.forget_status, name="forget_status"),
    path("forget/confirm/<str:token>/", forget.forget_confirm, name="forget_confirm"),
    path("forget/report/<str:token>/", forget.forget_report, name="forget_report"),
]

handler400 = "config.errors.bad_request"  # JSON for the API and the upload endpoints (config/errors.py)
