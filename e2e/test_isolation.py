"""Isolation walker: every URL pattern of the app and every API operation, as everyone who must not get in.

The list of endpoints is generated (``get_resolver()`` walked recursively, the API's
operations from ``api.get_openapi_schema()``), so a new view is checked the day it lands.
Each parameter is filled with an object of organisation X or Y (``PARAMS``); a parameter
name the map does not know fails the test with a message saying where to add it.

Rules come from the URL prefix (``RULES``):

- ``/vm/``: team members of the object's organisation and staff; contractors get 404.
- ``/booth/``: the contractor who owns the task. ``/uploads/``: the upload's owner.
- ``/ops/`` and ``/admin/``: staff only.
- ``/api/v2/``: the ``x-api-key`` of the object's organisation; a session without a key gets 401.
- public pages (``/``, ``/healthz``, ``/accounts/``, invitation / consent / forget pages): anyone,
  with forged tokens (real tokens are tested in ``e2e/test_tokens.py``).

Every refused request answers 401/403/404 (405 for a method the view does not take, or
a redirect to the login page for anonymous users), no request ever answers 5xx, every
2xx body is searched for public ids the requester may not see, and refused requests
change nothing: a snapshot of every model (row count, max pk, hash of every row's
fields) is taken before and after each endpoint's refused requests. An allowed GET
(positive control) must reach the object: 404 there means the walker filled the
parameters wrongly, which would make the whole walk vacuous.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
import wave
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

# --- the endpoints -----------------------------------------------------------------------------

API_PREFIX = "api/v2/"
# Deliberate exceptions, each with its reason.
ALLOW = {
    # The API's own pages are public documentation (no data): OpenAPI JSON, Swagger UI, ninja's root.
    "api/v2/openapi.json": "public API documentation",
    "api/v2/docs": "public API documentation",
    "api/v2/": "ninja's API root: answers 404 to everyone",
    # Public health check for the load balancer: checks DB, Redis, storage and a worker for real (slow: it waits
    # for a worker's answer) and answers 503 when one is missing, which is its job. Requested once, anonymously.
    "healthz": "public health check",
}
# API routes hidden from the schema on purpose: signed links for machines. Nobody gets in without a valid
# signature (the walker has none); real signatures are tested by the cloning engineer.
SIGNED_ROUTES = {
    "api/v2/speech/voice-cloning/packages/<voice_id>": "package download link for the webhook provider (?token=)",
    # In the schema, but signed by the provider instead of an API key; with the operator provider it is
    # not there at all (404), so no secret can finish a voice (voicemanager/api/cloning.py).
    "/api/v2/speech/voice-cloning/callback": "the webhook provider's signed status callback (X-Signature)",
}
# Routes whose rule is not the one of their prefix, with the reason.
RULE_OVERRIDES = {
    "vm/credits/<str:org_id>/add/": ("staff", "operators add credits; org admins only read the ledger"),
    "vm/credits/<str:org_id>/quotes/": ("staff", "operators write quotes; org admins accept or decline them"),
}
# Endpoints whose allowed GET may answer 404/403 on purpose (positive control skipped), with the reason.
POSITIVE_CONTROL_SKIP: dict[str, str] = {
    # An action that only exists as POST answers 405/404 to GET; the refused-request rules still apply.
    "vm/scripts/<str:script_id>/sections/<int:position>/<str:action>": "POST-only action dispatcher",
}


@dataclass
class Endpoint:
    route: str  # Django route text, or the OpenAPI path for API operations
    params: list[str]
    methods: list[str]
    rule: str
    api_op: dict = field(default_factory=dict)  # method -> OpenAPI operation

    def __str__(self) -> str:
        return self.route


_TOKEN = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _pattern_text(pattern) -> str:
    return str(pattern.pattern)


def _walk(resolver: URLResolver, prefix: str = "", origin: str = ""):
    for entry in resolver.url_patterns:
        text = prefix + _pattern_text(entry)
        if isinstance(entry, URLResolver):
            name = getattr(entry.urlconf_name, "__name__", entry.urlconf_name)
            yield from _walk(entry, text, origin or (name if isinstance(name, str) else ""))
        elif isinstance(entry, URLPattern):
            yield text, origin


def _params(route: str) -> list[str]:
    return [m.group("name") for m in _TOKEN.finditer(route)] + [m.group("name") for m in _GROUP.finditer(route)]


def rule_for(route: str, origin: str) -> str:
    """The access rule of a route, from its prefix (and the public URL module for root pages)."""
    path = route.lstrip("^")
    if route in RULE_OVERRIDES:
        return RULE_OVERRIDES[route][0]
    if route in SIGNED_ROUTES:
        return "signed"
    if path.startswith("admin/"):
        return "staff"
    if path.startswith("ops/"):
        return "staff"
    if path.startswith("vm/"):
        return "team"
    if path.startswith("booth/"):
        return "booth"
    if path.startswith("uploads/"):
        return "uploads"
    if path.startswith(API_PREFIX):
        return "api"
    # Public pages are listed at the root of config/urls.py itself (origin "": no include).
    if origin == "" or path.startswith("accounts/"):
        return "public"
    return "unknown"


def django_endpoints() -> list[Endpoint]:
    out = []
    for route, origin in _walk(get_resolver()):
        if route.startswith(API_PREFIX) and route not in ALLOW and route not in SIGNED_ROUTES:
            continue  # API operations come from the OpenAPI schema (cross-checked below)
        # tus speaks PATCH/HEAD/DELETE; every other view is a page or a form: GET and POST.
        methods = ["GET", "POST", "PATCH", "DELETE"] if route.startswith("uploads/") else ["GET", "POST"]
        out.append(Endpoint(route, _params(route), methods, rule_for(route, origin)))
    return out


def api_schema() -> dict:
    from voicemanager.api import api

    return api.get_openapi_schema()


def api_endpoints() -> list[Endpoint]:
    out = []
    for path, ops in api_schema()["paths"].items():
        methods = {m.upper(): op for m, op in ops.items() if m.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE")}
        rule = "signed" if path in SIGNED_ROUTES else "api"
        out.append(Endpoint(path, re.findall(r"{(\w+)}", path), sorted(methods), rule, methods))
    return out


ENDPOINTS = django_endpoints() + api_endpoints()
ADMIN_ENDPOINTS = [e for e in ENDPOINTS if e.route.startswith("admin/")]
APP_ENDPOINTS = [e for e in ENDPOINTS if not e.route.startswith("admin/")]


def test_every_api_route_is_in_the_openapi_schema():
    """The API part of the walk comes from the schema: every ninja route must be in it (or allow-listed)."""
    documented = {p.lstrip("/") for p in api_schema()["paths"]}
    missing = []
    for route, _ in _walk(get_resolver()):
        if route.startswith(API_PREFIX) and route not in ALLOW and route not in SIGNED_ROUTES:
            normalised = _TOKEN.sub(lambda m: "{" + m.group("name") + "}", route)
            if normalised not in documented and normalised.rstrip("/") not in {d.rstrip("/") for d in documented}:
                missing.append(route)
    assert not missing, f"API routes missing from the OpenAPI schema (not walked): {missing}"


def test_every_route_has_a_rule():
    unknown = [e.route for e in ENDPOINTS if e.rule == "unknown"]
    assert not unknown, (f"No access rule for {unknown}: add its prefix to rule_for() in e2e/test_isolation.py "
                         "(or mount it under /vm/, /booth/, /ops/ or the public URL module).")


# --- the world: objects of X and Y ---------------------------------------------------------------


def tiny_wav(seconds: float = 1.0, rate: int = 48000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * int(seconds * rate))
    return buf.getvalue()


@dataclass
class Side:
    name: str
    admin: str  # principal that administers this side's organisation
    contractor: str  # principal that owns this side's booth task (and upload)
    key: str  # principal holding this side's API key
    objects: dict = field(default_factory=dict)
    extra_ids: set = field(default_factory=set)

    def ids(self) -> set[str]:
        """Public ids only this side's organisation may see."""
        out = set(self.extra_ids)
        for kind, obj in self.objects.items():
            pid = getattr(obj, "public_id", None)
            if kind != "speaker" and isinstance(pid, str) and "_" in pid:
                out.add(pid)
        return out


