"""The file manager: folders and files of one organisation; play, download, rename, move, label, delete, upload.

Members may browse, play and download; changes need an admin of the organisation.
Audio is never served from public media: downloads go through ``download`` (a streamed
``FileResponse``, or a short-lived presigned URL when storage is S3).
"""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from voicemanager.core import audit
from voicemanager.core.access import (
    get_file_for_member,
    get_org_for_member,
    require_admin_of,
    team_required,
    user_organisations,
)
from voicemanager.files.uploads import (
    AudioRejected,
    FileInUse,
    clean_name,
    clean_path,
    delete_file,
    store_uploaded_file,
)
from voicemanager.models import AudioFile

SORTS = {"name": ("path", "name"), "-created": ("-created_at",), "created": ("created_at",),
         "duration": ("duration",), "-duration": ("-duration",), "size": ("size",), "-size": ("-size",)}
PAGE_SIZE = 100


def _current_org(request: HttpRequest):
    public_id = request.GET.get("org") or request.POST.get("org")
    if public_id:
        return get_org_for_member(request, public_id)
    org = user_organisations(request.user).order_by("name").first()
    if org is None:
        raise Http404("You are not a member of any organisation.")
    return org


def _subfolders(org, path: str) -> list[dict]:
    """Immediate subfolders of ``path`` (folders exist as long as a file is in them)."""
    prefix = f"{path}/" if path else ""
    paths = (AudioFile.objects.for_org(org).filter(path__startswith=prefix).exclude(path=path)
             .values_list("path", flat=True).distinct())
    names = sorted({p[len(prefix):].split("/", 1)[0] for p in paths if p})
    return [{"name": n, "path": f"{prefix}{n}"} for n in names]


@team_required
def file_list(request: HttpRequest) -> HttpResponse:
    org = _current_org(request)
    path = clean_path(request.GET.get("path", ""))
    q = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    source = request.GET.get("source", "")
    label = request.GET.get("label", "").replace("\x00", "")[:100]
    sort = request.GET.get("sort", "name")
    files = AudioFile.objects.for_org(org).select_related("derived_from").exclude(source=AudioFile.Source.CONSENT)
    if q:  # search covers every folder
        files = files.filter(Q(name__icontains=q) | Q(label__icontains=q) | Q(path__icontains=q))
    else:
        files = files.in_folder(path)
    if source in AudioFile.Source.values:
        files = files.filter(source=source)
    if label:
        files = files.filter(label=label)
    files = files.order_by(*SORTS.get(sort, SORTS["name"]), "pk")
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    crumbs, acc = [], []
    for part in path.split("/") if path else []:
        acc.append(part)
        crumbs.append({"name": part, "path": "/".join(acc)})
    context = {
        "org": org, "organisations": user_organisations(request.user).order_by("name"), "path": path,
        "crumbs": crumbs, "folders": [] if q else _subfolders(org, path), "page": page, "q": q,
        "source": source, "label": label, "sort": sort, "sources": AudioFile.Source.choices,
        "labels": AudioFile.objects.for_org(org).exclude(label="").values_list("label", flat=True)
        .distinct().order_by("label"),
        "is_admin": request.user.is_staff or org.is_admin(request.user),
    }
    template = "voicemanager/files/list.html"
    if request.htmx:
        template += "#file-table"
    return render(request, template, context)


@team_required
def file_detail(request: HttpRequest, file_id: str) -> HttpResponse:
    audio = get_file_for_member(request, file_id)
    org = audio.organisation
    context = {"f": audio, "org": org, "derivatives": audio.derivatives.all(),
               "is_admin": request.user.is_staff or org.is_admin(request.user)}
    return render(request, "voicemanager/files/detail.html", context)


@team_required
def download(request: HttpRequest, file_id: str) -> HttpResponse:
    """Stream the file after the membership check; on S3 redirect to a 5-minute presigned URL."""
    audio = get_file_for_member(request, file_id)
    inline = request.GET.get("inline") == "1"
    storage = audio.file.storage
    if hasattr(storage, "bucket_name"):
        disposition = "inline" if inline else f'attachment; filename="{audio.name}"'
        return redirect(storage.url(audio.file.name, expire=300,
                                    parameters={"ResponseContentDisposition": disposition}))
    try:
        handle = audio.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file's audio is missing from storage.") from None
    content_type = "audio/mpeg" if audio.name.lower().endswith(".mp3") else "audio/wav"
    return FileResponse(handle, as_attachment=not inline, filename=audio.name, content_type=content_type)


