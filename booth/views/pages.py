"""Booth pages: the contractor's task list and recording pages."""
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from voicemanager.models import RecordingTask


@login_required
def booth_home(request: HttpRequest) -> HttpResponse:
    """A contractor's tasks. Team users see their own recording tasks too (usually none)."""
    tasks = RecordingTask.objects.for_contractor(request.user).select_related("script", "organisation")
    return render(request, "booth/home.html", {"tasks": tasks})
