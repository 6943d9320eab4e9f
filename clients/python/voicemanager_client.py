"""A small Python client for the Voice Manager API (standard library only).

    from voicemanager_client import Client   # clients/python/ on the path
    api = Client("https://vm.example.com", api_key="vmk_…")
    f = api.upload_file("take1.wav", path="owners/jane", speaker_id="spk_…")
    voice = api.start_cloning([f["fileId"]], alias="my-instant-clone", metadata={"gender": "female"})
    api.wait_for_voice("my-instant-clone")            # polls until succeeded or failed

Every method returns the decoded JSON. An error answer raises ``ApiError`` with the
HTTP status, the machine-readable ``code`` and the whole ``body`` (e.g. ``discardedFiles``).
"""
from __future__ import annotations

import json
import mimetypes
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

CHUNK = 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.code = error.get("code", "http_error")
        super().__init__(f"{status} {self.code}: {error.get('message', body)}")


class _Multipart:
    """A streamed multipart/form-data body: fields, then one file read in 1 MB chunks."""

    def __init__(self, fields: dict[str, str], file_field: str, path: Path):
        self.boundary = uuid.uuid4().hex
        b = self.boundary
        head = b"".join(
            f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
            if v not in (None, "")
        )
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        head += (f'--{b}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
                 f"Content-Type: {kind}\r\n\r\n").encode()
        self.head, self.tail, self.path = head, f"\r\n--{b}--\r\n".encode(), path
        self.length = len(head) + path.stat().st_size + len(self.tail)

    def __iter__(self):
        yield self.head
        with open(self.path, "rb") as fh:
            while block := fh.read(CHUNK):
                yield block
        yield self.tail


class Client:
    def __init__(self, base_url: str, api_key: str, timeout: float = 60.0):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        self.base = base_url.rstrip("/") + "/api/v2"
        self.api_key, self.timeout = api_key, timeout

    def _call(self, method: str, path: str, *, body=None, query: dict | None = None, headers=None):
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        all_headers = {"x-api-key": self.api_key, "Accept": "application/json", **(headers or {})}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - caller's URL
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                parsed = json.loads(raw or b"{}")
            except ValueError:
                parsed = {"error": {"code": "http_error", "message": raw[:200].decode(errors="replace")}}
            raise ApiError(exc.code, parsed) from None
        return json.loads(raw) if raw else None

    # --- files -----------------------------------------------------------------------------
    def upload_file(self, local_path: str | Path, *, path: str = "", name: str = "", label: str = "",
                    speaker_id: str = "") -> dict:
        """POST /files (multipart, streamed from disk): returns the file with its ``fileId``."""
        form = _Multipart({"path": path, "name": name, "label": label, "speakerId": speaker_id}, "file",
                          Path(local_path))
        return self._call("POST", "/files", body=iter(form), headers={
            "Content-Type": f"multipart/form-data; boundary={form.boundary}", "Content-Length": str(form.length)})

    def list_files(self, *, path: str | None = None, q: str | None = None, limit: int = 100, offset: int = 0) -> dict:
        query = {"limit": limit, "offset": offset, **({"path": path} if path is not None else {}),
                 **({"q": q} if q else {})}
        return self._call("GET", "/files", query=query)

    def get_file(self, file_id: str) -> dict:
        return self._call("GET", f"/files/{urllib.parse.quote(file_id)}")

    def delete_file(self, file_id: str) -> None:
        self._call("DELETE", f"/files/{urllib.parse.quote(file_id)}")

    # --- voice cloning -----------------------------------------------------------------------
    def start_cloning(self, file_ids: list[str], alias: str, *, engine: str = "voice_engine_3",
                      metadata: dict | None = None, type: str | None = None, language: str | None = None,
                      accept_language_warning: bool = False) -> dict:
        """POST /speech/voice-cloning: 202 with the voice's state."""
        body = {"fileIds": list(file_ids), "alias": alias, "engine": engine, "metadata": metadata or {}}
        if type:
            body["type"] = type
        if language:
            body["language"] = language
        if accept_language_warning:
            body["acceptLanguageWarning"] = True
        return self._call("POST", "/speech/voice-cloning", body=body)

    def get_voice(self, alias: str) -> dict:
        """GET /speech/voice-cloning?alias=…: status, files used and discardedFiles."""
        return self._call("GET", "/speech/voice-cloning", query={"alias": alias})

    def wait_for_voice(self, alias: str, *, timeout: float = 3600, interval: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.get_voice(alias)
            if state["status"] in ("succeeded", "failed") or time.monotonic() >= deadline:
                return state
            time.sleep(interval)

    # --- scripts (router of the scripts work; listed for completeness) ------------------------
    def list_scripts(self, limit: int = 100, offset: int = 0) -> dict:
        return self._call("GET", "/scripts", query={"limit": limit, "offset": offset})