def build_world(cast) -> dict[str, Side]:
    from voicemanager import models as m
    from voicemanager.models import Take

    sides = {"X": Side("X", "admin_x", "contractor_a", "key_x"), "Y": Side("Y", "admin_y", "contractor_b", "key_y")}
    spec = {"X": (cast.org_x, cast.task_a, cast.script_x, cast.speaker_a, cast.contractor_a),
            "Y": (cast.org_y, cast.task_y, cast.script_y, cast.speaker_b, cast.contractor_b)}
    for key, (org, task, script, speaker, owner) in spec.items():
        wav = tiny_wav()
        sha = hashlib.sha256(wav).hexdigest()
        audio = m.AudioFile(organisation=org, path=task.file_path, name=f"001_{key}.wav", task=task, speaker=speaker,
                            size=len(wav), sha256=sha, duration=1.0, sample_rate=48000, channels=1, bit_depth=16,
                            source=m.AudioFile.Source.BOOTH)
        audio.file.save(f"{key}.wav", ContentFile(wav), save=False)
        audio.save()
        section = script.sections.order_by("position").first()
        take = Take(task=task, section=section, client_id=uuid.uuid4(), size=len(wav), sha256=sha, duration=1.0,
                    sample_rate=48000, channels=1, bit_depth=16, audio_file=audio)
        take.file.save("t.wav", ContentFile(wav), save=False)
        take.save()
        voice = m.Voice.objects.create(organisation=org, alias=f"iso-voice-{key.lower()}", task=task, speaker=speaker,
                                       files_used=[audio.public_id])
        sides[key].objects.update(
            org=org, task=task, script=script, section=section, speaker=speaker, file=audio, take=take, voice=voice,
            package=_package(m, voice),
            invitation=m.Invitation.objects.create(organisation=org, email=f"invitee-{key.lower()}@example.com"),
            deletion=m.DeletionRequest.objects.create(
                first_name="Del", last_name=key, email=f"del-{key.lower()}@example.com",
                organisation_ref=org.public_id, organisation=org, voice_alias=voice.alias),
            upload=m.ResumableUpload.objects.create(owner=owner, purpose="take", length=10),
            job=m.DenoiseJob.objects.create(source=audio, engine="spectral", batch=f"iso-batch-{key.lower()}"),
            entry=m.CreditEntry.objects.create(organisation=org, amount=1000, reason="isolation seed"),
            quote=m.CreditQuote.objects.create(organisation=org, voice=voice, amount=10),
            export=_export(m, org, task),
            owner_speaker=m.Speaker.objects.create(kind=m.Speaker.Kind.VOICE_OWNER, organisation=org, email=f"owner-{key}@example.com",
                                                   full_name=f"Owner {key}"),
            membership=org.memberships.get(role="admin"),
            api_key=org.api_keys.first(),
        )
    for side in sides.values():
        take = side.objects["take"]
        side.objects["voice_check"] = m.VoiceCheck.objects.create(
            take=take, organisation=side.objects["org"], speaker=take.task.speaker, task=take.task)
        side.objects["consent_recording"] = m.ConsentRecording.objects.create(
            speaker=side.objects["owner_speaker"], organisation=side.objects["org"], audio=side.objects["file"],
            statement="I consent.")
    sides["X"].extra_ids.add(cast.task_b.public_id)  # contractor B's task in org X: not org Y's, not contractor A's
    return sides


