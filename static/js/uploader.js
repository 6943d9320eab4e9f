/*
 * uploader.js — one upload attempt of one take, by the booth's upload contract.
 * It keeps no queue and never retries by itself: take-store.js decides when to
 * try again, from the result returned here.
 *
 *   uploadTake(take, {onProgress(loaded, total), onUploadId(id), tusEndpoint = "/uploads/",
 *                     smallLimit = 4 MiB, chunkSize = 1 MiB}) -> Promise<Result>
 *     take: {clientId, sha256, kind, blob, uploadUrl, uploadId?, fields?}
 *       fields: optional extra form fields sent as they are (e.g. {duration_s: "3.2"})
 *     Result is one of
 *       {status: "stored",   httpStatus, body}     2xx JSON with a sha256 (the store compares it)
 *       {status: "rejected", httpStatus, error: {code, message}}   4xx JSON error: final
 *       {status: "retry",    httpStatus?, error: {code, message}, retryAfterMs?, patch?}
 *                            network error, 5xx, 408/429, login/CSRF trouble, unexpected body;
 *                            patch (e.g. {uploadId: null}) is saved on the queued take
 *
 *   tusUpload(blob, {endpoint, metadata, fingerprint, chunkSize, onProgress}) -> Promise<uploadId>
 *     A resumable tus 1.0.0 upload (tus-js-client), for takes and for large files in the
 *     file manager. Resumes from the URL remembered in localStorage under `fingerprint`.
 *   csrfToken() -> string   from <body hx-headers='{"X-CSRFToken": …}'> or the csrftoken cookie
 *   loadTus() -> Promise<tus>   loads ../vendor/tus.min.js once (UMD, sets window.tus)
 *
 * Server contract (the booth implements it):
 *   small take (<= smallLimit): POST uploadUrl, multipart: audio=<clientId>.wav, client_id,
 *     sha256, kind (+ fields); header X-CSRFToken.
 *   larger take: tus upload to tusEndpoint (metadata purpose=take, client_id, sha256, kind,
 *     filename, filetype), then POST uploadUrl with upload_id instead of audio.
 *   201 (new) or 200 (same client_id already stored) JSON {take_id, sha256, status, ...}.
 *   4xx JSON {error: {code, message}}: rejected for good, except the codes in RETRY_CODES.
 *   5xx, network errors, HTML error pages (Django's CSRF 403, a login redirect): retry.
 */

const SMALL_UPLOAD_LIMIT = 4 * 1024 * 1024;
const CHUNK_SIZE = 1024 * 1024;
const POST_TIMEOUT_MS = 120_000;
const TUS_URL = new URL("../vendor/tus.min.js", import.meta.url);

/* 4xx error codes that do not condemn the take: fix the cause and try again.
   checksum_mismatch: the bytes were damaged on the way, the local copy is fine;
   consent_required: the take waits in the browser until the contractor signs again. */
export const RETRY_CODES = new Set([
  "login_required", "csrf_failed", "rate_limited", "server_busy", "checksum_mismatch", "consent_required",
]);
/* 4xx codes meaning the tus upload is gone or unfinished: upload the bytes again. */
export const REUPLOAD_CODES = new Set(["upload_not_found", "upload_incomplete"]);

export { SMALL_UPLOAD_LIMIT };

export function csrfToken() {
  const raw = document.body?.getAttribute("hx-headers");
  if (raw) {
    try {
      const token = JSON.parse(raw)["X-CSRFToken"];
      if (token) return token;
    } catch {
      /* fall through to the cookie */
    }
  }
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

let tusPromise = null;
export function loadTus() {
  if (globalThis.tus) return Promise.resolve(globalThis.tus);
  if (!tusPromise) {
    tusPromise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = TUS_URL.href;
      script.onload = () => (globalThis.tus ? resolve(globalThis.tus) : reject(new Error("tus-js-client did not load")));
      script.onerror = () => {
        tusPromise = null;
        reject(new Error("Could not load tus-js-client"));
      };
      document.head.appendChild(script);
    });
  }
  return tusPromise;
}

