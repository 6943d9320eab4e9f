"""The operator's start page: the nav's "Operator" link lands here instead of a 404."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from voicemanager.core.access import staff_required


@staff_required
@require_GET
def ops_home(request: HttpRequest) -> HttpResponse:
    return render(request, "voicemanager/ops/home.html")