def _export(m, org, task):
    export = m.DataSetExport(organisation=org, task=task, state=m.DataSetExport.State.DONE, size=22)
    export.file.save("set.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    export.save()
    return export


def _package(m, voice):
    package = m.VoicePackage(voice=voice, size=4, sha256="0" * 64, built_at=timezone.now())
    package.file.save("p.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    package.save()
    return package


def _obj(kind: str, attr: str = "public_id"):
    return lambda side, route: str(getattr(side.objects[kind], attr))


SEGMENT_KINDS = {
    "orgs": "org", "organisations": "org", "tasks": "task", "scripts": "script", "files": "file", "voices": "voice",
    "takes": "take", "deletions": "deletion", "deletion": "deletion", "deletion-requests": "deletion", "invitations": "invitation",
    "quotes": "quote", "speakers": "speaker", "owners": "owner_speaker", "voice-owners": "owner_speaker",
    "jobs": "job", "packages": "package", "consent": "consent_recording", "members": "membership", "memberships": "membership",
    "api-keys": "api_key", "keys": "api_key", "uploads": "upload", "voice-cloning": "voice", "cloning": "voice",
}


def _by_segment(param: str):
    """Generic names (``public_id``, ``pk``, ``id``): the route segment before the parameter names the kind."""

    def get(side: Side, route: str) -> str:
        head = route[: route.find(param)].strip("/<{").split("/")
        for piece in reversed(head):
            kind = SEGMENT_KINDS.get(piece.lower())
            if kind:
                obj = side.objects[kind]
                return str(getattr(obj, "public_id", None) or obj.pk)
        raise LookupError(f"cannot tell which object `{param}` names in {route!r}: add its segment to SEGMENT_KINDS")

    return get


# URL parameter name -> value of one side's object. A new name fails the walker: add it here.
PARAMS = {
    "org_id": _obj("org"), "organisation_id": _obj("org"), "script_id": _obj("script"), "task_id": _obj("task"),
    "file_id": _obj("file"), "source_id": _obj("file"), "voice_id": _obj("voice"), "take_id": _obj("take"),
    "deletion_id": _obj("deletion"), "request_id": _obj("deletion"), "batch": _obj("job", "batch"),
    "speaker_id": lambda side, route: side.objects["owner_speaker" if "voice-owners" in route else "speaker"].public_id,
    "owner_id": _obj("owner_speaker"), "upload_id": _obj("upload", "id"), "job_id": _obj("job", "pk"),
    "quote_id": _obj("quote", "pk"), "export_id": _obj("export"), "invitation_id": _obj("invitation", "pk"),
    "membership_id": _obj("membership", "pk"), "member_id": _obj("membership", "pk"),
    "key_id": _obj("api_key", "pk"), "api_key_id": _obj("api_key", "pk"), "entry_id": _obj("entry", "pk"),
    "section_id": _obj("section", "pk"), "alias": _obj("voice", "alias"), "check_id": _obj("voice_check", "pk"),
    "public_id": _by_segment("public_id"), "pk": _by_segment("pk"), "id": _by_segment("id"),
}
# Parameters that name no object: one plausible value each.
PLAIN_PARAMS = {"position": "1", "action": "delete", "kind": "take", "variant": "raw", "format": "wav",
                "path": "recordings", "folder": "recordings", "filename": "x.wav",
                # Django admin (staff only: any value does)
                "object_id": "1", "content_type_id": "1", "app_label": "voicemanager", "url": "no-such-page/"}
# Tokens of public pages: forged here; real ones (tampered, replayed, expired...) in e2e/test_tokens.py.
TOKEN_PARAMS = {"token": "forged.token-value:1abcde:xyz", "uidb64": "MQ", "signature": "forged", "nonce": "forged",
                "code": "forged"}


def object_params(ep: Endpoint) -> list[str]:
    return [p for p in ep.params if p in PARAMS]


def fill(ep: Endpoint, sides: list[Side]) -> str:
    """The URL for ``ep`` with object parameters taken from ``sides`` (one per object parameter, last repeated)."""
    values = {}
    objs = object_params(ep)
    for name in ep.params:
        if ep.route.startswith("admin/") and name not in PLAIN_PARAMS:
            values[name] = "1"  # staff-only pages: the object does not matter
        elif name in PARAMS:
            side = sides[min(objs.index(name), len(sides) - 1)]
            values[name] = PARAMS[name](side, ep.route)
        elif name in PLAIN_PARAMS:
            values[name] = PLAIN_PARAMS[name]
        elif name in TOKEN_PARAMS:
            values[name] = TOKEN_PARAMS[name]
        else:
            pytest.fail(f"{ep.route}: unknown URL parameter `{name}`. Add it to PARAMS (an object of a side), "
                        "PLAIN_PARAMS or TOKEN_PARAMS in e2e/test_isolation.py so the walker can check this view.")
    if ep.rule == "api":
        url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], ep.route)
        return url
    url = _TOKEN.sub(lambda m: values[m.group("name")], ep.route)
    url = _GROUP.sub(lambda m: values[m.group("name")], url)
    return "/" + url.replace("^", "").replace("$", "").replace("\\", "")


