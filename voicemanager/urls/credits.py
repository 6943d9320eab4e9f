"""URL patterns: credits (balance, ledger, staff top-ups, professional quotes) under /vm/."""
from django.urls import path

from voicemanager.cloning.views import credits

urlpatterns = [
    path("credits/", credits.credits_home, name="credits"),
    path("credits/<str:org_id>/", credits.credits_org, name="credits_org"),
    path("credits/<str:org_id>/add/", credits.credits_add, name="credits_add"),
    path("credits/<str:org_id>/quotes/", credits.quote_create, name="credits_quote_create"),
    path("credits/<str:org_id>/quotes/<int:pk>/accept/", credits.quote_accept, name="credits_quote_accept"),
    path("credits/<str:org_id>/quotes/<int:pk>/decline/", credits.quote_decline, name="credits_quote_decline"),
]
