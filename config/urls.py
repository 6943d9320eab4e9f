from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from voicemanager.api import api
from voicemanager.core.health import healthz
from voicemanager.core.views import home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("vm/", include("voicemanager.urls")),
    path("ops/", include("voicemanager.urls.ops")),
    path("booth/", include("booth.urls")),
    path("uploads/", include("voicemanager.tus_urls")),
    path("api/v2/", api.urls),
    path("", include("voicemanager.urls.public")),
]