# --- principals and expectations -------------------------------------------------------------------

PRINCIPALS = ["anonymous", "contractor_a", "contractor_b", "admin_x", "admin_y", "staff"]
API_PRINCIPALS = ["anonymous", "contractor_a", "admin_x", "staff", "key_x", "key_y"]


def make_clients(cast) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for name in ("contractor_a", "contractor_b", "admin_x", "admin_y", "staff"):
        c = Client()
        c.force_login(getattr(cast, name))
        clients[name] = c
    clients["key_x"] = Client(headers={"x-api-key": cast.api_key_x})
    clients["key_y"] = Client(headers={"x-api-key": cast.api_key_y})
    return clients


def allowed(ep: Endpoint, principal: str, side: Side | None) -> bool:
    if principal == "anonymous":
        return ep.rule == "public"
    if ep.rule == "public":
        return True
    if ep.rule == "staff":
        return principal == "staff"
    if ep.rule == "signed":
        return False
    if ep.rule == "team":
        if principal == "staff":
            return True
        return principal.startswith("admin") and (side is None or principal == side.admin)
    if ep.rule in ("booth", "uploads"):
        return principal == side.contractor if side else not principal.startswith("key")
    if ep.rule == "api":
        return principal == side.key if side else principal.startswith("key")
    return False