export async function uploadTake(
  take,
  { onProgress = null, onUploadId = null, tusEndpoint = "/uploads/", smallLimit = SMALL_UPLOAD_LIMIT, chunkSize = CHUNK_SIZE } = {},
) {
  const form = new FormData();
  form.append("client_id", take.clientId);
  form.append("sha256", take.sha256);
  form.append("kind", take.kind);
  for (const [k, v] of Object.entries(take.fields || {})) form.append(k, String(v));

  if (take.blob.size <= smallLimit) {
    form.append("audio", take.blob, `${take.clientId}.${extensionFor(take.blob.type)}`);
  } else {
    let uploadId = take.uploadId;
    if (!uploadId) {
      try {
        uploadId = await tusUpload(take.blob, {
          endpoint: tusEndpoint,
          chunkSize,
          fingerprint: `take-${take.clientId}-${take.sha256}`,
          metadata: {
            purpose: "take",
            client_id: take.clientId,
            sha256: take.sha256,
            kind: take.kind,
            filename: `${take.clientId}.${extensionFor(take.blob.type)}`,
            filetype: take.blob.type || "application/octet-stream",
          },
          onProgress,
        });
      } catch (err) {
        return tusFailure(err);
      }
      await onUploadId?.(uploadId);
    }
    form.append("upload_id", uploadId);
  }

  let res;
  try {
    res = await fetch(take.uploadUrl, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      redirect: "manual", // a login redirect must not look like success
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      signal: timeoutSignal(POST_TIMEOUT_MS),
    });
  } catch (err) {
    return retry(null, "network", navigator.onLine === false ? "You are offline." : `Network error: ${err.message}`);
  }
  const result = await interpret(res);
  if (result.status === "stored") onProgress?.(take.blob.size, take.blob.size);
  return result;
}

export async function tusUpload(blob, { endpoint = "/uploads/", metadata = {}, fingerprint, chunkSize = CHUNK_SIZE, onProgress = null } = {}) {
  const tus = await loadTus();
  return await new Promise((resolve, reject) => {
    const upload = new tus.Upload(blob, {
      endpoint,
      chunkSize,
      metadata,
      headers: { "X-CSRFToken": csrfToken() },
      // A few quick retries inside one attempt; the take store backs off beyond that.
      retryDelays: [0, 1000, 3000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // The default fingerprint uses File name/lastModified, which a Blob lacks:
      // two takes of equal size would share one upload.
      fingerprint: () => Promise.resolve(`tus-${fingerprint || crypto.randomUUID()}`),
      onProgress: (sent, total) => onProgress?.(sent, total),
      onError: reject,
      onSuccess: () => resolve(new URL(upload.url, location.href).pathname.replace(/\/+$/, "").split("/").pop()),
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(reject);
  });
}

async function interpret(res) {
  if (res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400)) {
    return retry(res.status || null, "login_required", "Your session has expired. Sign in again to upload.");
  }
  let body = null;
  if ((res.headers.get("Content-Type") || "").includes("json")) {
    try {
      body = await res.json();
    } catch {
      body = null;
    }
  }
  if (res.ok) {
    if (body && typeof body.sha256 === "string") return { status: "stored", httpStatus: res.status, body };
    return retry(res.status, "bad_response", "The server's answer did not confirm the take.");
  }
  const error = body && body.error && typeof body.error.code === "string" ? body.error : null;
  if (res.status >= 400 && res.status < 500 && error && res.status !== 408 && res.status !== 429) {
    if (REUPLOAD_CODES.has(error.code)) return { ...retry(res.status, error.code, error.message), patch: { uploadId: null } };
    if (!RETRY_CODES.has(error.code)) return { status: "rejected", httpStatus: res.status, error };
  }
  const out = retry(
    res.status,
    error?.code || (res.status === 403 ? "forbidden" : `http_${res.status}`),
    error?.message || (res.status === 403 ? "The server refused the upload (sign in again?)." : `Server error ${res.status}.`),
  );
  const after = Number(res.headers.get("Retry-After"));
  if (Number.isFinite(after) && after > 0) out.retryAfterMs = after * 1000;
  return out;
}

function tusFailure(err) {
  const status = err?.originalResponse?.getStatus?.() || null;
  if (status === 413) {
    return { status: "rejected", httpStatus: 413, error: { code: "too_large", message: "The recording is larger than the server accepts." } };
  }
  if (status === 401 || status === 403) return retry(status, "login_required", "Your session has expired. Sign in again to upload.");
  return retry(status, "network", navigator.onLine === false ? "You are offline." : `Upload interrupted: ${err?.message || err}`);
}

function retry(httpStatus, code, message) {
  return { status: "retry", httpStatus, error: { code, message } };
}

function extensionFor(type) {
  if (!type || type.includes("wav")) return "wav";
  if (type.includes("webm")) return "webm";
  if (type.includes("ogg")) return "ogg";
  if (type.includes("mp4") || type.includes("aac")) return "m4a";
  if (type.includes("mpeg")) return "mp3";
  return "bin";
}

function timeoutSignal(ms) {
  return typeof AbortSignal !== "undefined" && AbortSignal.timeout ? AbortSignal.timeout(ms) : undefined;
}
