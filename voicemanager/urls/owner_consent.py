"""URL patterns: owner_consent."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