def forbidden_ids(principal: str, sides: dict[str, Side], cast) -> set[str]:
    x, y = sides["X"], sides["Y"]
    if principal == "staff":
        return set()
    if principal in ("admin_x", "key_x"):
        return y.ids()
    if principal in ("admin_y", "key_y"):
        return x.ids()
    if principal == "contractor_a":
        return (x.ids() | y.ids()) - {cast.task_a.public_id, x.objects["take"].public_id,
                                      cast.script_x.public_id, cast.org_x.public_id}
    if principal == "contractor_b":
        return (x.ids() | y.ids()) - {cast.task_b.public_id, cast.task_y.public_id, y.objects["take"].public_id,
                                      cast.script_x.public_id, cast.script_y.public_id, cast.org_x.public_id,
                                      cast.org_y.public_id}
    return x.ids() | y.ids()


LOGIN_PREFIXES = ("/accounts/login/", "/admin/login/")


def is_login_redirect(resp) -> bool:
    return resp.status_code in (301, 302, 303) and resp["Location"].split("?")[0].endswith(LOGIN_PREFIXES)


def refusal_problem(ep: Endpoint, principal: str, method: str, resp) -> str | None:
    """Why this response is not a proper refusal (None when it is)."""
    code = resp.status_code
    if principal == "anonymous" and is_login_redirect(resp):
        return None
    if ep.rule == "api" and not principal.startswith("key"):
        return None if code == 401 else f"expected 401 without an API key, got {code}"
    if ep.rule == "team" and principal.startswith("contractor"):
        return None if code in (404, 405) else f"a contractor must get 404 on team pages, got {code}"
    ok = {401, 403, 404, 405} if method == "GET" else {400, 401, 403, 404, 405, 409, 410, 413, 415, 422}
    return None if code in ok else f"expected a refusal (401/403/404), got {code}"


# --- request bodies ------------------------------------------------------------------------------


def plausible_form(side: Side | None) -> dict:
    """A form a careless view would accept: an audio file, ids, names (refused requests must still change nothing)."""
    wav = tiny_wav(1.0)
    form = {"audio": SimpleUploadedFile("take.wav", wav, "audio/wav"), "client_id": str(uuid.uuid4()),
            "sha256": hashlib.sha256(wav).hexdigest(), "kind": "take", "name": "x", "title": "Iso",
            "text": "Hello there.", "email": "iso@example.com", "typed_name": "Iso", "confirm": "yes",
            "reason": "isolation", "alias": "iso-new-alias", "file_path": "iso", "language": "en", "role": "admin",
            "label": "iso", "engine": "spectral", "strength": "0.5", "amount": "5", "decision": "approve"}
    if side:
        form.update(script=side.objects["script"].public_id, organisation=side.objects["org"].public_id,
                    file_ids=side.objects["file"].public_id, take_id=side.objects["take"].public_id,
                    task=side.objects["task"].public_id, voice=side.objects["voice"].public_id)
    return form