def _back(audio_or_org, path: str = "") -> str:
    org = getattr(audio_or_org, "organisation", audio_or_org)
    return reverse("files") + "?" + urlencode({"org": org.public_id, "path": path})


def _admin_file(request: HttpRequest, file_id: str) -> AudioFile:
    audio = get_file_for_member(request, file_id)
    require_admin_of(request, audio.organisation)
    return audio


@team_required
@require_POST
def rename(request: HttpRequest, file_id: str) -> HttpResponse:
    audio = _admin_file(request, file_id)
    ext = audio.name.rsplit(".", 1)[-1] if "." in audio.name else "wav"
    new = clean_name(request.POST.get("name", ""), ext)
    old = audio.name
    audio.name = new
    audio.save(update_fields=["name"])
    audit.record("file.renamed", actor=request.user, organisation=audio.organisation, target=audio, old=old, new=new)
    messages.success(request, f"Renamed to {new}.")
    return redirect(_back(audio, audio.path))


@team_required
@require_POST
def move(request: HttpRequest, file_id: str) -> HttpResponse:
    audio = _admin_file(request, file_id)
    old, new = audio.path, clean_path(request.POST.get("path", ""))
    AudioFile.objects.filter(Q(pk=audio.pk) | Q(derived_from=audio)).update(path=new)  # versions stay together
    audit.record("file.moved", actor=request.user, organisation=audio.organisation, target=audio, old=old, new=new)
    messages.success(request, f"Moved {audio.name} to /{new}.")
    return redirect(_back(audio, new))


@team_required
@require_POST
def set_label(request: HttpRequest, file_id: str) -> HttpResponse:
    audio = _admin_file(request, file_id)
    audio.label = request.POST.get("label", "").replace("\x00", "").strip()[:100]
    audio.save(update_fields=["label"])
    audit.record("file.labelled", actor=request.user, organisation=audio.organisation, target=audio,
                 label=audio.label)
    messages.success(request, f"Label of {audio.name} set.")
    return redirect(_back(audio, audio.path))


@team_required
@require_POST
def delete(request: HttpRequest, file_id: str) -> HttpResponse:
    audio = _admin_file(request, file_id)
    try:
        delete_file(audio, request.user)
    except FileInUse as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleted {audio.name} and its derived versions.")
    return redirect(_back(audio, audio.path))


@team_required
def upload_page(request: HttpRequest) -> HttpResponse:
    org = _current_org(request)
    require_admin_of(request, org)
    return render(request, "voicemanager/files/upload.html",
                  {"org": org, "path": clean_path(request.GET.get("path", ""))})


@team_required
@require_POST
def upload_complete(request: HttpRequest) -> JsonResponse:
    """A tus upload has finished: check its content and store it (JSON for file-upload.js)."""
    from voicemanager.files.tus import UploadNotAvailable, claim_completed_upload, release_upload

    org = _current_org(request)
    require_admin_of(request, org)
    upload_id = request.POST.get("upload_id", "")
    try:
        local = claim_completed_upload(request.user, upload_id, "file")
    except UploadNotAvailable as exc:
        return JsonResponse({"error": {"code": exc.code, "message": str(exc)}}, status=404)
    try:
        audio = store_uploaded_file(org, request.user, request.POST.get("path", ""),
                                    request.POST.get("name", "") or "audio", local)
    except AudioRejected as exc:
        release_upload(upload_id)  # nothing is kept of a rejected file
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=422)
    transaction.on_commit(lambda: release_upload(upload_id), robust=True)  # cleanup never fails a stored file
    return JsonResponse({"fileId": audio.public_id, "name": audio.name, "path": audio.path,
                         "duration": audio.duration, "url": reverse("file_detail", args=[audio.public_id])},
                        status=201)
