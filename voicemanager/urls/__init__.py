"""Team (admin/member) pages under /vm/. One module per concern."""
from django.urls import include, path

from voicemanager.core.views import home

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    path("", include("voicemanager.urls.scripts")),
    path("", include("voicemanager.urls.tasks")),
    path("", include("voicemanager.urls.files")),
    path("", include("voicemanager.urls.voices")),
    path("", include("voicemanager.urls.team")),
    path("", include("voicemanager.urls.credits")),
    path("", include("voicemanager.urls.denoise")),
]