def plausible_json(schema: dict, components: dict, side: Side | None, depth: int = 0):
    """A minimal body that satisfies the operation's schema, with the side's ids where names suggest them."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        schema = schema["anyOf"][0]
    kind = schema.get("type", "object")
    if kind == "object" and depth < 4:
        out = {}
        for name, sub in (schema.get("properties") or {}).items():
            lowered = name.lower()
            if side and lowered in ("fileids", "file_ids", "files"):
                out[name] = [side.objects["file"].public_id]
            elif side and "alias" in lowered:
                out[name] = side.objects["voice"].alias
            else:
                out[name] = plausible_json(sub, components, side, depth + 1)
        return out
    if kind == "array":
        return [plausible_json(schema.get("items", {}), components, side, depth + 1)]
    if "enum" in schema:
        return schema["enum"][0]
    return {"integer": 1, "number": 1.0, "boolean": False, "string": "x"}.get(kind, "x")


def send(client: Client, ep: Endpoint, url: str, method: str, side: Side | None, components: dict, empty: bool):
    if ep.rule == "uploads":  # speak tus so the request reaches the owner check (not a 412 before it)
        headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Upload-Length": "10"}
        ctype = "application/offset+octet-stream" if method == "PATCH" else "application/octet-stream"
        return client.generic(method, url, b"" if empty else b"0123456789", content_type=ctype, headers=headers)
    if method == "GET":
        return client.get(url)
    if ep.rule == "api":
        op = ep.api_op.get(method, {})
        content = (op.get("requestBody") or {}).get("content") or {}
        if "multipart/form-data" in content and not empty:
            return client.generic(method, url, **_multipart(plausible_form(side)))
        body = {} if empty or "application/json" not in content else plausible_json(
            content["application/json"]["schema"], components, side)
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    if empty:
        return client.generic(method, url, b"", content_type="application/x-www-form-urlencoded")
    return client.generic(method, url, **_multipart(plausible_form(side)))


def _multipart(form: dict) -> dict:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, form), "content_type": MULTIPART_CONTENT}


# --- the snapshot ---------------------------------------------------------------------------------

SNAPSHOT_SKIP_MODELS = {
    "sessions.Session",  # login, logout and flash messages rotate session rows; not product data
}
SNAPSHOT_SKIP_FIELDS = {
    ("voicemanager.ApiKey", "last_used_at"),  # org Y's key is a valid key even where it is refused: use is recorded
    ("voicemanager.User", "last_login"),
}


def snapshot() -> dict[str, tuple]:
    """Count, max(pk) and a hash of every row's fields, for every concrete model."""
    out = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in SNAPSHOT_SKIP_MODELS or model._meta.proxy or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields if (label, f.name) not in SNAPSHOT_SKIP_FIELDS]
        rows = list(model._base_manager.order_by("pk").values_list(*names))
        pk_index = names.index(model._meta.pk.attname)
        out[label] = (len(rows), str(rows[-1][pk_index]) if rows else None,
                      hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
    return out


def changed(before: dict, after: dict) -> list[str]:
    return [f"{k}: {before.get(k)} -> {after.get(k)}" for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)]


# --- the walk ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The cast's seven users are created per test: a fast hasher keeps the walk quick (hashing is not under test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(_fast_passwords, cast):
    from voicemanager.api import api

    sides = build_world(cast)
    return SimpleNamespace(cast=cast, sides=sides, clients=make_clients(cast),
                           components=api.get_openapi_schema().get("components", {}).get("schemas", {}))


def _body_text(resp) -> str:
    if getattr(resp, "streaming", False):
        return ""
    try:
        return resp.content.decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return ""


