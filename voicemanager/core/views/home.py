"""Landing and dashboard."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from voicemanager.core.access import team_required, user_organisations
from voicemanager.models import RecordingTask, Voice


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its place: contractors to the booth, team to the dashboard."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_contractor:
        return redirect("/booth/")
    return redirect("dashboard")


@team_required
def dashboard(request: HttpRequest) -> HttpResponse:
    orgs = list(user_organisations(request.user).order_by("name"))
    tasks = RecordingTask.objects.filter(organisation__in=orgs)
    context = {
        "organisations": orgs,
        "open_tasks": tasks.open().count(),
        "overdue_tasks": tasks.overdue().count(),
        "voices": Voice.objects.filter(organisation__in=orgs).count(),
    }
    return render(request, "voicemanager/dashboard.html", context)
