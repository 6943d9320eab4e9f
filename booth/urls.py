"""Contractor pages under /booth/."""
from django.urls import path

from booth.views import pages

app_name = "booth"
urlpatterns = [
    path("", pages.booth_home, name="home"),
]