def walk(ep: Endpoint, world) -> list[str]:
    """Request ``ep`` as everyone, with X's and Y's objects and with mixed ones; return the problems found."""
    sides, clients, cast = world.sides, world.clients, world.cast
    principals = API_PRINCIPALS if ep.rule == "api" else PRINCIPALS
    combos: list[tuple[list[Side], bool]] = []  # (sides used per object parameter, mixed?)
    if object_params(ep):
        combos = [([sides["X"]], False), ([sides["Y"]], False)]
        if len(object_params(ep)) >= 2:
            combos += [([sides["X"], sides["Y"]], True), ([sides["Y"], sides["X"]], True)]
    else:
        combos = [([], False)]
    problems: list[str] = []
    refused: list[str] = []
    before = snapshot()
    allowed_gets = []
    for used, mixed in combos:
        side = used[0] if used else None
        url = fill(ep, used or [sides["X"]])
        for principal in principals:
            is_allowed = not mixed and allowed(ep, principal, side)
            if mixed and ep.rule == "public":
                is_allowed = True
            if is_allowed:
                allowed_gets.append((principal, url, side))
                continue
            for method in ep.methods:
                for empty in ((True, False) if method != "GET" else (True,)):
                    resp = send(clients[principal], ep, url, method, side, world.components, empty)
                    label = f"{method} {url} as {principal}{' (mixed X/Y objects)' if mixed else ''}"
                    refused.append(f"{label} -> {resp.status_code}")
                    if resp.status_code >= 500:
                        problems.append(f"{label}: server error {resp.status_code}")
                        continue
                    why = refusal_problem(ep, principal, method, resp)
                    if why:
                        problems.append(f"{label}: {why}")
                    problems += leak_problems(label, principal, resp, sides, cast)
    after = snapshot()
    diff = changed(before, after)
    if diff:
        problems.append(f"{ep.route}: refused requests changed the database: {diff}\n  requests: {refused}")
    for principal, url, side in allowed_gets:
        resp = send(clients[principal], ep, url, "GET", side, world.components, True) if "GET" in ep.methods else None
        if resp is None:
            continue
        label = f"GET {url} as {principal} (allowed)"
        if resp.status_code >= 500:
            problems.append(f"{label}: server error {resp.status_code}")
            continue
        problems += leak_problems(label, principal, resp, sides, cast)
        if (side is not None and ep.rule != "public" and ep.route not in POSITIVE_CONTROL_SKIP
                and resp.status_code in (401, 403, 404)):
            problems.append(f"{label}: positive control answered {resp.status_code}; the walker's parameters do not "
                            "reach the object (fix PARAMS) or the view refuses its own organisation")
    return problems


def leak_problems(label: str, principal: str, resp, sides, cast) -> list[str]:
    if not 200 <= resp.status_code < 300:
        return []
    text = _body_text(resp)
    leaked = sorted(i for i in forbidden_ids(principal, sides, cast) if i in text)
    return [f"{label}: the answer shows ids {principal} may not see: {leaked}"] if leaked else []


@pytest.mark.parametrize("ep", APP_ENDPOINTS, ids=str)
def test_endpoint_refuses_everyone_who_may_not_get_in(ep: Endpoint, world):
    if ep.route in ALLOW:
        # Public documentation: anyone may read it, it must not break and must not show any org's data.
        for principal in ("anonymous", "admin_x"):
            resp = world.clients[principal].get("/" + ep.route)
            assert resp.status_code < 500 or (ep.route == "healthz" and resp.status_code == 503), \
                f"{ep.route} as {principal}: {resp.status_code}"
            if ep.route == "healthz":
                break
            assert not leak_problems(ep.route, "anonymous", resp, world.sides, world.cast)
        return
    problems = walk(ep, world)
    assert not problems, f"{ep.route} ({ep.rule}):\n" + "\n".join(problems[:40])


def test_django_admin_is_staff_only(world):
    """Every admin URL: non-staff are sent to the admin login, and nothing changes."""
    before = snapshot()
    problems = []
    for ep in ADMIN_ENDPOINTS:
        if ep.route == "admin/logout/":
            continue  # would end the clients' sessions mid-walk; logging out is not access
        url = fill(ep, [world.sides["X"]])
        for principal in ("anonymous", "contractor_a", "admin_x", "admin_y"):
            for method in ("GET", "POST"):
                resp = send(world.clients[principal], ep, url, method, None, world.components, empty=True)
                if ep.route == "admin/login/" and resp.status_code < 500:
                    continue  # the admin's own login page is public
                if resp.status_code >= 500 or not (is_login_redirect(resp) or resp.status_code in (403, 404)):
                    problems.append(f"{method} {url} as {principal}: {resp.status_code}")
    diff = changed(before, snapshot())
    assert not problems, "\n".join(problems[:40])
    assert not diff, f"refused admin requests changed the database: {diff}"
    assert world.clients["staff"].get("/admin/").status_code == 200
