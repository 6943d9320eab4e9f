/* File manager upload: many WAV/MP3 files at once, each resumable through tus, a progress bar each.
 *
 * Markup (templates/voicemanager/files/upload.html):
 *   <form id="file-upload" data-org="org_…" data-path="folder" data-complete-url="/vm/files/upload/complete">
 *     <input type="file" multiple accept=".wav,.mp3,audio/wav,audio/mpeg"> … <ul class="upload-list"></ul>
 *
 * Each file goes to /uploads/ in 8 MiB chunks (metadata purpose=file, filename, filetype). The
 * fingerprint is org + folder + name + size + lastModified, so choosing the same file again
 * after a broken connection or a reload resumes where it stopped. When the bytes are all there,
 * the page POSTs upload_id/org/path/name to the complete URL; the server checks the audio by
 * its content and answers 201 {fileId, name, url} or 4xx {"error": {code, message}} (nothing kept).
 * Files upload two at a time.
 */
import { csrfToken, tusUpload } from "./uploader.js";

const CHUNK = 8 * 1024 * 1024;
const PARALLEL = 2;
const ACCEPTED = /\.(wav|mp3)$/i;

function row(list, file) {
  const li = document.createElement("li");
  li.className = "upload-row";
  li.innerHTML = `<span class="upload-name"></span> <small class="muted upload-size"></small>
    <progress max="100" value="0"></progress> <span class="upload-status" role="status">waiting</span>`;
  li.querySelector(".upload-name").textContent = file.name;
  li.querySelector(".upload-size").textContent = `${(file.size / 1e6).toFixed(1)} MB`;
  list.append(li);
  return {
    li,
    progress: (pct) => (li.querySelector("progress").value = pct),
    status: (text, cls = "") => {
      const s = li.querySelector(".upload-status");
      s.textContent = text;
      s.className = `upload-status ${cls}`;
    },
  };
}

async function complete(form, uploadId, file) {
  const body = new FormData();
  body.append("upload_id", uploadId);
  body.append("org", form.dataset.org);
  body.append("path", form.querySelector("[name=path]")?.value ?? form.dataset.path ?? "");
  body.append("name", file.name);
  const res = await fetch(form.dataset.completeUrl, {
    method: "POST", body, credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) throw new Error(data?.error?.message || `The server answered ${res.status}.`);
  return data;
}

async function uploadOne(form, file, ui) {
  if (!ACCEPTED.test(file.name)) {
    ui.status("Only WAV and MP3 files can be uploaded here.", "badge badge-fail");
    return;
  }
  const path = form.querySelector("[name=path]")?.value ?? "";
  try {
    ui.status("uploading…");
    const uploadId = await tusUpload(file, {
      chunkSize: CHUNK,
      metadata: { purpose: "file", filename: file.name, filetype: file.type || "application/octet-stream" },
      fingerprint: `file-${form.dataset.org}-${path}-${file.name}-${file.size}-${file.lastModified}`,
      onProgress: (sent, total) => ui.progress(total ? (sent / total) * 100 : 0),
    });
    ui.progress(100);
    ui.status("checking audio…");
    const stored = await complete(form, uploadId, file);
    ui.status("stored", "badge badge-ok");
    const link = document.createElement("a");
    link.href = stored.url;
    link.textContent = " open";
    ui.li.append(link);
  } catch (err) {
    ui.status(err?.message || String(err), "badge badge-fail");
  }
}

export function initFileUpload(form) {
  const input = form.querySelector("input[type=file]");
  const list = form.querySelector(".upload-list");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const queue = [...input.files].map((file) => ({ file, ui: row(list, file) }));
    input.value = "";
    const workers = Array.from({ length: PARALLEL }, async () => {
      while (queue.length) {
        const { file, ui } = queue.shift();
        await uploadOne(form, file, ui);
      }
    });
    await Promise.all(workers);
    form.dispatchEvent(new CustomEvent("files:uploaded", { bubbles: true }));
  });
}

const form = document.getElementById("file-upload");
if (form) initFileUpload(form);
