"""Public right-to-be-forgotten pages (no login)."""
from django.urls import path

from voicemanager.views import forget

urlpatterns = [
    path("forget/", forget.forget_form, name="forget"),
    path("forget/sent/", forget.forget_sent, name="forget_sent"),
    path("forget/request/<str:token>/", forget.forget_status, name="forget_status"),
    path("forget/confirm/<str:token>/", forget.forget_confirm, name="forget_confirm"),
    path("forget/report/<str:token>/", forget.forget_report, name="forget_report"),
]
